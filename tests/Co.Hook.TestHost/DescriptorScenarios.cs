using System.Runtime.InteropServices;

/// <summary>
/// Scenarios of the descriptor-level hooks: the socket bitmap (which descriptors the read/write/close gates let
/// through), read/write/readv/writev/close on sockets, select/ppoll/epoll_wait, the gethostbyname family, libc's
/// results for bad input, and enabling/disabling the hooks repeatedly — one file per area
/// (DescriptorScenarios.Tracking.cs, ...). This file holds what several areas share: the socket constants, EBADF
/// and the libc imports.
/// </summary>
internal static unsafe partial class DescriptorScenarios
{
    private const int AfUnix = 1;
    private const int SockStream = 1;
    private const int EBADF = 9;

    /// <summary>The libc functions the scenarios call, through the (hooked) exports.</summary>
    private static partial class Native
    {
        [LibraryImport("libc", EntryPoint = "socket", SetLastError = true)]
        public static partial int Socket(int domain, int type, int protocol);

        [LibraryImport("libc", EntryPoint = "socketpair", SetLastError = true)]
        public static partial int SocketPair(int domain, int type, int protocol, int* pair);

        [LibraryImport("libc", EntryPoint = "pipe", SetLastError = true)]
        public static partial int Pipe(int* pair);

        [LibraryImport("libc", EntryPoint = "dup", SetLastError = true)]
        public static partial int Dup(int fd);

        [LibraryImport("libc", EntryPoint = "dup2", SetLastError = true)]
        public static partial int Dup2(int fd, int target);

        [LibraryImport("libc", EntryPoint = "close", SetLastError = true)]
        public static partial int Close(int fd);

        [LibraryImport("libc", EntryPoint = "accept", SetLastError = true)]
        public static partial int Accept(int fd, void* address, int* length);

        [LibraryImport("libc", EntryPoint = "shutdown", SetLastError = true)]
        public static partial int Shutdown(int fd, int how);

        [LibraryImport("libc", EntryPoint = "recv", SetLastError = true)]
        public static partial nint Recv(int fd, void* buffer, nint length, int flags);

        [LibraryImport("libc", EntryPoint = "send", SetLastError = true)]
        public static partial nint Send(int fd, void* buffer, nint length, int flags);

        [LibraryImport("libc", EntryPoint = "read", SetLastError = true)]
        public static partial nint Read(int fd, void* buffer, nint length);

        [LibraryImport("libc", EntryPoint = "write", SetLastError = true)]
        public static partial nint Write(int fd, void* buffer, nint length);

        [LibraryImport("libc", EntryPoint = "readv", SetLastError = true)]
        public static partial nint Readv(int fd, long* vectors, int count);

        [LibraryImport("libc", EntryPoint = "writev", SetLastError = true)]
        public static partial nint Writev(int fd, long* vectors, int count);

        [LibraryImport("libc", EntryPoint = "poll", SetLastError = true)]
        public static partial int Poll(long* fds, nuint count, int timeout);

        [LibraryImport("libc", EntryPoint = "ppoll", SetLastError = true)]
        public static partial int Ppoll(long* fds, nuint count, long* timeout, void* mask);

        [LibraryImport("libc", EntryPoint = "select", SetLastError = true)]
        public static partial int Select(int count, ulong* read, ulong* write, ulong* except, long* timeout);

        [LibraryImport("libc", EntryPoint = "epoll_create1", SetLastError = true)]
        public static partial int EpollCreate1(int flags);

        [LibraryImport("libc", EntryPoint = "epoll_ctl", SetLastError = true)]
        public static partial int EpollCtl(int epoll, int operation, int fd, void* registration);

        [LibraryImport("libc", EntryPoint = "epoll_wait", SetLastError = true)]
        public static partial int EpollWait(int epoll, void* events, int capacity, int timeout);

        [LibraryImport("libc", EntryPoint = "usleep", SetLastError = true)]
        public static partial int USleep(uint microseconds);

        [LibraryImport("libc", EntryPoint = "nanosleep", SetLastError = true)]
        public static partial int NanoSleep(long* request, long* remaining);

        [LibraryImport("libc", EntryPoint = "gethostbyname", SetLastError = true)]
        public static partial void* GetHostByName(byte* name);

        [LibraryImport("libc", EntryPoint = "gethostbyname_r", SetLastError = true)]
        public static partial int GetHostByNameR(byte* name, void* entry, byte* buffer, nint length, void** result, int* hostErrno);

        [LibraryImport("libc", EntryPoint = "getnameinfo", SetLastError = true)]
        public static partial int GetNameInfo(void* address, int length, byte* host, int hostLength, byte* service, int serviceLength, int flags);
    }
}
