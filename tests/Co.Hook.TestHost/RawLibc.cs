using System.Runtime.InteropServices;

/// <summary>Raw libc calls of the hook scenarios.</summary>
internal static unsafe partial class RawLibc
{
    [LibraryImport("libc", EntryPoint = "usleep")]
    public static partial int USleep(uint microseconds);

    [LibraryImport("libc", EntryPoint = "nanosleep", SetLastError = true)]
    public static partial int NanoSleep(long* request, long* remaining);

    [LibraryImport("libc", EntryPoint = "socket", SetLastError = true)]
    public static partial int Socket(int domain, int type, int protocol);

    [LibraryImport("libc", EntryPoint = "connect", SetLastError = true)]
    public static partial int Connect(int fd, byte* address, int length);

    [LibraryImport("libc", EntryPoint = "close")]
    public static partial int Close(int fd);

    [LibraryImport("libc", EntryPoint = "fcntl")]
    public static partial int Fcntl(int fd, int command, int argument);

    [LibraryImport("libc", EntryPoint = "poll")]
    public static partial int Poll(long* fds, nuint count, int timeout);

    [LibraryImport("libc", EntryPoint = "setsockopt")]
    public static partial int SetSockOpt(int fd, int level, int option, void* value, int length);

    /// <summary>Writes a sockaddr_in for 127.0.0.1:<paramref name="port"/> into the 16 bytes at
    /// <paramref name="address"/>.</summary>
    public static void WriteLoopbackV4(byte* address, int port)
    {
        new Span<byte>(address, 16).Clear();
        address[0] = 2; // AF_INET
        address[2] = (byte)(port >> 8);
        address[3] = (byte)port;
        address[4] = 127;
        address[7] = 1;
    }
}
