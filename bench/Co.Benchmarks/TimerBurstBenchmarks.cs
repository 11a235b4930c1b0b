using System.Diagnostics;

namespace Co.Benchmarks;

/// <summary>
/// A burst of timers due at one instant against the same number of waiters woken through one Event, on scheduler 0:
/// the baseline EventWakeBurst (N async coroutines parked in one manual-reset <c>Event.WaitAsync</c>; from
/// <c>Signal</c> to the last one resumed) and TimerBurst (N async coroutines in <c>SleepAsync</c> until one shared
/// deadline; from the deadline to the last one resumed). Both are per coroutine. Rounds are interleaved (Event, timers,
/// Event, ...) after one warm-up round each; the table reports the median and min and the ratio of medians.
/// </summary>
public static class TimerBurstBenchmarks
{
    public const string Baseline = "EventWakeBurst";
    public const string Timers = "TimerBurst";
    public static readonly string[] Names = { Baseline, Timers };

    public static void Run(IReadOnlySet<string>? only)
    {
        int rounds = Harness.Quick ? 3 : 5;
        int n = Harness.Quick ? 20_000 : 200_000;
        bool runTimers = only is null || only.Contains(Timers);
        var events = new List<double>();
        var timers = new List<double>();
        string? eventError = null, timerError = null;
        CoWarmup.StartSchedulers();

        for (int r = -1; r < rounds; r++)
        {
            if (eventError is null)
            {
                try { double ns = EventRound(n); if (r >= 0) events.Add(ns); }
                catch (Exception e) { eventError = Describe(e); }
            }
            if (runTimers && timerError is null)
            {
                try { double ns = TimerRound(n); if (r >= 0) timers.Add(ns); }
                catch (Exception e) { timerError = Describe(e); }
            }
            GC.Collect();
            Console.WriteLine($"[timers] round {(r < 0 ? "warm-up" : $"{r + 1}/{rounds}")}: Event wake {(r >= 0 && events.Count > r ? BenchResult.Fmt(events[r]) : "—")} ns/coroutine"
                              + (runTimers ? $", timer burst {(r >= 0 && timers.Count > r ? BenchResult.Fmt(timers[r]) : "—")} ns/coroutine" : ""));
        }

        double? baseMed = null;
        var b = new BenchResult { Name = Baseline, Group = "timers", Unit = "ns/coroutine", Target = TargetKind.Baseline,
            Notes = $"{n:N0} async coroutines on scheduler 0 parked in one manual-reset Event.WaitAsync; Signal → last resumed", Error = eventError };
        if (events.Count > 0)
        {
            var (m, mn) = Harness.Stats(events);
            b.Median = m; b.Min = mn; b.Samples = events.Count; baseMed = m;
        }
        ResultSink.Add(b);

        if (!runTimers) return;
        var t = new BenchResult { Name = Timers, Group = "timers", Unit = "ns/coroutine", Baseline = Baseline, BaselineMedian = baseMed,
            Target = TargetKind.RatioMax, TargetValue = 1.5, Error = timerError,
            Notes = $"{n:N0} async coroutines on scheduler 0 in SleepAsync until one shared deadline; deadline → last resumed" + Join(Harness.TakeAnomalies()) };
        if (timers.Count > 0)
        {
            var (m, mn) = Harness.Stats(timers);
            t.Median = m; t.Min = mn; t.Samples = timers.Count;
        }
        ResultSink.Add(t);
    }

    private static string Join(string s) => s.Length == 0 ? "" : "; " + s;

    private static string Describe(Exception e) => e is TimeoutException ? "HANG: " + e.Message : e.GetType().Name + ": " + e.Message;

    /// <summary>One Event burst; returns ns per coroutine from Signal to the last resumed.</summary>
    private static double EventRound(int n)
    {
        var s = Coroutine.Schedulers[0];
        var gate = new Event(manualReset: true);
        var parked = new Completion(n);
        var done = new Completion(n);
        long last = 0;
        for (int i = 0; i < n; i++)
            s.Go(async () =>
            {
                parked.Signal();
                await gate.WaitAsync();
                Volatile.Write(ref last, Stopwatch.GetTimestamp());
                done.Signal();
            });
        parked.Wait("EventWakeBurst: parking");
        Thread.Sleep(50); // the last ones reach their await
        long signaled = Stopwatch.GetTimestamp();
        gate.Signal();
        done.Wait("EventWakeBurst: wake-up");
        return Harness.NsPerOp(Volatile.Read(ref last) - signaled, n);
    }

    /// <summary>One timer burst; returns ns per coroutine from the shared deadline to the last resumed.</summary>
    private static double TimerRound(int n)
    {
        var s = Coroutine.Schedulers[0];
        var started = new Completion(n);
        var done = new Completion(n);
        long ticksPerMs = Stopwatch.Frequency / 1000;
        long deadline = Stopwatch.GetTimestamp() + (n / 20 + 500) * ticksPerMs; // time enough to start them all
        long last = 0;
        for (int i = 0; i < n; i++)
            s.Go(async () =>
            {
                started.Signal();
                long left = deadline - Stopwatch.GetTimestamp();
                await Coroutine.SleepAsync((int)Math.Max(1, (left + ticksPerMs - 1) / ticksPerMs));
                Volatile.Write(ref last, Stopwatch.GetTimestamp());
                done.Signal();
            });
        started.Wait("TimerBurst: starting");
        if (Stopwatch.GetTimestamp() >= deadline)
            throw new InvalidOperationException("the coroutines started too slowly to share one deadline (machine overloaded?)");
        done.Wait("TimerBurst: expiry", 120_000);
        return Harness.NsPerOp(Volatile.Read(ref last) - deadline, n);
    }
}
