using System.Runtime.InteropServices;

namespace Co.Platform.Linux;

/// <summary>
/// The Linux futex system call, reached through libc's <c>syscall</c>. Used by <see cref="Scheduling.ThreadSignal"/> for
/// the one-wake-one-wait baton hand-off between the threads of a scheduler.
/// </summary>
/// <remarks>
/// Invariant the callers rely on: the futex word lives in memory that never moves (a pinned-object-heap array), because
/// the kernel keys waiters by address. <c>syscall</c> is variadic; on x64 SysV the caller's AL only decides whether the
/// callee spills vector registers, so calling it through a fixed-signature P/Invoke is sound.
/// </remarks>
internal static unsafe partial class Futex
{
    private const long SysFutex = 202;
    private const int FutexWaitPrivate = 128;
    private const int FutexWakePrivate = 129;

    [StructLayout(LayoutKind.Sequential)]
    private struct Timespec
    {
        public long Seconds;
        public long Nanoseconds;
    }

    [LibraryImport("libc", EntryPoint = "syscall")]
    private static partial long SyscallWait(long number, int* address, int operation, int expected, Timespec* timeout, nint unused1, int unused2);

    [LibraryImport("libc", EntryPoint = "syscall")]
    private static partial long SyscallWake(long number, int* address, int operation, int count, nint unused1, nint unused2, int unused3);

    /// <summary>Sleeps while <c>*address == expected</c>, at most <paramref name="timeoutNanoseconds"/> (negative: no limit).
    /// Returns early on a wake, a signal or a spurious wake-up: callers re-check their word.</summary>
    public static void Wait(int* address, int expected, long timeoutNanoseconds)
    {
        if (timeoutNanoseconds < 0)
        {
            SyscallWait(SysFutex, address, FutexWaitPrivate, expected, null, 0, 0);
            return;
        }

        var timeout = new Timespec { Seconds = timeoutNanoseconds / 1_000_000_000, Nanoseconds = timeoutNanoseconds % 1_000_000_000 };
        SyscallWait(SysFutex, address, FutexWaitPrivate, expected, &timeout, 0, 0);
    }

    /// <summary>Wakes up to <paramref name="count"/> threads sleeping on <paramref name="address"/>.</summary>
    public static void Wake(int* address, int count) => SyscallWake(SysFutex, address, FutexWakePrivate, count, 0, 0, 0);
}
