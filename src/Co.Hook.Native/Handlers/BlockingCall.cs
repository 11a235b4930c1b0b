using System.Runtime.InteropServices;
using Co.Net;
using Co.Platform;
using Co.Platform.Linux;
using Co.Scheduling;

namespace Co.Hook.Handlers;

/// <summary>
/// What every socket hook handler shares: it runs on a scheduler thread that was running coroutine code (the gate
/// checked), marks the thread as inside a hook so its own calls pass the gates, decides whether the call would block
/// from the caller's point of view, and waits for readiness on the runtime's poller — parking only the coroutine —
/// with the socket's own timeout (SO_RCVTIMEO / SO_SNDTIMEO), through the runtime's <see cref="ReadinessLoop"/>. errno
/// is what the original call left, or EAGAIN after a socket timeout, exactly as a blocking call would report it.
/// </summary>
internal static unsafe partial class BlockingCall
{
    private const int MsgDontwait = 0x40;
    private const int SolSocket = 1;
    private const int SoRcvtimeo = 20;
    private const int SoSndtimeo = 21;

    [LibraryImport("libc", EntryPoint = "fcntl", SetLastError = true)]
    private static partial int Fcntl(int fd, int command, int argument);

    [LibraryImport("libc", EntryPoint = "getsockopt")]
    private static partial int GetSockOpt(int fd, int level, int option, long* value, int* length);

    /// <summary>Whether the calling thread runs coroutine code outside any hook — what the native gates check — so a
    /// blocking call may park its coroutine instead (for hooks decided in managed code: the managed layer).</summary>
    public static bool CanDivert()
    {
        Worker? worker = Worker.Current;
        return worker is not null && (*worker.HookFlags & (HookFlags.RunningCoroutine | HookFlags.InHook)) == HookFlags.RunningCoroutine;
    }

    /// <summary>Marks the calling thread as inside a hook until disposed.</summary>
    public static Scope Enter() => new(Worker.Current!);

    /// <summary>Whether a call with <paramref name="flags"/> on <paramref name="fd"/> would block: no MSG_DONTWAIT,
    /// and the descriptor is in blocking mode (the caller's choice is respected: a non-blocking socket gets EAGAIN).
    /// Costs an fcntl, so handlers ask only once a non-blocking attempt has met EAGAIN (or has to be continued).</summary>
    public static bool WouldBlock(int fd, int flags)
    {
        if ((flags & MsgDontwait) != 0)
        {
            return false;
        }

        int status = Fcntl(fd, SocketCalls.FGetfl, 0);
        return status >= 0 && (status & SocketCalls.ONonblock) == 0;
    }

    /// <summary>The edge of the runtime's <see cref="ReadinessLoop"/> for the libc handlers: sets errno for a result
    /// that is not done — the attempt's own errno, EAGAIN for a socket timeout (SO_RCVTIMEO/SO_SNDTIMEO) as a blocking
    /// call reports it, EBADF if the socket was closed while waiting — and returns -1.</summary>
    public static int FailWith(IoResult result)
    {
        Marshal.SetLastSystemError(result.ErrorCode(timedOut: Errno.EAGAIN));
        return -1;
    }

    /// <summary>The deadline of a handler's waits, from the socket's SO_RCVTIMEO (<paramref name="read"/>) or
    /// SO_SNDTIMEO, read on the first wait only and kept in <paramref name="cached"/> (0 until then).</summary>
    public static long SocketDeadline(int fd, bool read, ref long cached)
    {
        if (cached == 0)
        {
            cached = SocketDeadline(fd, read);
        }

        return cached;
    }

    /// <summary>
    /// Runs a blocking socket's connect without blocking the scheduler: sets O_NONBLOCK, starts the connection, waits
    /// for writability (within SO_SNDTIMEO, as the kernel's blocking connect does), reads SO_ERROR, and restores the
    /// caller's mode. Returns 0 or the errno a blocking connect would have set (EINPROGRESS when SO_SNDTIMEO passed).
    /// </summary>
    public static int ConnectWithoutBlocking(int fd, Func<int> startConnect)
    {
        int mode = Fcntl(fd, SocketCalls.FGetfl, 0);
        if (mode < 0 || Fcntl(fd, SocketCalls.FSetfl, mode | SocketCalls.ONonblock) < 0)
        {
            return Marshal.GetLastSystemError();
        }

        try
        {
            int error = startConnect() == 0 ? 0 : Marshal.GetLastSystemError();
            if (error != Errno.EINPROGRESS)
            {
                return error;
            }

            var completion = new ConnectCompletion(fd, SocketDeadline(fd, read: false));
            IoResult result = ReadinessLoop.Run(fd, read: false, ref completion, IoResult.WouldBlock, verifyRegistration: true);
            return result.ErrorCode(timedOut: Errno.EINPROGRESS);
        }
        finally
        {
            Fcntl(fd, SocketCalls.FSetfl, mode);
        }
    }

    /// <summary>The deadline set by the socket's SO_RCVTIMEO or SO_SNDTIMEO (a struct timeval), or none.</summary>
    private static long SocketDeadline(int fd, bool read)
    {
        long* timeval = stackalloc long[2];
        int length = 2 * sizeof(long);
        if (GetSockOpt(fd, SolSocket, read ? SoRcvtimeo : SoSndtimeo, timeval, &length) != 0 || (timeval[0] == 0 && timeval[1] == 0))
        {
            return long.MaxValue;
        }

        long ms = (timeval[0] * 1000) + ((timeval[1] + 999) / 1000);
        return Clock.DeadlineAfter((int)Math.Min(ms, int.MaxValue));
    }

    /// <summary>Sets <see cref="HookFlags.InHook"/> on the thread's flags for the handler's duration.</summary>
    public readonly ref struct Scope
    {
        private readonly int* _flags;

        public Scope(Worker worker)
        {
            _flags = worker.HookFlags;
            *_flags |= HookFlags.InHook;
        }

        public void Dispose() => *_flags &= ~HookFlags.InHook;
    }
}
