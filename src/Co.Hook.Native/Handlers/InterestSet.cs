using System.Collections.Concurrent;
using Co.Platform.Linux;

namespace Co.Hook.Handlers;

/// <summary>
/// An epoll instance of the hook layer's own, used to wait for any of several descriptors (poll and select over more
/// than one): the descriptors are added (level-triggered) for the duration of one wait, and the coroutine waits for
/// the instance itself on the runtime's poller — an epoll descriptor is readable while any of its descriptors is
/// ready. Instances are pooled, so there are never more than the multi-descriptor waits in progress at once, and each
/// is registered with the runtime's poller once.
/// </summary>
/// <remarks>A descriptor epoll cannot watch (a regular file: EPERM) makes <see cref="TryAdd"/> fail; the caller then
/// falls back to re-checking after short sleeps. A descriptor closed during the wait leaves the set by itself.</remarks>
internal sealed unsafe class InterestSet : IDisposable
{
    private static readonly ConcurrentBag<InterestSet> s_pool = [];

    /// <summary>The descriptors added for the current wait and the events asked of each, to merge a descriptor given
    /// twice and to remove them all after the wait.</summary>
    private readonly Dictionary<int, uint> _added = [];

    private InterestSet(int epollFd) => Descriptor = epollFd;

    /// <summary>The epoll descriptor to wait for.</summary>
    public int Descriptor { get; }

    /// <summary>A pooled set, empty; null if no epoll instance can be created (the caller falls back).</summary>
    public static InterestSet? Rent()
    {
        if (s_pool.TryTake(out InterestSet? set))
        {
            return set;
        }

        int fd = Epoll.Create1(Epoll.Cloexec);
        return fd < 0 ? null : new InterestSet(fd);
    }

    /// <summary>Watches <paramref name="fd"/> for <paramref name="events"/> (EPOLLIN/EPOLLOUT/EPOLLPRI; errors and
    /// hang-ups always); a descriptor given twice gets both masks. False if epoll cannot watch it.</summary>
    public bool TryAdd(int fd, uint events)
    {
        bool known = _added.TryGetValue(fd, out uint asked);
        Epoll.Event registration = new() { Events = events | asked, Data = (ulong)(uint)fd };
        if (Epoll.Ctl(Descriptor, known ? Epoll.CtlMod : Epoll.CtlAdd, fd, &registration) != 0)
        {
            return false;
        }

        _added[fd] = events | asked;
        return true;
    }

    /// <summary>Empties the set and returns it to the pool.</summary>
    public void Dispose()
    {
        foreach (int fd in _added.Keys)
        {
            Epoll.Ctl(Descriptor, Epoll.CtlDel, fd, null); // fails harmlessly for a descriptor closed meanwhile
        }

        _added.Clear();
        s_pool.Add(this);
    }
}
