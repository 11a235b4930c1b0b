using System.ComponentModel;
using System.Runtime.InteropServices;

namespace Co.Platform.Linux;

/// <summary>
/// <see cref="IPoller"/> on epoll: one epoll instance per scheduler with an eventfd registered for cross-thread
/// wake-ups. The eventfd is non-blocking; a wake writes 1, and the loop drains it when epoll reports it readable, so
/// any number of wakes between two waits costs one extra return at most. Sockets are added once with
/// <c>EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET</c> and stay registered until closed: a wait costs no epoll_ctl.
/// The readiness monitor may poll the same instance while the holder is busy (<see cref="PollOnBehalf"/>).
/// </summary>
internal sealed unsafe partial class EpollPoller : IPoller
{
    private const int EfdNonblock = 0x800;
    private const int EfdCloexec = 0x80000;
    private const ulong WakeToken = ulong.MaxValue;
    private const int EventBatch = 64;

    [LibraryImport("libc", EntryPoint = "eventfd", SetLastError = true)]
    private static partial int EventFd(uint initval, int flags);

    [LibraryImport("libc", EntryPoint = "read")]
    private static partial nint Read(int fd, void* buffer, nint count);

    [LibraryImport("libc", EntryPoint = "write")]
    private static partial nint Write(int fd, void* buffer, nint count);

    [LibraryImport("libc", EntryPoint = "close")]
    private static partial int Close(int fd);

    private readonly IReadinessSink _sink;
    private readonly int _epollFd;
    private readonly int _wakeFd;
    private readonly Epoll.Event[] _events = GC.AllocateArray<Epoll.Event>(EventBatch, pinned: true);

    public EpollPoller(IReadinessSink sink)
    {
        _sink = sink;
        _epollFd = Epoll.Create1(Epoll.Cloexec);
        if (_epollFd < 0)
        {
            throw new Win32Exception(Marshal.GetLastPInvokeError(), "epoll_create1 failed");
        }

        _wakeFd = EventFd(0, EfdNonblock | EfdCloexec);
        if (_wakeFd < 0)
        {
            int error = Marshal.GetLastPInvokeError();
            Close(_epollFd);
            throw new Win32Exception(error, "eventfd failed");
        }

        var registration = new Epoll.Event { Events = Epoll.In, Data = WakeToken };
        if (Epoll.Ctl(_epollFd, Epoll.CtlAdd, _wakeFd, &registration) != 0)
        {
            int error = Marshal.GetLastPInvokeError();
            Close(_wakeFd);
            Close(_epollFd);
            throw new Win32Exception(error, "epoll_ctl(eventfd) failed");
        }
    }

    public void Wait(int timeoutMs)
    {
        fixed (Epoll.Event* events = _events)
        {
            int ready = Epoll.Wait(_epollFd, events, EventBatch, timeoutMs);
            for (int i = 0; i < ready; i++)
            {
                if (events[i].Data == WakeToken)
                {
                    ulong drained;
                    Read(_wakeFd, &drained, sizeof(ulong));
                    continue;
                }

                Deliver(events[i]);
            }
        }
    }

    public int PollOnBehalf()
    {
        // Its own buffer: the holder may be entering Wait with _events meanwhile. Two epoll_wait calls on one instance
        // are safe, and an edge-triggered event is reported to one of them only. The eventfd is level-triggered, so a
        // wake-up left undrained here is reported again to the holder's next epoll_wait.
        Epoll.Event* events = stackalloc Epoll.Event[EventBatch];
        int ready = Epoll.Wait(_epollFd, events, EventBatch, 0);
        int delivered = 0;
        for (int i = 0; i < ready; i++)
        {
            if (events[i].Data != WakeToken)
            {
                Deliver(events[i]);
                delivered++;
            }
        }

        return delivered;
    }

    public void Wake()
    {
        ulong one = 1;
        Write(_wakeFd, &one, sizeof(ulong));
    }

    public int Register(int fd, ulong token, out IPollRegistration? armedBy)
    {
        armedBy = null; // edge-triggered: every edge is reported without a request
        var registration = new Epoll.Event { Events = Epoll.In | Epoll.Out | Epoll.Rdhup | Epoll.Et, Data = token };
        if (Epoll.Ctl(_epollFd, Epoll.CtlAdd, fd, &registration) == 0)
        {
            return 0;
        }

        int error = Marshal.GetLastPInvokeError();
        if (error != Errno.EEXIST)
        {
            return error;
        }

        // Still registered under an older token (the descriptor was forgotten without a close): re-point it.
        return Epoll.Ctl(_epollFd, Epoll.CtlMod, fd, &registration) == 0 ? 0 : Marshal.GetLastPInvokeError();
    }

    public bool IsRegistered(int fd, ulong token)
    {
        var registration = new Epoll.Event { Events = Epoll.In | Epoll.Out | Epoll.Rdhup | Epoll.Et, Data = token };
        return Epoll.Ctl(_epollFd, Epoll.CtlMod, fd, &registration) == 0;
    }

    private void Deliver(in Epoll.Event ready)
    {
        uint flags = ready.Events;
        bool failed = (flags & (Epoll.Err | Epoll.Hup)) != 0;
        _sink.OnReady(
            ready.Data,
            readable: failed || (flags & (Epoll.In | Epoll.Rdhup)) != 0,
            writable: failed || (flags & Epoll.Out) != 0,
            hungUp: failed || (flags & Epoll.Rdhup) != 0);
    }

    public void Dispose()
    {
        Close(_wakeFd);
        Close(_epollFd);
    }
}
