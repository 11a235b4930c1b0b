using System.Runtime.InteropServices;

namespace Co.Platform.Linux;

/// <summary>
/// The libc socket calls of the coroutine socket API. Each import sets the last P/Invoke error, read once right after
/// the call (<see cref="Marshal.GetLastPInvokeError"/>), which is this layer's errno.
/// </summary>
/// <remarks>Pointers passed in come from stackalloc, pinned spans or fixed statements of the calling frame.</remarks>
internal static unsafe partial class SocketCalls
{
    public const int AfInet = 2;
    public const int AfInet6 = 10;
    public const int SockStream = 1;
    public const int SockDgram = 2;
    public const int SockNonblock = 0x800;
    public const int SockCloexec = 0x80000;
    public const int MsgDontwait = 0x40;
    public const int MsgNosignal = 0x4000;
    public const int SolSocket = 1;
    public const int SoReuseaddr = 2;
    public const int SoError = 4;
    public const int SoSndbuf = 7;
    public const int SoRcvbuf = 8;
    public const int SoKeepalive = 9;
    public const int SoLinger = 13;
    public const int IpprotoTcp = 6;
    public const int TcpNodelay = 1;
    public const int FGetfl = 3;
    public const int FSetfl = 4;
    public const int ONonblock = 0x800;
    public const int ShutRd = 0;
    public const int ShutWr = 1;
    public const int ShutRdwr = 2;

    [LibraryImport("libc", EntryPoint = "socket", SetLastError = true)]
    public static partial int Socket(int domain, int type, int protocol);

    [LibraryImport("libc", EntryPoint = "bind", SetLastError = true)]
    public static partial int Bind(int fd, byte* address, int length);

    [LibraryImport("libc", EntryPoint = "listen", SetLastError = true)]
    public static partial int Listen(int fd, int backlog);

    [LibraryImport("libc", EntryPoint = "accept4", SetLastError = true)]
    public static partial int Accept4(int fd, byte* address, int* length, int flags);

    [LibraryImport("libc", EntryPoint = "connect", SetLastError = true)]
    public static partial int Connect(int fd, byte* address, int length);

    [LibraryImport("libc", EntryPoint = "recv", SetLastError = true)]
    public static partial nint Recv(int fd, byte* buffer, nint length, int flags);

    [LibraryImport("libc", EntryPoint = "recvfrom", SetLastError = true)]
    public static partial nint RecvFrom(int fd, byte* buffer, nint length, int flags, byte* address, int* addressLength);

    [LibraryImport("libc", EntryPoint = "send", SetLastError = true)]
    public static partial nint Send(int fd, byte* buffer, nint length, int flags);

    [LibraryImport("libc", EntryPoint = "sendto", SetLastError = true)]
    public static partial nint SendTo(int fd, byte* buffer, nint length, int flags, byte* address, int addressLength);

    [LibraryImport("libc", EntryPoint = "shutdown", SetLastError = true)]
    public static partial int Shutdown(int fd, int how);

    [LibraryImport("libc", EntryPoint = "close", SetLastError = true)]
    public static partial int Close(int fd);

    [LibraryImport("libc", EntryPoint = "getsockopt", SetLastError = true)]
    public static partial int GetSockOpt(int fd, int level, int option, byte* value, int* length);

    [LibraryImport("libc", EntryPoint = "setsockopt", SetLastError = true)]
    public static partial int SetSockOpt(int fd, int level, int option, byte* value, int length);

    [LibraryImport("libc", EntryPoint = "getpeername", SetLastError = true)]
    public static partial int GetPeerName(int fd, byte* address, int* length);

    [LibraryImport("libc", EntryPoint = "getsockname", SetLastError = true)]
    public static partial int GetSockName(int fd, byte* address, int* length);

    [LibraryImport("libc", EntryPoint = "fcntl", SetLastError = true)]
    public static partial int Fcntl(int fd, int command, int argument);

    [LibraryImport("libc", EntryPoint = "poll", SetLastError = true)]
    private static partial int Poll(long* fds, nuint count, int timeout);

    /// <summary>Whether <paramref name="fd"/> is ready to read (else write) right now — or has an error or hang-up a
    /// call would report: a zero-timeout poll, level-triggered, unlike the poller's edges.</summary>
    public static bool IsReadyNow(int fd, bool read)
    {
        long pollfd = (long)(uint)fd | ((long)(read ? 0x1 : 0x4) << 32); // struct pollfd { fd; events; revents; }
        return Poll(&pollfd, 1, 0) > 0;
    }
}
