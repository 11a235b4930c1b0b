using System.Runtime.InteropServices;

namespace Co.Benchmarks;

/// <summary>The harness's P/Invokes on Windows (and under Wine): thread affinity, the current processor, and
/// WaitOnAddress/WakeByAddressSingle from the API set Microsoft documents for them.</summary>
internal static unsafe partial class WindowsNative
{
    private const string SynchApiSet = "api-ms-win-core-synch-l1-2-0.dll";
    private const uint Infinite = 0xFFFFFFFF;

    [LibraryImport("kernel32.dll")]
    private static partial nint GetCurrentThread();

    [LibraryImport("kernel32.dll", SetLastError = true)]
    private static partial nuint SetThreadAffinityMask(nint thread, nuint mask);

    [LibraryImport("kernel32.dll")]
    private static partial uint GetCurrentProcessorNumber();

    [LibraryImport(SynchApiSet)]
    [return: MarshalAs(UnmanagedType.Bool)]
    private static partial bool WaitOnAddress(void* address, void* compareAddress, nuint addressSize, uint milliseconds);

    [LibraryImport(SynchApiSet)]
    private static partial void WakeByAddressSingle(void* address);

    public static void PinCurrentThread(int cpu)
    {
        if (SetThreadAffinityMask(GetCurrentThread(), (nuint)(1UL << cpu)) == 0)
            throw new InvalidOperationException($"SetThreadAffinityMask(cpu {cpu}) failed: error {Marshal.GetLastPInvokeError()}");
    }

    public static int CurrentCpu() => (int)GetCurrentProcessorNumber();

    public static void WaitOnWord(int* word, int expected) => WaitOnAddress(word, &expected, sizeof(int), Infinite);

    public static void WakeOne(int* word) => WakeByAddressSingle(word);
}
