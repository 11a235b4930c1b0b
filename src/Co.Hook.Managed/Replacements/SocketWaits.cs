using System.Net.Sockets;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Co.Hook.Handlers;
using Co.Net;
using Co.Scheduling;

namespace Co.Hook.Managed.Replacements;

/// <summary>
/// What the socket replacements share: whether a call is diverted (coroutine code, and a socket the caller left
/// blocking), and the wait itself — on the runtime's poller, for the socket's own descriptor, within its
/// ReceiveTimeout/SendTimeout. After the wait the replacement calls the original, which then finds the socket ready
/// and does the real work: every result, exception, SocketError and state change is .NET's own.
/// </summary>
internal static unsafe partial class SocketWaits
{
    private const short PollIn = 0x1;
    private const short PollOut = 0x4;

    /// <summary>Socket's descriptor, read without Socket.Handle's side effect (which marks the handle as exposed).</summary>
    [UnsafeAccessor(UnsafeAccessorKind.Field, Name = "_handle")]
    private static extern ref SafeSocketHandle HandleOf(Socket socket);

    /// <summary>Whether the descriptor is still blocking underneath: false once .NET has made it non-blocking (after
    /// an asynchronous operation), when a synchronous call waits inside the runtime, not in libc.</summary>
    [UnsafeAccessor(UnsafeAccessorKind.Method, Name = "get_IsUnderlyingHandleBlocking")]
    private static extern bool IsUnderlyingHandleBlocking(SafeSocketHandle handle);

    [LibraryImport("libc", EntryPoint = "poll")]
    private static partial int Poll(long* fds, nuint count, int timeout);

    /// <summary>The private members read above, checked once at install: a runtime without them gets no socket detours.</summary>
    public static bool FieldsExist(out string? reason)
    {
        const System.Reflection.BindingFlags Instance = System.Reflection.BindingFlags.Instance | System.Reflection.BindingFlags.NonPublic;
        bool exist = typeof(Socket).GetField("_handle", Instance)?.FieldType == typeof(SafeSocketHandle) &&
                     typeof(SafeSocketHandle).GetProperty("IsUnderlyingHandleBlocking", Instance)?.PropertyType == typeof(bool);
        reason = exist ? null : "System.Net.Sockets no longer has Socket._handle and SafeSocketHandle.IsUnderlyingHandleBlocking";
        return exist;
    }

    /// <summary>Whether a synchronous call on <paramref name="socket"/> becomes a coroutine wait: coroutine code, and
    /// the caller left the socket blocking (a non-blocking socket gets .NET's WouldBlock as before).</summary>
    public static bool Diverts(Socket socket) => BlockingCall.CanDivert() && socket.Blocking;

    /// <summary>Whether the descriptor is blocking underneath (libc's hooks then see the call too).</summary>
    public static bool BlockingUnderneath(Socket socket) => IsUnderlyingHandleBlocking(HandleOf(socket));

    /// <summary>
    /// Parks the coroutine until <paramref name="socket"/> is ready to read (else write), for at most the socket's
    /// ReceiveTimeout (else SendTimeout) when <paramref name="timed"/>: <see cref="SocketError.Success"/>, or
    /// <see cref="SocketError.TimedOut"/> when that timeout passed first. A descriptor that cannot be polled (closed,
    /// disposed) counts as ready: the original then reports it.
    /// </summary>
    public static SocketError WaitReady(Socket socket, bool read, bool timed)
    {
        int fd = (int)HandleOf(socket).DangerousGetHandle();
        using BlockingCall.Scope scope = BlockingCall.Enter();
        if (ReadyNow(fd, read))
        {
            return SocketError.Success;
        }

        int timeoutMs = timed ? (read ? socket.ReceiveTimeout : socket.SendTimeout) : 0;
        return WaitThenCheck(fd, read, timeoutMs <= 0 ? long.MaxValue : Clock.DeadlineAfter(timeoutMs));
    }

    /// <summary>As <see cref="WaitReady(Socket, bool, bool)"/> with a deadline of its own (Poll, Select).</summary>
    public static SocketError WaitReady(Socket socket, bool read, long deadline)
    {
        int fd = (int)HandleOf(socket).DangerousGetHandle();
        using BlockingCall.Scope scope = BlockingCall.Enter();
        return ReadyNow(fd, read) ? SocketError.Success : WaitThenCheck(fd, read, deadline);
    }

    /// <summary>For a socket found not ready: the runtime's <see cref="ReadinessLoop"/> waits on the poller and
    /// re-checks until it is ready. Its edge: ready, or no longer pollable (the original reports it), is Success; a
    /// passed deadline is the last check's answer.</summary>
    private static SocketError WaitThenCheck(int fd, bool read, long deadline)
    {
        var check = new ReadinessCheck(fd, read, deadline);
        IoResult result = ReadinessLoop.Run(fd, read, ref check, IoResult.WouldBlock, verifyRegistration: true);
        return result.Status != IoStatus.TimedOut || ReadyNow(fd, read) ? SocketError.Success : SocketError.TimedOut;
    }

    /// <summary>A zero-timeout poll: readable/writable, or an error or hang-up the call will report.</summary>
    private static bool ReadyNow(int fd, bool read)
    {
        long pollfd = (long)(uint)fd | ((long)(read ? PollIn : PollOut) << 32);
        return Poll(&pollfd, 1, 0) != 0;
    }

    /// <summary>The attempts of a diverted call's wait: a zero-timeout poll after each readiness (the original does
    /// the real work afterwards).</summary>
    private readonly struct ReadinessCheck(int fd, bool read, long deadline) : IReadinessAttempt
    {
        public IoResult Attempt() => ReadyNow(fd, read) ? IoResult.Done(0) : IoResult.WouldBlock;

        public bool WaitsWhenBlocked() => true;

        public long Deadline() => deadline;
    }
}
