using System.Diagnostics;
using System.Runtime.InteropServices;

namespace Co.Benchmarks;

/// <summary>
/// Custom harness for cross-thread handoffs (BenchmarkDotNet cannot pin the two threads of a handoff):
/// the baseline PinnedFutexHandoff (two raw threads pinned to one CPU alternating through futex wait/wake; on Windows
/// WaitOnAddress/WakeByAddressSingle, the runtime's own Windows baton primitive, under the same row name) and
/// SyncEventPingPong (two sync coroutines on scheduler 0 alternating through two Events, which hands the
/// scheduler's baton between their two OS threads). Rounds are interleaved (baseline, Co, baseline, Co, ...)
/// after one warm-up round each; the table reports the median and min per switch and the ratio of medians.
/// </summary>
public static class HandoffBenchmarks
{
    public const string Baseline = "PinnedFutexHandoff";
    public const string SyncEvent = "SyncEventPingPong";
    public static readonly string[] Names = { Baseline, SyncEvent };
    private const int FutexCpu = 0;

    public static void Run(IReadOnlySet<string>? only)
    {
        int rounds = Harness.Quick ? 3 : 7;
        int roundTrips = Harness.Quick ? 5_000 : 50_000;
        bool runCo = only is null || only.Contains(SyncEvent);

        var futex = new List<double>();
        var sync = new List<double>();
        string? futexError = null, syncError = null;
        var syncNotes = new SyncObservations();

        // Warm-up (not recorded).
        try { FutexRound(roundTrips / 5); } catch (Exception e) { futexError = e.Message; }
        if (runCo)
        {
            try { CoWarmup.StartSchedulers(); SyncEventRound(roundTrips / 5, syncNotes); }
            catch (Exception e) { syncError = Describe(e); }
        }

        for (int r = 0; r < rounds; r++)
        {
            if (futexError is null)
            {
                try { futex.Add(FutexRound(roundTrips)); }
                catch (Exception e) { futexError = e.Message; }
            }
            if (runCo && syncError is null)
            {
                try { sync.Add(SyncEventRound(roundTrips, syncNotes)); }
                catch (Exception e) { syncError = Describe(e); }
            }
            Console.WriteLine($"[handoff] round {r + 1}/{rounds}: futex {(futex.Count > r ? BenchResult.Fmt(futex[r]) : "—")} ns/switch"
                              + (runCo ? $", sync Event {(sync.Count > r ? BenchResult.Fmt(sync[r]) : "—")} ns/switch" : ""));
        }

        double? baseMed = null;
        var b = new BenchResult { Name = Baseline, Group = "handoff", Unit = "ns/switch", Target = TargetKind.Baseline,
            Notes = $"2 threads pinned to CPU {FutexCpu}, {Native.WaitPrimitive} park/unpark (wake skipped when the peer is awake) on NativeMemory words; {roundTrips:N0} round trips (2 switches each) per round",
            Error = futexError };
        if (futex.Count > 0)
        {
            var (m, mn) = Harness.Stats(futex);
            b.Median = m; b.Min = mn; b.Samples = futex.Count; baseMed = m;
        }
        ResultSink.Add(b);

        if (!runCo) return;
        var s = new BenchResult { Name = SyncEvent, Group = "handoff", Unit = "ns/switch", Baseline = Baseline, BaselineMedian = baseMed,
            Target = TargetKind.RatioMax, TargetValue = 2, Error = syncError };
        if (sync.Count > 0)
        {
            var (m, mn) = Harness.Stats(sync);
            s.Median = m; s.Min = mn; s.Samples = sync.Count;
        }
        s.Notes = $"2 sync coroutines on scheduler 0, 2 auto-reset Events; {roundTrips:N0} round trips per round; {syncNotes}"
                  + Join(Harness.TakeAnomalies());
        ResultSink.Add(s);
    }

    private static string Join(string s) => s.Length == 0 ? "" : "; " + s;

    private static string Describe(Exception e) => e is TimeoutException ? "HANG: " + e.Message : e.GetType().Name + ": " + e.Message;

    /// <summary>
    /// One round of the raw pinned futex handoff; returns ns per switch. Each thread owns a futex word (own cache
    /// line, NativeMemory so it never moves) with three states — 0 idle, 1 permit pending, -1 owner asleep — so a
    /// handoff is one wake of a sleeping peer and one wait, and the wake syscall is skipped when the peer is awake:
    /// the cheapest correct futex handoff, the floor for a baton pass between two OS threads.
    /// </summary>
    private static unsafe double FutexRound(int roundTrips)
    {
        byte* block = (byte*)NativeMemory.AlignedAlloc(128, 64);
        try
        {
            int* wa = (int*)block, wb = (int*)(block + 64);
            *wa = 0; *wb = 0;
            using var start = new Barrier(2);
            long elapsed = 0;
            Exception? failure = null;
            var a = new Thread(() =>
            {
                try
                {
                    Native.PinCurrentThread(FutexCpu);
                    start.SignalAndWait();
                    long t0 = Stopwatch.GetTimestamp();
                    for (int i = 0; i < roundTrips; i++)
                    {
                        Unpark(wb);
                        Park(wa);
                    }
                    elapsed = Stopwatch.GetTimestamp() - t0;
                }
                catch (Exception e) { failure = e; }
            }, 256 * 1024) { IsBackground = true, Name = "futex-A" };
            var b = new Thread(() =>
            {
                try
                {
                    Native.PinCurrentThread(FutexCpu);
                    start.SignalAndWait();
                    for (int i = 0; i < roundTrips; i++)
                    {
                        Park(wb);
                        Unpark(wa);
                    }
                }
                catch (Exception e) { failure = e; }
            }, 256 * 1024) { IsBackground = true, Name = "futex-B" };
            a.Start(); b.Start();
            if (!a.Join(60_000) || !b.Join(60_000)) throw new TimeoutException("futex handoff did not finish in 60 s");
            if (failure is not null) throw failure;
            return Harness.NsPerOp(elapsed, 2L * roundTrips);
        }
        finally { NativeMemory.AlignedFree(block); }
    }

