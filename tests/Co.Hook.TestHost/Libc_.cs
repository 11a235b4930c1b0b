using System.Runtime.InteropServices;

/// <summary>libc calls of the detour scenarios, declared apart from the ones they detour.</summary>
internal static unsafe partial class Libc_
{
    [LibraryImport("libc")]
    public static partial int getppid();

    [LibraryImport("libc", SetLastError = true)]
    public static partial nint recv(int fd, byte* buffer, nint length, int flags);

    [LibraryImport("libc")]
    public static partial nint send(int fd, byte* buffer, nint length, int flags);

    [LibraryImport("libc")]
    public static partial int socketpair(int domain, int type, int protocol, int* pair);

    [LibraryImport("libc")]
    public static partial nint mmap(nint address, nint length, int protection, int flags, int fd, nint offset);
}
