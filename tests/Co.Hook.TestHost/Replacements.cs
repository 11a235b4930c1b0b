using System.Runtime.InteropServices;

/// <summary>The replacements the detour scenarios install.</summary>
internal static unsafe class Replacements
{
    public const int FakeParent = 424242;

    public static nint RecvOriginal;
    public static int RecvCalls;

    [UnmanagedCallersOnly]
    public static int Getppid() => FakeParent;

    /// <summary>Calls the original through its trampoline, counts the call, and returns with errno as the original
    /// left it (saved right after the call, restored last, as a hook handler must).</summary>
    [UnmanagedCallersOnly]
    public static nint Recv(int fd, byte* buffer, nint length, int flags)
    {
        nint original = Volatile.Read(ref RecvOriginal);
        nint result = ((delegate* unmanaged<int, byte*, nint, int, nint>)original)(fd, buffer, length, flags);
        int errno = Marshal.GetLastSystemError();
        Interlocked.Increment(ref RecvCalls);
        Marshal.SetLastSystemError(errno);
        return result;
    }
}