    private static unsafe void Park(int* word)
    {
        if (Interlocked.CompareExchange(ref *word, -1, 0) == 1) { Volatile.Write(ref *word, 0); return; }
        while (Volatile.Read(ref *word) == -1) Native.WaitOnWord(word, -1);
        Volatile.Write(ref *word, 0);
    }

    private static unsafe void Unpark(int* word)
    {
        if (Interlocked.Exchange(ref *word, 1) == -1) Native.WakeOne(word);
    }

    /// <summary>What the sync ping-pong saw about its threads (a sync coroutine keeps its OS thread for life).</summary>
    private sealed class SyncObservations
    {
        public readonly HashSet<int> Cpus = new();
        public readonly HashSet<string> Allowed = new();   // Cpus_allowed_list of the coroutines' threads
        public bool SameThread;            // A and B ran on one OS thread (impossible for two parked sync coroutines)
        public bool ThreadChanged;         // a coroutine's thread changed between its start and its end
        public bool WrongScheduler;
        public override string ToString()
        {
            lock (this)
                return $"CPUs seen by the coroutines: {(Cpus.Count == 0 ? "none" : string.Join(",", Cpus.Order()))}"
                       + (OperatingSystem.IsLinux() ? $"; their threads' Cpus_allowed_list: {(Allowed.Count == 0 ? "none" : string.Join(" | ", Allowed.Order()))}" : "")
                       + (SameThread ? "; A and B shared one thread" : "; A and B on distinct threads")
                       + (ThreadChanged ? "; ANOMALY: a sync coroutine changed OS thread" : "")
                       + (WrongScheduler ? "; ANOMALY: ran off scheduler 0" : "");
        }
    }

    /// <summary>One round of two sync coroutines ping-ponging on scheduler 0; returns ns per switch, timed
    /// inside coroutine A from its first Signal to its last wake-up.</summary>
    private static double SyncEventRound(int roundTrips, SyncObservations obs)
    {
        var s = Coroutine.Schedulers[0];
        var a = new Event();
        var b = new Event();
        var done = new Completion(2);
        long elapsed = 0;
        int tidA = 0, tidB = 0;
        s.Go(() =>
        {
            int tid = Environment.CurrentManagedThreadId, cpu0 = Native.CurrentCpu();
            NoteAffinity(obs);
            long t0 = Stopwatch.GetTimestamp();
            for (int i = 0; i < roundTrips; i++)
            {
                a.Signal();
                b.Wait();
            }
            elapsed = Stopwatch.GetTimestamp() - t0;
            Observe(obs, tid, cpu0);
            tidA = tid;
            done.Signal();
        });
        s.Go(() =>
        {
            int tid = Environment.CurrentManagedThreadId, cpu0 = Native.CurrentCpu();
            NoteAffinity(obs);
            for (int i = 0; i < roundTrips; i++)
            {
                a.Wait();
                b.Signal();
            }
            Observe(obs, tid, cpu0);
            tidB = tid;
            done.Signal();
        });
        done.Wait(SyncEvent);
        lock (obs) if (tidA == tidB) obs.SameThread = true;
        return Harness.NsPerOp(elapsed, 2L * roundTrips);
    }

    private static void NoteAffinity(SyncObservations obs)
    {
        if (!OperatingSystem.IsLinux()) return;   // Cpus_allowed_list is Linux's /proc: elsewhere the list stays empty
        string allowed = "?";
        try
        {
            foreach (var line in File.ReadLines("/proc/thread-self/status"))
                if (line.StartsWith("Cpus_allowed_list:", StringComparison.Ordinal)) { allowed = line.Substring(18).Trim(); break; }
        }
        catch (IOException) { }
        lock (obs) obs.Allowed.Add(allowed);
    }

    private static void Observe(SyncObservations obs, int tidAtStart, int cpuAtStart)
    {
        int cpu1 = Native.CurrentCpu();
        bool changed = Environment.CurrentManagedThreadId != tidAtStart;
        bool wrong = Coroutine.SchedulerId != 0;
        lock (obs)
        {
            obs.Cpus.Add(cpuAtStart);
            obs.Cpus.Add(cpu1);
            obs.ThreadChanged |= changed;
            obs.WrongScheduler |= wrong;
        }
    }
}
