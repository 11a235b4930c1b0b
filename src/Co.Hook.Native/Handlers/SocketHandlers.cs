using System.Runtime.InteropServices;
using Co.Platform.Linux;

namespace Co.Hook.Handlers;

/// <summary>
/// The handlers of the libc socket calls that can block: reached only through a gate, on a thread running coroutine
/// code. Each makes calls that would not block exactly as libc would (same result, same errno), and turns a call that
/// would block into non-blocking attempts separated by waits on the runtime's poller, so only the coroutine waits.
/// </summary>
/// <remarks>The original of each function is its detour's trampoline, set once at install; each handler restores
/// errno last, after the bookkeeping that follows the original call.</remarks>
internal static unsafe partial class SocketHandlers
{
    private const int MsgDontwait = 0x40;
    private const int MsgWaitall = 0x100;

    internal static delegate* unmanaged<int, void*, int, nint> RecvMsgOriginal;
    internal static delegate* unmanaged<int, void*, nint, int, nint> RecvOriginal;
    internal static delegate* unmanaged<int, void*, nint, int, void*, int*, nint> RecvFromOriginal;
    internal static delegate* unmanaged<int, void*, int, nint> SendMsgOriginal;
    internal static delegate* unmanaged<int, void*, nint, int, nint> SendOriginal;
    internal static delegate* unmanaged<int, void*, nint, int, void*, int, nint> SendToOriginal;
    internal static delegate* unmanaged<int, void*, int*, int, int> Accept4Original;
    internal static delegate* unmanaged<int, void*, int, int> ConnectOriginal;

    [UnmanagedCallersOnly]
    internal static nint RecvMsg(int fd, void* message, int flags) =>
        Divert(fd, flags, read: true, new RecvMsgCall(fd, message, flags));

    [UnmanagedCallersOnly]
    internal static nint Recv(int fd, void* buffer, nint length, int flags) =>
        Divert(fd, flags, read: true, new RecvCall(fd, buffer, length, flags));

    [UnmanagedCallersOnly]
    internal static nint RecvFrom(int fd, void* buffer, nint length, int flags, void* address, int* addressLength) =>
        Divert(fd, flags, read: true, new RecvFromCall(fd, buffer, length, flags, address, addressLength));

    [UnmanagedCallersOnly]
    internal static nint SendMsg(int fd, void* message, int flags) =>
        Divert(fd, flags, read: false, new SendMsgCall(fd, message, flags));

    /// <summary>send: as a blocking send does, sends the whole buffer (continuing after a partial send once the socket
    /// is writable again) unless an error comes first, in which case what was sent is reported.</summary>
    [UnmanagedCallersOnly]
    internal static nint Send(int fd, void* buffer, nint length, int flags)
    {
        using BlockingCall.Scope scope = BlockingCall.Enter();
        if (!Attemptable(fd, flags))
        {
            return SendOriginal(fd, buffer, length, flags);
        }

        long deadline = 0;
        nint sent = 0;
        bool blocking = false;
        while (true)
        {
            nint result = SendOriginal(fd, (byte*)buffer + sent, length - sent, flags | MsgDontwait);
            if (result >= 0)
            {
                sent += result;
                if (sent == length || !(blocking || (blocking = BlockingCall.WouldBlock(fd, flags))))
                {
                    return sent;
                }

                continue;
            }

            if (Finished(result, fd, flags, read: false, ref deadline))
            {
                return sent > 0 ? sent : result;
            }

            blocking = true;
        }
    }

    [UnmanagedCallersOnly]
    internal static nint SendTo(int fd, void* buffer, nint length, int flags, void* address, int addressLength) =>
        Divert(fd, flags, read: false, new SendToCall(fd, buffer, length, flags, address, addressLength));

    /// <summary>accept4 (managed Socket.Accept reaches libc here): a blocking listener waits for readiness first, then
    /// accepts; if another thread took the connection meanwhile, it waits again rather than block the scheduler.</summary>
    [UnmanagedCallersOnly]
    internal static int Accept4(int fd, void* address, int* addressLength, int flags)
    {
        using BlockingCall.Scope scope = BlockingCall.Enter();
        if (!BlockingCall.WouldBlock(fd, 0))
        {
            return Accept4Original(fd, address, addressLength, flags);
        }

        long deadline = 0;
        int capacity = addressLength is null ? 0 : *addressLength;
        while (true)
        {
            int wait = BlockingCall.WaitReady(fd, read: true, ref deadline);
            if (wait != 0)
            {
                Marshal.SetLastSystemError(wait);
                return -1;
            }

            if (addressLength is not null)
            {
                *addressLength = capacity;
            }

            // The listener is blocking: accept only if a connection is still queued (poll with zero timeout).
            if (!HasPendingConnection(fd))
            {
                continue;
            }

            int result = Accept4Original(fd, address, addressLength, flags);
            int errno = Marshal.GetLastSystemError();
            Marshal.SetLastSystemError(errno);
            return result;
        }
    }

