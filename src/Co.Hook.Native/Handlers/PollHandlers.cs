using System.Runtime.InteropServices;
using Co.Net;
using Co.Platform.Linux;
using Co.Scheduling;

namespace Co.Hook.Handlers;

/// <summary>
/// poll, ppoll, select and epoll_wait, as native clients (libpq, libcurl) wait for their sockets. In a coroutine the
/// readiness check is the call itself with a zero timeout (its result, revents, sets and events are the real ones);
/// while nothing is ready the coroutine waits instead of the thread, on the runtime's poller: for the descriptor itself
/// when one is watched in one direction (an epoll descriptor counts: it is readable when it has events), otherwise for
/// a pooled <see cref="InterestSet"/> holding all of them; only when epoll cannot watch one of them (a regular file)
/// by re-checking after short coroutine sleeps (1, 2, 4 … 16 ms). A timeout returns 0, as the originals do. Bad arguments, and a ppoll
/// with a signal mask (which must be swapped atomically with the wait), go to the original as they are.
/// </summary>
internal static unsafe partial class PollHandlers
{
    private const short PollIn = 0x1;
    private const short PollOut = 0x4;
    private const int MaxStepMs = 16;
    private const int MaxFdSetWordsOnStack = 48;

    [NativeHook(HookLibraries.Libc, "poll")]
    [UnmanagedCallersOnly]
    internal static int Poll(PollFd* fds, nuint count, int timeoutMs)
    {
        using BlockingCall.Scope scope = BlockingCall.Enter();
        long deadline = timeoutMs < 0 ? long.MaxValue : Clock.DeadlineAfter(timeoutMs);
        return WaitUntilReady(new PollCheck(fds, count), deadline, SingleDescriptor(fds, count, out bool read), read);
    }

    [NativeHook(HookLibraries.Libc, "ppoll")]
    [UnmanagedCallersOnly]
    internal static int Ppoll(PollFd* fds, nuint count, long* timeout, void* signalMask)
    {
        using BlockingCall.Scope scope = BlockingCall.Enter();
        if (signalMask is not null || !TryDeadline(timeout, 1, out long deadline))
        {
            return PpollOriginal(fds, count, timeout, signalMask);
        }

        return WaitUntilReady(new PollCheck(fds, count), deadline, SingleDescriptor(fds, count, out bool read), read);
    }

    /// <summary>select: the sets are restored from a copy before every check (select rewrites them); on return the
    /// timeout holds the time not slept, as Linux's select leaves it.</summary>
    [NativeHook(HookLibraries.Libc, "select")]
    [UnmanagedCallersOnly]
    internal static int Select(int count, ulong* readSet, ulong* writeSet, ulong* exceptSet, long* timeout)
    {
        using BlockingCall.Scope scope = BlockingCall.Enter();
        if (count < 0 || !TryDeadline(timeout, 1000, out long deadline))
        {
            return SelectOriginal(count, readSet, writeSet, exceptSet, timeout); // libc's EINVAL
        }

        int words = (count + 63) / 64;
        bool onStack = 3 * words <= MaxFdSetWordsOnStack;
        ulong* stack = stackalloc ulong[MaxFdSetWordsOnStack];
        ulong* saved = onStack ? stack : (ulong*)NativeMemory.Alloc((nuint)(3 * words), sizeof(ulong));
        try
        {
            var check = new SelectCheck(count, words, readSet, writeSet, exceptSet, saved);
            int single = check.SingleDescriptor(out bool read);
            int ready = WaitUntilReady(check, deadline, single, read);
            if (timeout is not null)
            {
                int leftMs = Math.Max(Clock.MsUntil(deadline), 0);
                timeout[0] = leftMs / 1000;
                timeout[1] = leftMs % 1000 * 1000;
            }

            return ready;
        }
        finally
        {
            if (!onStack)
            {
                NativeMemory.Free(saved);
            }
        }
    }

    [NativeHook(HookLibraries.Libc, "epoll_wait")]
    [UnmanagedCallersOnly]
    internal static int EpollWait(int epollFd, void* events, int capacity, int timeoutMs)
    {
        using BlockingCall.Scope scope = BlockingCall.Enter();
        if (capacity <= 0)
        {
            return EpollWaitOriginal(epollFd, events, capacity, timeoutMs); // libc's EINVAL
        }

        long deadline = timeoutMs < 0 ? long.MaxValue : Clock.DeadlineAfter(timeoutMs);
        return WaitUntilReady(new EpollCheck(epollFd, events, capacity), deadline, epollFd, read: true);
    }

