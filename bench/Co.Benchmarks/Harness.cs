using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;

namespace Co.Benchmarks;

/// <summary>Small helpers of the custom (non-BenchmarkDotNet) harness.</summary>
public static class Harness
{
    /// <summary>Set by --quick: fewer rounds and smaller counts, for smoke runs only.</summary>
    public static bool Quick { get; set; }

    /// <summary>Things a benchmark noticed about the runtime that are not numbers (wrong scheduler, ...).</summary>
    public static readonly ConcurrentQueue<string> Anomalies = new();

    public static void Anomaly(string what)
    {
        if (Anomalies.Count < 50) Anomalies.Enqueue(what);
    }

    /// <summary>Drains the anomalies seen so far (distinct, in order).</summary>
    public static List<string> TakeAnomalyList()
    {
        var seen = new List<string>();
        while (Anomalies.TryDequeue(out var a)) if (!seen.Contains(a)) seen.Add(a);
        return seen;
    }

    /// <summary>Drains the anomalies seen so far into one note ("" when none).</summary>
    public static string TakeAnomalies()
    {
        var seen = TakeAnomalyList();
        return seen.Count == 0 ? "" : "ANOMALY: " + string.Join("; ", seen);
    }

    public static (double Median, double Min) Stats(IReadOnlyList<double> xs)
    {
        if (xs.Count == 0) throw new ArgumentException("no samples", nameof(xs));
        var s = xs.OrderBy(x => x).ToArray();
        double med = s.Length % 2 == 1 ? s[s.Length / 2] : (s[s.Length / 2 - 1] + s[s.Length / 2]) / 2;
        return (med, s[0]);
    }

    /// <summary>Blocking, compacting full GC (twice, around the finalizers).</summary>
    public static void FullGc()
    {
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Forced, blocking: true, compacting: true);
        GC.WaitForPendingFinalizers();
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Forced, blocking: true, compacting: true);
    }

    /// <summary>A field of /proc/self/status as a number (VmRSS is in kB; Threads is a count).</summary>
    public static long ProcStatus(string field)
    {
        foreach (var line in File.ReadLines("/proc/self/status"))
        {
            if (!line.StartsWith(field + ":", StringComparison.Ordinal)) continue;
            var parts = line.Substring(field.Length + 1).Trim().Split(' ', StringSplitOptions.RemoveEmptyEntries);
            return long.Parse(parts[0], CultureInfo.InvariantCulture);
        }
        throw new InvalidOperationException($"/proc/self/status has no {field}");
    }

    public static long RssBytes() => ProcStatus("VmRSS") * 1024;
    public static long Threads() => ProcStatus("Threads");

    public static double NsPerOp(long ticks, long ops) => ticks * (1e9 / Stopwatch.Frequency) / ops;
}

/// <summary>Counts finishers down; the last one releases the waiter. Waiting never hangs the harness:
/// it throws TimeoutException naming what did not finish.</summary>
public sealed class Completion
{
    private int _remaining;
    private readonly ManualResetEventSlim _done = new(false, 0);

    public Completion(int count) => _remaining = count;

    public int Remaining => Volatile.Read(ref _remaining);

    public void Signal()
    {
        if (Interlocked.Decrement(ref _remaining) == 0) _done.Set();
    }

    public void Wait(string what, int timeoutMs = 60_000)
    {
        if (!_done.Wait(timeoutMs))
            throw new TimeoutException($"{what}: {Remaining} coroutine(s) had not finished after {timeoutMs} ms (hang)");
    }

    public bool TryWait(int timeoutMs) => _done.Wait(timeoutMs);
}
