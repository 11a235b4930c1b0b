using System.Diagnostics;

namespace Co.Benchmarks;

/// <summary>
/// Memory and capacity probes (custom harness; each runs in a fresh child process so that the RSS baseline is
/// not polluted by earlier benchmarks and a crash of the sync probe cannot take the others with it).
/// RSS is VmRSS of /proc/self/status read after a blocking compacting full GC, before and while parked.
/// </summary>
public static class MemoryBenchmarks
{
    public const string ParkedTask = "ParkedTask1M";
    public const string ParkedEvent = "ParkedAsync1M";
    public const string ParkedSleep = "ParkedSleepAsync1M";
    public const string ParkedSync = "ParkedSync";
    public static readonly string[] Names = { ParkedTask, ParkedEvent, ParkedSleep, ParkedSync };

    private sealed class ParkState
    {
        public int Started;
        public int Finished;
        public Event Gate = null!;
        public Completion Done = null!;
        public long DeadlineMs;     // Environment.TickCount64 at which sleepers should wake
    }

    private static int Count => Harness.Quick ? 100_000 : 1_000_000;

    private static (long Rss, long Heap, long Threads) Snapshot()
    {
        Harness.FullGc();
        return (Harness.RssBytes(), GC.GetTotalMemory(false), Harness.Threads());
    }

    private static bool WaitUntil(Func<bool> cond, int timeoutMs)
    {
        var sw = Stopwatch.StartNew();
        while (!cond())
        {
            if (sw.ElapsedMilliseconds > timeoutMs) return false;
            Thread.Sleep(5);
        }
        return true;
    }

    /// <summary>
    /// Baseline, no Co code: 1,000,000 plain <c>async Task</c> methods parked at once on one TaskCompletionSource — what
    /// .NET itself needs per suspended async method (its state-machine box and Task), before any coroutine runtime.
    /// </summary>
    public static void RunParkedTask()
    {
        int n = Count;
        var r = new BenchResult { Name = ParkedTask, Group = "memory", Unit = "B/method", Target = TargetKind.Baseline };
        try
        {
            var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            var done = new Completion(n);
            var before = Snapshot();
            var parkedTasks = new Task[n];
            for (int i = 0; i < n; i++)
                parkedTasks[i] = Park(gate.Task, done);
            long arrayBytes = (long)n * IntPtr.Size;
            var parked = Snapshot();
            r.Median = (double)(parked.Rss - before.Rss - arrayBytes) / n;
            r.Samples = 1;
            gate.SetResult();
            string notes = $"N={n:N0} async Task methods awaiting one TaskCompletionSource.Task; RSS {before.Rss / 1048576.0:F1} → {parked.Rss / 1048576.0:F1} MiB, "
                         + $"minus the {arrayBytes / 1048576.0:F1} MiB array holding the tasks; GC heap Δ {(double)(parked.Heap - before.Heap - arrayBytes) / n:F1} B/method";
            if (!done.TryWait(120_000))
                r.Error = $"HANG on release: {done.Remaining:N0} of {n:N0} had not finished 120 s after SetResult";
            else
                notes += $"; released: all {n:N0} finished";
            r.Notes = notes;
            GC.KeepAlive(parkedTasks);
        }
        catch (Exception e) { r.Error = e.GetType().Name + ": " + e.Message; }
        ResultSink.Add(r);

        static async Task Park(Task gate, Completion done)
        {
            await gate;
            done.Signal();
        }
    }