    /// <summary>
    /// Checks, and while nothing is ready and <paramref name="deadline"/> has not passed, parks the coroutine: on the
    /// poller for <paramref name="single"/> (≥ 0) in the direction <paramref name="read"/>, else in growing sleeps.
    /// Returns the last check's result (errno as it left it).
    /// </summary>
    private static int WaitUntilReady<TCheck>(TCheck check, long deadline, int single, bool read)
        where TCheck : struct, IReadinessCheck
    {
        int ready = check.Check();
        if (ready != 0 || Clock.MsUntil(deadline) == 0)
        {
            return ready;
        }

        if (single >= 0)
        {
            while (true)
            {
                IoResult wait = IoWaits.WaitReady(Worker.Current!, single, read, deadline, verifyRegistration: true);
                ready = check.Check();
                if (ready != 0 || wait.Status == IoStatus.TimedOut || (wait.Status == IoStatus.Failed && wait.Error != Errno.EBADF))
                {
                    return ready; // ready, timed out (0), or not pollable by epoll: the real call's answer
                }
            }
        }

        using (InterestSet? set = InterestSet.Rent())
        {
            if (set is not null && check.Watch(set))
            {
                // Watched from here on (level-triggered): readiness from before is seen by this check, later
                // readiness makes the set readable.
                while ((ready = check.Check()) == 0)
                {
                    IoStatus wait = IoWaits.WaitReady(Worker.Current!, set.Descriptor, read: true, deadline).Status;
                    if (wait == IoStatus.TimedOut)
                    {
                        return check.Check();
                    }

                    if (wait != IoStatus.Done)
                    {
                        break; // the set itself cannot be waited for: fall back to sleeps
                    }
                }

                if (ready != 0)
                {
                    return ready;
                }
            }
        }

        for (int step = 1; ; step = Math.Min(step * 2, MaxStepMs))
        {
            int remaining = Clock.MsUntil(deadline);
            if (remaining == 0)
            {
                return check.Check();
            }

            Coroutine.Sleep(remaining < 0 ? step : Math.Min(step, remaining));
            ready = check.Check();
            if (ready != 0)
            {
                return ready;
            }
        }
    }

    /// <summary>The one descriptor watched, in one direction, or -1.</summary>
    private static int SingleDescriptor(PollFd* fds, nuint count, out bool read)
    {
        short events = count == 1 ? (short)(fds[0].Events & (PollIn | PollOut)) : (short)0;
        read = events == PollIn;
        return events is PollIn or PollOut && fds[0].Fd >= 0 ? fds[0].Fd : -1;
    }

    /// <summary>The deadline of a timespec (<paramref name="unitsPerMs"/> 1 for ns/1e6 … read as seconds and
    /// nanoseconds) or timeval (1000: microseconds) timeout; null means none. False for a negative or malformed one.</summary>
    private static bool TryDeadline(long* timeout, int unitsPerMs, out long deadline)
    {
        deadline = long.MaxValue;
        if (timeout is null)
        {
            return true;
        }

        long fractionPerSecond = unitsPerMs == 1 ? 1_000_000_000 : 1_000_000;
        if (timeout[0] < 0 || timeout[1] < 0 || timeout[1] >= fractionPerSecond)
        {
            return false;
        }

        long fractionPerMs = fractionPerSecond / 1000;
        long ms = (timeout[0] * 1000) + ((timeout[1] + fractionPerMs - 1) / fractionPerMs);
        deadline = Clock.DeadlineAfter((int)Math.Min(ms, int.MaxValue));
        return true;
    }

    /// <summary>struct pollfd.</summary>
    [StructLayout(LayoutKind.Sequential)]
    internal struct PollFd
    {
        public int Fd;
        public short Events;
        public short Revents;
    }

    /// <summary>One call's readiness check and the descriptors it watches.</summary>
    private interface IReadinessCheck
    {
        /// <summary>One zero-timeout attempt: &gt; 0 ready, 0 nothing yet, &lt; 0 failed (errno set).</summary>
        int Check();

