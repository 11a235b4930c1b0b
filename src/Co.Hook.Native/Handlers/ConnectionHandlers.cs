using System.Runtime.InteropServices;
using Co.Hook.Gates;
using Co.Net;
using Co.Platform;
using Co.Scheduling;

namespace Co.Hook.Handlers;

/// <summary>
/// accept, accept4, connect and close in coroutine code. Accepting and connecting on a blocking socket park the
/// coroutine until the poller reports readiness; close releases the runtime's poller registration first, so a coroutine
/// still waiting on the socket wakes (EBADF on its retry) instead of waiting for an event that cannot come.
/// </summary>
internal static unsafe partial class ConnectionHandlers
{
    private const int SolSocket = 1;
    private const int SoAcceptconn = 30;

    [NativeHook(HookLibraries.Libc, "accept", Bookkeeping = Bookkeeping.TrackResult)]
    [UnmanagedCallersOnly]
    internal static int Accept(int fd, void* address, int* addressLength) =>
        AcceptWithoutBlocking(fd, addressLength, () => AcceptOriginal(fd, address, addressLength));

    /// <summary>accept4 (managed Socket.Accept reaches libc here).</summary>
    [NativeHook(HookLibraries.Libc, "accept4", Bookkeeping = Bookkeeping.TrackResult)]
    [UnmanagedCallersOnly]
    internal static int Accept4(int fd, void* address, int* addressLength, int flags) =>
        AcceptWithoutBlocking(fd, addressLength, () => Accept4Original(fd, address, addressLength, flags));

    /// <summary>connect on a blocking socket: made non-blocking for the call, the coroutine waits for writability, the
    /// outcome is read from SO_ERROR, and the caller's blocking mode is put back; results and errno as libc's.</summary>
    [NativeHook(HookLibraries.Libc, "connect")]
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

    /// <summary>close of a tracked socket (the gate has already cleared its bit): the poller registration goes, its
    /// waiters wake and libc closes it, with no registration possible in between (PollDescriptorTable.ForgetAndClose).
    /// Result and errno are close's own.</summary>
    [NativeHook(HookLibraries.Libc, "close", Bookkeeping = Bookkeeping.UntrackArgument0)]
    [UnmanagedCallersOnly]
    internal static int Close(int fd)
    {
        int callersErrno = Marshal.GetLastSystemError();
        using BlockingCall.Scope scope = BlockingCall.Enter();
        int result = PollDescriptorTable.Instance.ForgetAndClose(fd, static fd => CloseOriginal(fd), out int error);
        Marshal.SetLastSystemError(result == 0 ? callersErrno : error); // as libc: errno changes only on failure
        return result;
    }

    /// <summary>
    /// A blocking listener waits for readiness first, then accepts only if a connection is still queued (a zero-timeout
    /// poll), else waits again — another thread may have taken it. The new descriptor is recorded as a socket (the
    /// original is called past the gate, which would have recorded it).
    /// </summary>
    private static int AcceptWithoutBlocking(int fd, int* addressLength, Func<int> accept)
    {
        using BlockingCall.Scope scope = BlockingCall.Enter();
        if (!IsListening(fd) || !BlockingCall.WouldBlock(fd, 0))
        {
            return Tracked(accept()); // libc's answer: a socket the caller made non-blocking, or not a listener (EINVAL…)
        }

        var attempt = new PendingConnection(fd, addressLength);
        IoResult result = ReadinessLoop.Run(fd, read: true, ref attempt, IoResult.WouldBlock, verifyRegistration: true);
        return result.IsDone ? Tracked(accept()) : BlockingCall.FailWith(result);
    }

    private static int Tracked(int fd)
    {
        if (fd >= 0)
        {
            int errno = Marshal.GetLastSystemError();
            SocketBitmap.Track(fd);
            Marshal.SetLastSystemError(errno);
        }

        return fd;
    }

    /// <summary>Whether <paramref name="fd"/> is a listening socket (SO_ACCEPTCONN); false for anything else, whose
    /// accept fails at once in libc.</summary>
    private static bool IsListening(int fd)
    {
        int listening = 0;
        int length = sizeof(int);
        return GetSockOpt(fd, SolSocket, SoAcceptconn, &listening, &length) == 0 && listening != 0;
    }

    [LibraryImport("libc", EntryPoint = "getsockopt")]
    private static partial int GetSockOpt(int fd, int level, int option, int* value, int* length);

    /// <summary>The attempts of a blocking accept, each after a readiness of the listener (the loop starts with a wait):
    /// done when a connection is still queued (another thread may have taken it), with the caller's address buffer
    /// size put back for the accept that follows. Waits within SO_RCVTIMEO.</summary>
    private struct PendingConnection(int fd, int* addressLength) : IReadinessAttempt
    {
        private readonly int _capacity = addressLength is null ? 0 : *addressLength;
        private long _deadline;

        public readonly IoResult Attempt()
        {
            if (addressLength is not null)
            {
                *addressLength = _capacity;
            }

            // A zero-timeout poll of the listener: a connection still queued (another thread may have taken it).
            return CurrentPlatform.Sockets.IsReadyNow(fd, read: true) ? IoResult.Done(0) : IoResult.WouldBlock;
        }

        public readonly bool WaitsWhenBlocked() => true;

        public long Deadline() => BlockingCall.SocketDeadline(fd, read: true, ref _deadline);
    }
}
