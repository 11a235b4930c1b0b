using BenchmarkDotNet.Attributes;

namespace Co.Benchmarks;

/// <summary>
/// BenchmarkDotNet micro-benchmarks, run in-process with a short job. Two categories, each with its baseline,
/// so BDN's Ratio column and this harness's table compare numbers measured in the same run:
/// "switch" (per switch; baseline RawAwaiterPingPong) and "go" (per coroutine; reference TaskRun).
/// Co benchmarks start their coroutines on a scheduler and block the BDN thread on a Completion that times out
/// (TimeoutException = hang) instead of hanging the run.
/// </summary>
[BenchmarkCategory("micro")]
public class MicroBenchmarks
{
    public const int PingPongRounds = 50_000;          // round trips per invocation
    public const int Switches = 2 * PingPongRounds;    // each round trip is two switches
    public const int YieldOps = 20_000;
    public const int TaskRunOps = 5_000;
    public const int GoOps = 20_000;

    private Completion? _goDone;
    private Action _syncTrivial = null!;
    private Func<Task> _asyncTrivial = null!;

    // Only the Co benchmarks touch the runtime: the baselines must run even when it is broken.
    [GlobalSetup(Targets = new[] { nameof(AsyncEventPingPong), nameof(AsyncChanPingPong), nameof(GoTrivialSync),
                                   nameof(GoTrivialAsync), nameof(GoTrivialSyncInCo), nameof(GoTrivialAsyncInCo) })]
    public void Setup()
    {
        _syncTrivial = () => _goDone!.Signal();
        _asyncTrivial = () => { _goDone!.Signal(); return Task.CompletedTask; };
        CoWarmup.StartSchedulers();
    }

    // ---------------------------------------------------------------- switch: baselines

    [Benchmark(Baseline = true, OperationsPerInvoke = Switches), BenchmarkCategory("switch")]
    public void RawAwaiterPingPong() => RawPingPong.Run(PingPongRounds);

    [Benchmark(OperationsPerInvoke = YieldOps), BenchmarkCategory("switch")]
    public async Task TaskYield()
    {
        for (int i = 0; i < YieldOps; i++) await Task.Yield();
    }

    // ---------------------------------------------------------------- switch: Co

    [Benchmark(OperationsPerInvoke = Switches), BenchmarkCategory("switch")]
    public void AsyncEventPingPong()
    {
        var s = Coroutine.Schedulers[0];
        var a = new Event();
        var b = new Event();
        var done = new Completion(2);
        s.Go(async () =>
        {
            CoWarmup.CheckScheduler(0, "AsyncEventPingPong");
            for (int i = 0; i < PingPongRounds; i++)
            {
                a.Signal();
                await b.WaitAsync();
            }
            CoWarmup.CheckScheduler(0, "AsyncEventPingPong");
            done.Signal();
        });
        s.Go(async () =>
        {
            for (int i = 0; i < PingPongRounds; i++)
            {
                await a.WaitAsync();
                b.Signal();
            }
            CoWarmup.CheckScheduler(0, "AsyncEventPingPong");
            done.Signal();
        });
        done.Wait(nameof(AsyncEventPingPong));
    }

    [Benchmark(OperationsPerInvoke = Switches), BenchmarkCategory("switch")]
    public void AsyncChanPingPong()
    {
        var s = Coroutine.Schedulers[0];
        var a = new Chan<int>(1);
        var b = new Chan<int>(1);
        var done = new Completion(2);
        s.Go(async () =>
        {
            CoWarmup.CheckScheduler(0, "AsyncChanPingPong");
            for (int i = 0; i < PingPongRounds; i++)
            {
                await a.WriteAsync(i);
                int v = await b.ReadAsync();
                if (v != i) CoWarmup.Bad($"AsyncChanPingPong read {v}, expected {i}");
            }
            CoWarmup.CheckScheduler(0, "AsyncChanPingPong");
            done.Signal();
        });
        s.Go(async () =>
        {
            for (int i = 0; i < PingPongRounds; i++)
            {
                int v = await a.ReadAsync();
                await b.WriteAsync(v);
            }
            CoWarmup.CheckScheduler(0, "AsyncChanPingPong");
            done.Signal();
        });
        done.Wait(nameof(AsyncChanPingPong));
    }

