using System.Runtime.InteropServices;

namespace Co.Benchmarks;

/// <summary>The harness's P/Invokes on Linux x64 (glibc): thread affinity, raw futex, and the socket calls the hook
/// benchmarks time.</summary>
internal static unsafe partial class LinuxNative
{
    private const long SYS_futex = 202;          // x86_64
    private const int FUTEX_WAIT_PRIVATE = 128;  // FUTEX_WAIT | FUTEX_PRIVATE_FLAG
    private const int FUTEX_WAKE_PRIVATE = 129;  // FUTEX_WAKE | FUTEX_PRIVATE_FLAG

    [LibraryImport("libc", EntryPoint = "sched_setaffinity", SetLastError = true)]
    private static partial int SchedSetAffinity(int pid, nuint cpuSetSize, ulong* mask);

    [LibraryImport("libc", EntryPoint = "sched_getcpu")]
    private static partial int SchedGetCpu();

    // glibc's syscall(2) is variadic; on x86_64 its integer arguments travel in registers exactly as for a
    // non-variadic call (it is a plain assembly stub), so a fixed 7-argument signature is safe.
    [LibraryImport("libc", EntryPoint = "syscall", SetLastError = true)]
    private static partial long Syscall6(long number, int* uaddr, int op, int val, void* timeout, int* uaddr2, int val3);

    [LibraryImport("libc", EntryPoint = "socketpair")]
    public static partial int SocketPair(int domain, int type, int protocol, int* pair);

    [LibraryImport("libc", EntryPoint = "send")]
    public static partial nint Send(int fd, byte* buffer, nint length, int flags);

    [LibraryImport("libc", EntryPoint = "recv")]
    public static partial nint Recv(int fd, byte* buffer, nint length, int flags);

    public static void PinCurrentThread(int cpu)
    {
        ulong mask = 1UL << cpu;
        if (SchedSetAffinity(0, (nuint)sizeof(ulong), &mask) != 0)
            throw new InvalidOperationException($"sched_setaffinity(cpu {cpu}) failed: errno {Marshal.GetLastPInvokeError()}");
    }

    public static int CurrentCpu() => SchedGetCpu();

    public static void WaitOnWord(int* word, int expected) =>
        Syscall6(SYS_futex, word, FUTEX_WAIT_PRIVATE, expected, null, null, 0);

    public static void WakeOne(int* word) =>
        Syscall6(SYS_futex, word, FUTEX_WAKE_PRIVATE, 1, null, null, 0);
}