        /// <summary>Adds every watched descriptor to <paramref name="set"/>; false if one cannot be added.</summary>
        bool Watch(InterestSet set);
    }

    private readonly struct PollCheck(PollFd* fds, nuint count) : IReadinessCheck
    {
        /// <summary>The poll events that epoll knows by the same bits (POLLIN, POLLPRI, POLLOUT, the NORM/BAND
        /// variants, POLLRDHUP); POLLERR, POLLHUP and POLLNVAL are always reported.</summary>
        private const short SharedEvents = 0x1 | 0x2 | 0x4 | 0x40 | 0x80 | 0x100 | 0x200 | 0x2000;

        public int Check() => PollOriginal(fds, count, 0);

        public bool Watch(InterestSet set)
        {
            for (nuint i = 0; i < count; i++)
            {
                if (fds[i].Fd >= 0 && !set.TryAdd(fds[i].Fd, (uint)(ushort)(fds[i].Events & SharedEvents)))
                {
                    return false;
                }
            }

            return true;
        }
    }

    private readonly struct EpollCheck(int epollFd, void* events, int capacity) : IReadinessCheck
    {
        public int Check() => EpollWaitOriginal(epollFd, events, capacity, 0);

        public bool Watch(InterestSet set) => set.TryAdd(epollFd, Epoll.In);
    }

    /// <summary>select's three sets (any may be null), saved once and restored before each zero-timeout select.</summary>
    private readonly struct SelectCheck : IReadinessCheck
    {
        private readonly int _count;
        private readonly int _words;
        private readonly ulong* _read;
        private readonly ulong* _write;
        private readonly ulong* _except;
        private readonly ulong* _saved;

        public SelectCheck(int count, int words, ulong* read, ulong* write, ulong* except, ulong* saved)
        {
            _count = count;
            _words = words;
            _read = read;
            _write = write;
            _except = except;
            _saved = saved;
            Copy(_read, _saved);
            Copy(_write, _saved + words);
            Copy(_except, _saved + (2 * words));
        }

        public int Check()
        {
            Copy(_saved, _read);
            Copy(_saved + _words, _write);
            Copy(_saved + (2 * _words), _except);
            long* zero = stackalloc long[2];
            return SelectOriginal(_count, _read, _write, _except, zero);
        }

        public bool Watch(InterestSet set)
        {
            for (int which = 0; which < 3; which++)
            {
                uint events = which == 0 ? Epoll.In : which == 1 ? Epoll.Out : Epoll.Pri;
                ulong* bits = Saved(which);
                for (int word = 0; bits is not null && word < _words; word++)
                {
                    for (ulong rest = bits[word]; rest != 0; rest &= rest - 1)
                    {
                        int fd = (word * 64) + System.Numerics.BitOperations.TrailingZeroCount(rest);
                        if (fd < _count && !set.TryAdd(fd, events))
                        {
                            return false;
                        }
                    }
                }
            }

            return true;
        }

        /// <summary>The only descriptor in the read or write set when there is exactly one and no exceptional
        /// condition is asked for; else -1.</summary>
        public int SingleDescriptor(out bool read)
        {
            read = false;
            int found = -1;
            for (int set = 0; set < 3; set++)
            {
                ulong* bits = Saved(set);
                for (int word = 0; bits is not null && word < _words; word++)
                {
                    for (ulong rest = bits[word]; rest != 0; rest &= rest - 1)
                    {
                        int fd = (word * 64) + System.Numerics.BitOperations.TrailingZeroCount(rest);
                        if (fd >= _count)
                        {
                            continue; // bits past nfds are not looked at by select either
                        }

                        if (set == 2 || found >= 0)
                        {
                            return -1;
                        }

                        (found, read) = (fd, set == 0);
                    }
                }
            }

            return found;
        }

        /// <summary>The caller's set <paramref name="which"/> (0 read, 1 write, 2 except) as saved, or null if not given.</summary>
        private ulong* Saved(int which) => (which == 0 ? _read : which == 1 ? _write : _except) is null ? null : _saved + (which * _words);

        private void Copy(ulong* from, ulong* to)
        {
            if (from is not null && to is not null)
            {
                new ReadOnlySpan<ulong>(from, _words).CopyTo(new Span<ulong>(to, _words));
            }
        }
    }
}