    /// <summary>connect on a blocking socket: made non-blocking for the call, the coroutine waits for writability, the
    /// outcome is read from SO_ERROR, and the caller's blocking mode is put back; results and errno as libc's.</summary>
    [UnmanagedCallersOnly]
    internal static int Connect(int fd, void* address, int addressLength)
    {
        using BlockingCall.Scope scope = BlockingCall.Enter();
        if (!BlockingCall.WouldBlock(fd, 0))
        {
            return ConnectOriginal(fd, address, addressLength);
        }

        int error = BlockingCall.ConnectWithoutBlocking(fd, () => ConnectOriginal(fd, address, addressLength));
        Marshal.SetLastSystemError(error);
        return error == 0 ? 0 : -1;
    }

    /// <summary>Whether a (non-waiting) poll reports <paramref name="fd"/> readable.</summary>
    private static bool HasPendingConnection(int fd)
    {
        long pollfd = (long)(uint)fd | (1L << 32); // struct pollfd { int fd; short events = POLLIN; short revents; }
        return Poll(&pollfd, 1, 0) == 1;
    }

    /// <summary>
    /// The common body of the handlers: a call that is not diverted (see <see cref="Attemptable"/>) goes to the original
    /// as is; otherwise non-blocking attempts alternate with waits for readiness until one is final. Generic over the
    /// call so that each handler's arguments travel in a struct, without allocation.
    /// </summary>
    private static nint Divert<TCall>(int fd, int flags, bool read, TCall call)
        where TCall : struct, IHookedCall
    {
        using BlockingCall.Scope scope = BlockingCall.Enter();
        if (!Attemptable(fd, flags))
        {
            return call.Invoke(0);
        }

        long deadline = 0;
        while (true)
        {
            nint result = call.Invoke(MsgDontwait);
            if (Finished(result, fd, flags, read, ref deadline))
            {
                return result;
            }
        }
    }

    /// <summary>Whether the call is diverted into non-blocking attempts and waits: not when the caller asked for
    /// MSG_DONTWAIT (the original as is) nor for MSG_WAITALL (a non-blocking attempt could return less than the
    /// blocking receive promises; such a receive still blocks its thread — see docs/HOOKS.md).</summary>
    private static bool Attemptable(int fd, int flags) => (flags & (MsgDontwait | MsgWaitall)) == 0 && fd >= 0;

    /// <summary>True when <paramref name="result"/> is final (errno left as the original set it, or the wait's error);
    /// false when the attempt met EAGAIN on a socket the caller left blocking and readiness came: retry. On a socket
    /// the caller made non-blocking, EAGAIN is final, exactly as the caller's own call would have returned.</summary>
    private static bool Finished(nint result, int fd, int flags, bool read, ref long deadline)
    {
        if (result >= 0)
        {
            return true;
        }

        int errno = Marshal.GetLastSystemError();
        if (errno != Errno.EAGAIN || !BlockingCall.WouldBlock(fd, flags))
        {
            Marshal.SetLastSystemError(errno);
            return true;
        }

        int wait = BlockingCall.WaitReady(fd, read, ref deadline);
        if (wait != 0)
        {
            Marshal.SetLastSystemError(wait);
            return true;
        }

        return false;
    }

    [LibraryImport("libc", EntryPoint = "poll")]
    private static partial int Poll(long* fds, nuint count, int timeout);

    /// <summary>One call of a hooked function, with extra flags (MSG_DONTWAIT) or'd into its own.</summary>
    private interface IHookedCall
    {
        nint Invoke(int extraFlags);
    }

    private readonly struct RecvMsgCall(int fd, void* message, int flags) : IHookedCall
    {
        public nint Invoke(int extraFlags) => RecvMsgOriginal(fd, message, flags | extraFlags);
    }

    private readonly struct RecvCall(int fd, void* buffer, nint length, int flags) : IHookedCall
    {
        public nint Invoke(int extraFlags) => RecvOriginal(fd, buffer, length, flags | extraFlags);
    }

    private readonly struct RecvFromCall(int fd, void* buffer, nint length, int flags, void* address, int* addressLength) : IHookedCall
    {
        private readonly int _capacity = addressLength is null ? 0 : *addressLength;

        public nint Invoke(int extraFlags)
        {
            if (addressLength is not null)
            {
                *addressLength = _capacity; // every attempt must see the caller's buffer size
            }

            return RecvFromOriginal(fd, buffer, length, flags | extraFlags, address, addressLength);
        }
    }

    private readonly struct SendMsgCall(int fd, void* message, int flags) : IHookedCall
    {
        public nint Invoke(int extraFlags) => SendMsgOriginal(fd, message, flags | extraFlags);
    }

    private readonly struct SendToCall(int fd, void* buffer, nint length, int flags, void* address, int addressLength) : IHookedCall
    {
        public nint Invoke(int extraFlags) => SendToOriginal(fd, buffer, length, flags | extraFlags, address, addressLength);
    }
}