    /// <summary>1,000,000 async coroutines parked at once in Event.WaitAsync (manual-reset gate), then released.</summary>
    public static void RunParkedEvent()
    {
        int n = Count;
        var r = new BenchResult { Name = ParkedEvent, Group = "memory", Unit = "B/coroutine", Target = TargetKind.AbsMax, TargetValue = 200 };
        try
        {
            CoWarmup.StartSchedulers();
            var st = new ParkState { Gate = new Event(manualReset: true), Done = new Completion(n) };
            var before = Snapshot();
            var sw = Stopwatch.StartNew();
            for (int i = 0; i < n; i++)
                Coroutine.Go(static async (ParkState p) =>
                {
                    Interlocked.Increment(ref p.Started);
                    await p.Gate.WaitAsync();
                    p.Done.Signal();
                }, st);
            double goNs = sw.Elapsed.TotalNanoseconds / n;
            if (!WaitUntil(() => Volatile.Read(ref st.Started) == n, 120_000))
                throw new TimeoutException($"HANG: only {Volatile.Read(ref st.Started):N0} of {n:N0} coroutines started within 120 s");
            double startMs = sw.Elapsed.TotalMilliseconds;
            Thread.Sleep(300);  // let the last ones reach their await
            var parked = Snapshot();
            int finishedEarly = n - st.Done.Remaining;
            r.Median = (double)(parked.Rss - before.Rss) / n;
            r.Samples = 1;
            string notes = $"N={n:N0} parked in Event.WaitAsync; RSS {before.Rss / 1048576.0:F1} → {parked.Rss / 1048576.0:F1} MiB; "
                         + $"GC heap Δ {(double)(parked.Heap - before.Heap) / n:F1} B/coroutine; threads {before.Threads} → {parked.Threads}; "
                         + $"Go loop {goNs:F0} ns/coroutine, all started after {startMs:F0} ms";
            if (finishedEarly != 0) r.Error = $"{finishedEarly} coroutine(s) passed an unsignalled gate";
            var rel = Stopwatch.StartNew();
            st.Gate.Signal();
            if (!st.Done.TryWait(120_000))
                r.Error = (r.Error is null ? "" : r.Error + "; ") + $"HANG on release: {st.Done.Remaining:N0} of {n:N0} had not finished 120 s after Signal";
            else
                notes += $"; released: all {n:N0} finished {rel.Elapsed.TotalMilliseconds:F0} ms after Signal";
            r.Notes = notes + Prefix(Harness.TakeAnomalies());
        }
        catch (Exception e) { r.Error = e is TimeoutException ? e.Message : e.GetType().Name + ": " + e.Message; }
        ResultSink.Add(r);
    }

    /// <summary>1,000,000 async coroutines parked at once in SleepAsync, all due at one deadline.</summary>
    public static void RunParkedSleep()
    {
        int n = Count;
        int sleepWindowMs = Harness.Quick ? 6_000 : 12_000;
        var r = new BenchResult { Name = ParkedSleep, Group = "memory", Unit = "B/coroutine", Target = TargetKind.AbsMax, TargetValue = 200 };
        try
        {
            CoWarmup.StartSchedulers();
            var st = new ParkState { Done = new Completion(n) };
            var before = Snapshot();
            st.DeadlineMs = Environment.TickCount64 + sleepWindowMs;
            var sw = Stopwatch.StartNew();
            for (int i = 0; i < n; i++)
                Coroutine.Go(static async (ParkState p) =>
                {
                    Interlocked.Increment(ref p.Started);
                    await Coroutine.SleepAsync((int)Math.Max(1, p.DeadlineMs - Environment.TickCount64));
                    p.Done.Signal();
                }, st);
            double goNs = sw.Elapsed.TotalNanoseconds / n;
            if (!WaitUntil(() => Volatile.Read(ref st.Started) == n, sleepWindowMs - 1_000))
                throw new TimeoutException($"only {Volatile.Read(ref st.Started):N0} of {n:N0} coroutines started within {sleepWindowMs - 1000} ms (too slow or hang)");
            double startMs = sw.Elapsed.TotalMilliseconds;
            Thread.Sleep(300);
            var parked = Snapshot();
            int woke = n - st.Done.Remaining;
            r.Median = (double)(parked.Rss - before.Rss) / n;
            r.Samples = 1;
            string notes = $"N={n:N0} parked in SleepAsync (all due {sleepWindowMs / 1000} s after the first Go); RSS {before.Rss / 1048576.0:F1} → {parked.Rss / 1048576.0:F1} MiB; "
                         + $"GC heap Δ {(double)(parked.Heap - before.Heap) / n:F1} B/coroutine; threads {before.Threads} → {parked.Threads}; "
                         + $"Go loop {goNs:F0} ns/coroutine, all started after {startMs:F0} ms";
            if (woke != 0) r.Error = $"{woke:N0} sleeper(s) had already woken when RSS was read (before their deadline): measurement not valid";
            long waitMs = Math.Max(0, st.DeadlineMs - Environment.TickCount64) + 120_000;
            if (!st.Done.TryWait((int)waitMs))
                r.Error = (r.Error is null ? "" : r.Error + "; ") + $"HANG: {st.Done.Remaining:N0} of {n:N0} sleepers had not woken 120 s after their deadline";
            else
                notes += $"; all {n:N0} woke, the last {Environment.TickCount64 - st.DeadlineMs} ms after the deadline";
            r.Notes = notes + Prefix(Harness.TakeAnomalies());
        }
        catch (Exception e) { r.Error = e is TimeoutException ? e.Message : e.GetType().Name + ": " + e.Message; }
        ResultSink.Add(r);
    }

