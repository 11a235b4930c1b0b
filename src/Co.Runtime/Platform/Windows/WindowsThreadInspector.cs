using System.Runtime.InteropServices;

namespace Co.Platform.Windows;

/// <summary>
/// <see cref="IThreadInspector"/> for Windows, which has no procfs to say "asleep in the kernel": a thread counts as
/// asleep when its CPU time (QueryThreadCycleTime, exact where GetThreadTimes counts in 15.6 ms ticks) did not advance
/// between this look and the previous one. The first look at a thread therefore reads "not known" (false), and a
/// thread that was runnable but given no CPU for a whole look reads as asleep: the monitor's second look in a row
/// guards against that, as it guards against a thread caught between two system calls on Linux. Which call a thread
/// sleeps in is not readable here: <see cref="BlockedIn"/> says null.
/// </summary>
internal sealed class WindowsThreadInspector : IThreadInspector
{
    /// <summary>How many threads' last looks are kept before they are all forgotten: thread ids of exited threads
    /// would otherwise accumulate; forgetting costs one extra look per live thread.</summary>
    private const int RememberedThreads = 1024;

    private readonly Dictionary<int, ulong> _lastCycles = [];
    private readonly Lazy<string?> _barrierProblem = new(FindBarrierProblem);

    public bool IsBlocked(int threadId)
    {
        if (!TryReadCycles(threadId, out ulong cycles))
        {
            return false;
        }

        lock (_lastCycles)
        {
            if (_lastCycles.Count >= RememberedThreads)
            {
                _lastCycles.Clear();
            }

            bool seenBefore = _lastCycles.TryGetValue(threadId, out ulong previous);
            _lastCycles[threadId] = cycles;
            return seenBefore && previous == cycles;
        }
    }

    public string? BlockedIn(int threadId) => null;

    public bool IsProcessBarrierReliable(out string? problem)
    {
        problem = _barrierProblem.Value;
        return problem is null;
    }

    private static bool TryReadCycles(int threadId, out ulong cycles)
    {
        cycles = 0;
        nint thread = Kernel32.OpenThread(Kernel32.ThreadQueryLimitedInformation, inherit: false, (uint)threadId);
        if (thread == 0)
        {
            return false;
        }

        try
        {
            return Kernel32.QueryThreadCycleTime(thread, out cycles);
        }
        finally
        {
            Kernel32.CloseHandle(thread);
        }
    }

    /// <summary>
    /// Why <see cref="Interlocked.MemoryBarrierProcessWide"/> (FlushProcessWriteBuffers on Windows) cannot be trusted
    /// here, or null when it can. Windows implements it with an inter-processor interrupt to every CPU running a thread
    /// of the process: a real barrier. Wine implements it in its ntdll, and Wine 8.0's NtFlushProcessWriteBuffers is a
    /// stub that returns at once (it prints "fixme:...:NtFlushProcessWriteBuffers stub" with WINEDEBUG=fixme+all), so
    /// under Wine the answer is no, whatever its version: fail closed.
    /// </summary>
    private static string? FindBarrierProblem() =>
        WineVersion() is { } wine
            ? $"running under Wine {wine}, whose FlushProcessWriteBuffers (Interlocked.MemoryBarrierProcessWide) is not known to be a process-wide barrier"
            : null;

    /// <summary>Wine's version when this process runs under Wine (its ntdll exports wine_get_version), else null.</summary>
    private static unsafe string? WineVersion()
    {
        if (!NativeLibrary.TryLoad("ntdll.dll", out nint ntdll) || !NativeLibrary.TryGetExport(ntdll, "wine_get_version", out nint export))
        {
            return null;
        }

        return Marshal.PtrToStringAnsi(((delegate* unmanaged<nint>)export)()) ?? "(unknown version)";
    }
}
