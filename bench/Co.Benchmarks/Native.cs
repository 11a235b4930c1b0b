using System.Runtime.InteropServices;

namespace Co.Benchmarks;

/// <summary>
/// The platform calls of the benchmark harness, chosen at run time: Linux (glibc: sched_setaffinity, sched_getcpu,
/// futex) or Windows (SetThreadAffinityMask, GetCurrentProcessorNumber, WaitOnAddress/WakeByAddressSingle — the
/// Windows counterpart of futex, which the runtime's own Windows baton uses too). The socket calls the hook
/// benchmarks time are Linux's only (the hooks unit does not run on Windows).
/// </summary>
internal static unsafe class Native
{
    /// <summary>Pins the calling thread to one CPU. Throws when the OS refuses.</summary>
    public static void PinCurrentThread(int cpu)
    {
        if (cpu < 0 || cpu >= 64) throw new ArgumentOutOfRangeException(nameof(cpu));
        if (OperatingSystem.IsWindows()) WindowsNative.PinCurrentThread(cpu);
        else LinuxNative.PinCurrentThread(cpu);
    }

    /// <summary>CPU the calling thread runs on right now (-1 on failure).</summary>
    public static int CurrentCpu() => OperatingSystem.IsWindows() ? WindowsNative.CurrentCpu() : LinuxNative.CurrentCpu();

    /// <summary>Blocks while *word == expected (spurious returns possible: callers loop).</summary>
    public static void WaitOnWord(int* word, int expected)
    {
        if (OperatingSystem.IsWindows()) WindowsNative.WaitOnWord(word, expected);
        else LinuxNative.WaitOnWord(word, expected);
    }

    /// <summary>Wakes one waiter of <paramref name="word"/>.</summary>
    public static void WakeOne(int* word)
    {
        if (OperatingSystem.IsWindows()) WindowsNative.WakeOne(word);
        else LinuxNative.WakeOne(word);
    }

    /// <summary>How the raw handoff baseline parks a thread on this OS, for the table's notes.</summary>
    public static string WaitPrimitive => OperatingSystem.IsWindows() ? "WaitOnAddress/WakeByAddressSingle" : "futex wait/wake";
}