    /// <summary>
    /// Largest count of sync coroutines parked at once (each holds an OS thread): cumulative steps 1000, 2000,
    /// 4000, 8000 (quick: 100, 200), stopping at the first step that fails; then releases them all and checks
    /// that every one finishes.
    /// </summary>
    public static void RunParkedSync()
    {
        int[] steps = Harness.Quick ? new[] { 100, 200 } : new[] { 1000, 2000, 4000, 8000 };
        var count = new BenchResult { Name = ParkedSync, Group = "memory", Unit = "coroutines", Target = TargetKind.Report };
        var rss = new BenchResult { Name = ParkedSync + ".Rss", Group = "memory", Unit = "B/coroutine", Target = TargetKind.Report };
        var thr = new BenchResult { Name = ParkedSync + ".Threads", Group = "memory", Unit = "threads/coroutine", Target = TargetKind.Report };
        var log = new List<string>();
        var st = new ParkState { Gate = new Event(manualReset: true) };
        int spawned = 0, reached = 0;
        string? stop = null;
        string release = "";
        try
        {
            CoWarmup.StartSchedulers();
            var before = Snapshot();
            log.Add($"before: {before.Threads} threads, RSS {before.Rss / 1048576.0:F1} MiB");
            foreach (int target in steps)
            {
                var sw = Stopwatch.StartNew();
                try
                {
                    for (; spawned < target; spawned++)
                        Coroutine.Go(static (ParkState p) =>
                        {
                            Interlocked.Increment(ref p.Started);
                            p.Gate.Wait();
                            Interlocked.Increment(ref p.Finished);
                        }, st);
                }
                catch (Exception e) { stop = $"Go #{spawned + 1} threw {e.GetType().Name}: {e.Message}"; break; }
                if (!WaitUntil(() => Volatile.Read(ref st.Started) == target, 60_000))
                {
                    stop = $"step {target:N0} failed: only {Volatile.Read(ref st.Started):N0} parked within 60 s";
                    break;
                }
                double parkMs = sw.Elapsed.TotalMilliseconds;
                Thread.Sleep(300);
                string anomalies = Harness.TakeAnomalies();
                if (anomalies.Length > 0) { stop = $"step {target:N0} failed: {anomalies}"; break; }
                if (Volatile.Read(ref st.Finished) != 0) { stop = $"step {target:N0}: {st.Finished} passed an unsignalled gate"; break; }
                var snap = Snapshot();
                reached = target;
                double perRss = (double)(snap.Rss - before.Rss) / target;
                double perThr = (double)(snap.Threads - before.Threads) / target;
                rss.Median = perRss; thr.Median = perThr; count.Median = target;
                log.Add($"{target:N0} parked: {perRss / 1024:F1} KiB RSS and {perThr:F3} threads each ({snap.Threads} threads; this step parked in {parkMs:F0} ms)");
                Console.WriteLine($"[parked-sync] {log[^1]}");
                // Record the step at once: should the next step crash the process, the parent keeps this one.
                EmitSync(count, rss, thr, reached, $"cumulative steps {string.Join(", ", steps)}, each sync coroutine parked in Event.Wait; "
                                                   + "recorded before the next step (a later row replaces this one); " + string.Join("; ", log));
            }
            if (stop is null) stop = $"stopped at the bound {steps[^1]:N0} with no failure";
            var rel = Stopwatch.StartNew();
            st.Gate.Signal();
            int started = Volatile.Read(ref st.Started);
            if (WaitUntil(() => Volatile.Read(ref st.Finished) == started, 120_000))
                release = $"released: all {started:N0} finished {rel.Elapsed.TotalMilliseconds:F0} ms after Signal";
            else
            {
                release = $"HANG on release: {Volatile.Read(ref st.Finished):N0} of {started:N0} finished within 120 s";
                count.Error = release;
            }
        }
        catch (Exception e) { count.Error = e.GetType().Name + ": " + e.Message; }
        if (reached == 0) { rss.Error = thr.Error = "no step succeeded"; }
        EmitSync(count, rss, thr, reached, $"cumulative steps {string.Join(", ", steps)}, each sync coroutine parked in Event.Wait; {stop}; {release}; "
                                           + string.Join("; ", log) + Prefix(Harness.TakeAnomalies()));
    }

    private static void EmitSync(BenchResult count, BenchResult rss, BenchResult thr, int reached, string notes)
    {
        count.Samples = rss.Samples = thr.Samples = reached > 0 ? 1 : 0;
        count.Notes = notes;
        rss.Notes = reached > 0 ? $"RSS delta per parked sync coroutine at {reached:N0} parked" : "";
        thr.Notes = reached > 0 ? $"OS threads added per parked sync coroutine at {reached:N0} parked" : "";
        ResultSink.Add(count);
        ResultSink.Add(rss);
        ResultSink.Add(thr);
    }

    private static string Prefix(string s) => s.Length == 0 ? "" : "; " + s;
}
