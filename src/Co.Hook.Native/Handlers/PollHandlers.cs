using System.Runtime.InteropServices;
using Co.Net;
using Co.Platform.Linux;
using Co.Scheduling;

namespace Co.Hook.Handlers;

/// <summary>
/// poll, as native clients (libpq, libcurl) use it to wait for their sockets. In a coroutine the readiness check is a
/// zero-timeout poll (its result and revents are the real ones); while nothing is ready the coroutine waits instead of
/// the thread: for one descriptor and one direction on the runtime's poller, otherwise by re-checking after short
/// coroutine sleeps (1, 2, 4 … 16 ms). A timeout returns 0 as poll does.
/// </summary>
internal static unsafe class PollHandlers
{
    private const short PollIn = 0x1;
    private const short PollOut = 0x4;
    private const int MaxStepMs = 16;

    internal static delegate* unmanaged<PollFd*, nuint, int, int> PollOriginal;

    [UnmanagedCallersOnly]
    internal static int Poll(PollFd* fds, nuint count, int timeoutMs)
    {
        using BlockingCall.Scope scope = BlockingCall.Enter();
        int ready = PollOriginal(fds, count, 0);
        if (ready != 0 || timeoutMs == 0)
        {
            return ready;
        }

        long deadline = timeoutMs < 0 ? long.MaxValue : Clock.DeadlineAfter(timeoutMs);
        short events = count == 1 ? (short)(fds[0].Events & (PollIn | PollOut)) : (short)0;
        if (events is PollIn or PollOut && fds[0].Fd >= 0)
        {
            while (true)
            {
                int wait = IoWaits.WaitReady(Worker.Current!, fds[0].Fd, read: events == PollIn, deadline, verifyRegistration: true);
                ready = PollOriginal(fds, count, 0);
                if (ready != 0 || wait == Errno.ETIMEDOUT || (wait != 0 && wait != Errno.EBADF))
                {
                    return ready; // ready, timed out (0), or not pollable by epoll: the real poll's answer
                }
            }
        }

        for (int step = 1; ; step = Math.Min(step * 2, MaxStepMs))
        {
            int remaining = Clock.MsUntil(deadline);
            if (remaining == 0)
            {
                return PollOriginal(fds, count, 0);
            }

            Coroutine.Sleep(remaining < 0 ? step : Math.Min(step, remaining));
            ready = PollOriginal(fds, count, 0);
            if (ready != 0)
            {
                return ready;
            }
        }
    }

    /// <summary>struct pollfd.</summary>
    [StructLayout(LayoutKind.Sequential)]
    internal struct PollFd
    {
        public int Fd;
        public short Events;
        public short Revents;
    }
}