    // ---------------------------------------------------------------- go: reference

    [Benchmark(Baseline = true, OperationsPerInvoke = TaskRunOps), BenchmarkCategory("go")]
    public async Task TaskRun()
    {
        for (int i = 0; i < TaskRunOps; i++) await Task.Run(static () => { });
    }

    // ---------------------------------------------------------------- go: Co
    // The body of a trivial coroutine is one delegate allocated in Setup (no closure per Go) that counts down a
    // Completion; the last one releases the BDN thread.

    /// <summary>Go(Action) from a plain thread (round-robin over all schedulers).</summary>
    [Benchmark(OperationsPerInvoke = GoOps), BenchmarkCategory("go")]
    public void GoTrivialSync()
    {
        var d = _goDone = new Completion(GoOps);
        var body = _syncTrivial;
        for (int i = 0; i < GoOps; i++) Coroutine.Go(body);
        d.Wait(nameof(GoTrivialSync));
    }

    /// <summary>Go(Func&lt;Task&gt;) from a plain thread (round-robin over all schedulers).</summary>
    [Benchmark(OperationsPerInvoke = GoOps), BenchmarkCategory("go")]
    public void GoTrivialAsync()
    {
        var d = _goDone = new Completion(GoOps);
        var body = _asyncTrivial;
        for (int i = 0; i < GoOps; i++) Coroutine.Go(body);
        d.Wait(nameof(GoTrivialAsync));
    }

    /// <summary>Scheduler.Go(Action) from inside a sync coroutine onto its own scheduler.</summary>
    [Benchmark(OperationsPerInvoke = GoOps), BenchmarkCategory("go")]
    public void GoTrivialSyncInCo()
    {
        var d = _goDone = new Completion(GoOps);
        var body = _syncTrivial;
        var s = Coroutine.Schedulers[0];
        s.Go(() =>
        {
            var own = Coroutine.CurrentScheduler;
            if (own is null) { CoWarmup.Bad("GoTrivialSyncInCo: CurrentScheduler is null inside a coroutine"); own = s; }
            for (int i = 0; i < GoOps; i++) own.Go(body);
        });
        d.Wait(nameof(GoTrivialSyncInCo));
    }

    /// <summary>Scheduler.Go(Func&lt;Task&gt;) from inside an async coroutine onto its own scheduler.</summary>
    [Benchmark(OperationsPerInvoke = GoOps), BenchmarkCategory("go")]
    public void GoTrivialAsyncInCo()
    {
        var d = _goDone = new Completion(GoOps);
        var body = _asyncTrivial;
        var s = Coroutine.Schedulers[0];
        s.Go(() =>
        {
            var own = Coroutine.CurrentScheduler;
            if (own is null) { CoWarmup.Bad("GoTrivialAsyncInCo: CurrentScheduler is null inside a coroutine"); own = s; }
            for (int i = 0; i < GoOps; i++) own.Go(body);
            return Task.CompletedTask;
        });
        d.Wait(nameof(GoTrivialAsyncInCo));
    }
}

/// <summary>Shared Co helpers of the benchmarks.</summary>
public static class CoWarmup
{
    /// <summary>Starts every scheduler by running one coroutine on each, and waits for them (bounded).</summary>
    public static void StartSchedulers()
    {
        var all = Coroutine.Schedulers;
        var done = new Completion(all.Count);
        foreach (var s in all) s.Go(() => done.Signal());
        done.Wait("scheduler start-up", 30_000);
    }

    public static void CheckScheduler(int expected, string where)
    {
        int id = Coroutine.SchedulerId;
        if (id != expected) Bad($"{where}: ran on scheduler {id}, expected {expected}");
    }

    public static void Bad(string what) => Harness.Anomaly(what);
}
