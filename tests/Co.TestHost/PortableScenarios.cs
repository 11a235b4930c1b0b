using System.Collections.Concurrent;
using System.Diagnostics;
using Co.Testing;
using static Co.TestHost.ScenarioSupport;

namespace Co.TestHost;

/// <summary>
/// The runtime's acceptance checks that hold on every platform, grouped in one process so that a platform whose child
/// start is slow (the Windows build under Wine: 2-3 s a start) pays it once: <c>runtime-checks [check...]</c> runs the
/// named checks (all without arguments) one after another and prints <c>CHECK &lt;name&gt; passed</c> or
/// <c>CHECK &lt;name&gt; failed &lt;exception&gt;</c> for each, then fails if any failed. Each check is bounded by
/// <see cref="ScenarioSupport.Bound"/>, so a hang fails its check instead of the whole run.
/// </summary>
internal static class PortableScenarios
{
    private static readonly (string Name, Action Check)[] s_checks =
    [
        ("go-forms", GoForms),
        ("sleep-yield", SleepAndYield),
        ("event", EventWaits),
        ("waitgroup", WaitGroups),
        ("comutex", MutualExclusion),
        ("pool", Pools),
        ("chan", Channels),
        ("select", Selects),
        ("await-goasync", AwaitAndGoAsync),
        ("many-sleepers", ManySleepers),
        ("dump", DumpOfWaits),
    ];

    /// <summary>The names of every check, in the order they run.</summary>
    internal static IReadOnlyList<string> CheckNames { get; } = [.. s_checks.Select(c => c.Name)];

    [Scenario("runtime-checks")]
    internal static void RuntimeChecks(string[] args) => RunChecks(s_checks, args);

    /// <summary>Runs the <paramref name="checks"/> named in <paramref name="args"/> (all without arguments), each
    /// bounded, printing a CHECK line for each; fails if any failed.</summary>
    internal static void RunChecks((string Name, Action Check)[] checks, string[] args)
    {
        Console.Out.WriteLine($"RESULT os={RuntimeIdentifierOf()} schedulers={Coroutine.SchedulerCount}");
        var failed = new List<string>();
        foreach ((string name, Action check) in checks.Where(c => args.Length == 0 || args.Contains(c.Name)))
        {
            string? failure = RunBounded(check);
            Console.Out.WriteLine(failure is null ? $"CHECK {name} passed" : $"CHECK {name} failed {failure}");
            Console.Out.Flush();
            if (failure is not null)
            {
                failed.Add(name);
            }
        }

        if (failed.Count > 0)
        {
            throw Fail($"checks failed: {string.Join(", ", failed)}");
        }
    }

    /// <summary>Runs <paramref name="check"/> on a thread of its own within the bound; null when it passed, else what
    /// went wrong on one line.</summary>
    private static string? RunBounded(Action check)
    {
        string? failure = null;
        var thread = new Thread(() =>
        {
            try
            {
                check();
            }
            catch (Exception e)
            {
                failure = $"{e.GetType().Name}: {e.Message}".ReplaceLineEndings(" | ");
            }
        }) { IsBackground = true };
        thread.Start();
        return thread.Join(Bound * 2) ? failure : $"hang: not done within {(Bound * 2).TotalSeconds} s";
    }

    private static string RuntimeIdentifierOf() =>
        OperatingSystem.IsWindows() ? "windows" : OperatingSystem.IsLinux() ? "linux" : "other";

    private static void Require(bool condition, string what)
    {
        if (!condition)
        {
            throw Fail(what);
        }
    }

    // Every Go form, on the round-robin and on a chosen scheduler, runs its body in a coroutine with its argument.
    private static void GoForms()
    {
        var seen = new ConcurrentDictionary<string, string>();
        var all = new WaitGroup(8);
        void Record(string form, int argument)
        {
            seen[form] = $"{Coroutine.IsInCoroutine}/{argument}/{Coroutine.SchedulerId}";
            all.Done();
        }

        Scheduler last = Coroutine.Schedulers[^1];
        Coroutine.Go(() => Record("go-action", 1));
        Coroutine.Go((int x) => Record("go-action-t", x), 2);
        Coroutine.Go(async () => { await Coroutine.YieldAsync(); Record("go-func", 3); });
        Coroutine.Go(async (int x) => { await Coroutine.YieldAsync(); Record("go-func-t", x); }, 4);
        last.Go(() => Record("sched-action", 5));
        last.Go((int x) => Record("sched-action-t", x), 6);
        last.Go(async () => { await Coroutine.YieldAsync(); Record("sched-func", 7); });
        last.Go(async (int x) => { await Coroutine.YieldAsync(); Record("sched-func-t", x); }, 8);
        Require(WaitBounded(all), $"only {8 - all.Count} of 8 Go forms ran");
        string[] forms = ["go-action", "go-action-t", "go-func", "go-func-t", "sched-action", "sched-action-t", "sched-func", "sched-func-t"];
        for (int i = 0; i < forms.Length; i++)
        {
            string expected = $"True/{i + 1}/";
            Require(seen[forms[i]].StartsWith(expected, StringComparison.Ordinal), $"{forms[i]}: {seen[forms[i]]}, expected {expected}...");
            if (forms[i].StartsWith("sched", StringComparison.Ordinal))
            {
                Require(seen[forms[i]].EndsWith($"/{last.Id}", StringComparison.Ordinal), $"{forms[i]} ran on scheduler {seen[forms[i]]}, not {last.Id}");
            }
        }
    }

    // Sleep and SleepAsync last at least their time; Yield and YieldAsync interleave two runnable coroutines of one
    // scheduler.
    private static void SleepAndYield()
    {
        long syncMs = -1, asyncMs = -1;
        Require(RunSyncBounded(() => { var w = Stopwatch.StartNew(); Coroutine.Sleep(100); syncMs = w.ElapsedMilliseconds; }), "Sleep hung");
        Require(RunAsyncBounded(async () => { var w = Stopwatch.StartNew(); await Coroutine.SleepAsync(100); asyncMs = w.ElapsedMilliseconds; }), "SleepAsync hung");
        Require(syncMs >= 95, $"Sleep(100) returned after {syncMs} ms");
        Require(asyncMs >= 95, $"SleepAsync(100) returned after {asyncMs} ms");

        Scheduler one = Coroutine.Schedulers[0];
        foreach (bool async in new[] { false, true })
        {
            var order = new ConcurrentQueue<char>();
            var both = new WaitGroup(2);
            var start = new Event(manualReset: true);
            foreach (char name in "AB")
            {
                if (async)
                {
                    one.Go(async () => { await start.WaitAsync(); for (int i = 0; i < 3; i++) { order.Enqueue(name); await Coroutine.YieldAsync(); } both.Done(); });
                }
                else
                {
                    one.Go(() => { start.Wait(); for (int i = 0; i < 3; i++) { order.Enqueue(name); Coroutine.Yield(); } both.Done(); });
                }
            }

            // Signalled by a coroutine of the same scheduler, so both waiters are runnable before either runs again (a
            // signal from this thread reaches the scheduler through its inbox, and one waiter could finish first).
            one.Go(() => start.Signal());
            Require(WaitBounded(both), "yielding coroutines hung");
            string seen = string.Concat(order);
            Require(seen is "ABABAB" or "BABABA", $"{(async ? "YieldAsync" : "Yield")} order {seen}, expected alternation");
        }
    }

    // Auto- and manual-reset events wake sync and async waiters, time out, and an auto-reset signal is consumed once.
    private static void EventWaits()
    {
        var manual = new Event(manualReset: true);
        var woke = new WaitGroup(4);
        Coroutine.Go(() => { manual.Wait(); woke.Done(); });
        Coroutine.Go(async () => { await manual.WaitAsync(); woke.Done(); });
        Coroutine.Go(() => { manual.Wait(); woke.Done(); });
        Coroutine.Go(async () => { await manual.WaitAsync(); woke.Done(); });
        Thread.Sleep(50);
        Require(woke.Count == 4, "a waiter passed an unsignalled event");
        manual.Signal();
        Require(WaitBounded(woke), "Signal did not wake every waiter");

        var auto = new Event();
        bool timedOut = true, consumed = true, second = true;
        Require(RunSyncBounded(() =>
        {
            timedOut = !auto.Wait(30);
            auto.Signal();
            consumed = auto.Wait(0);
            second = auto.Wait(0);
        }), "auto-reset event hung");
        Require(timedOut, "Wait(30) on an unsignalled event returned true");
        Require(consumed && !second, $"auto-reset: first wait {consumed}, second {second} (expected true, false)");
        bool asyncTimedOut = false;
        Require(RunAsyncBounded(async () => asyncTimedOut = !await auto.WaitAsync(30)), "WaitAsync(30) hung");
        Require(asyncTimedOut, "WaitAsync(30) on an unsignalled event returned true");
    }

    // A WaitGroup counts 200 coroutines down, waited by a sync coroutine, an async one and this plain thread.
    private static void WaitGroups()
    {
        var work = new WaitGroup();
        int done = 0;
        for (int i = 0; i < 200; i++)
        {
            work.Add();
            if (i % 2 == 0)
            {
                Coroutine.Go(() => { Coroutine.Sleep(5); Interlocked.Increment(ref done); work.Done(); });
            }
            else
            {
                Coroutine.Go(async () => { await Coroutine.SleepAsync(5); Interlocked.Increment(ref done); work.Done(); });
            }
        }

        var waiters = new WaitGroup(2);
        Coroutine.Go(() => { work.Wait(); waiters.Done(); });
        Coroutine.Go(async () => { await work.WaitAsync(); waiters.Done(); });
        Require(WaitBounded(work) && WaitBounded(waiters), "WaitGroup waiters hung");
        Require(Volatile.Read(ref done) == 200, $"{done} of 200 done when the wait returned");
    }

    // 40 coroutines of both kinds on every scheduler take a CoMutex 50 times each, yielding inside: never two inside.
    private static void MutualExclusion()
    {
        var mutex = new CoMutex();
        int inside = 0, overlaps = 0, total = 0;
        var all = new WaitGroup(40);
        for (int i = 0; i < 40; i++)
        {
            if (i % 2 == 0)
            {
                Coroutine.Go(() =>
                {
                    for (int k = 0; k < 50; k++)
                    {
                        using var guard = new MutexGuard(mutex);
                        if (Interlocked.Increment(ref inside) != 1) Interlocked.Increment(ref overlaps);
                        Coroutine.Yield();
                        total++;
                        Interlocked.Decrement(ref inside);
                    }

                    all.Done();
                });
            }
            else
            {
                Coroutine.Go(async () =>
                {
                    for (int k = 0; k < 50; k++)
                    {
                        await mutex.LockAsync();
                        try
                        {
                            if (Interlocked.Increment(ref inside) != 1) Interlocked.Increment(ref overlaps);
                            await Coroutine.YieldAsync();
                            total++;
                            Interlocked.Decrement(ref inside);
                        }
                        finally
                        {
                            mutex.Unlock();
                        }
                    }

                    all.Done();
                });
            }
        }

        Require(WaitBounded(all), "CoMutex users hung");
        Require(overlaps == 0 && total == 2000, $"overlaps {overlaps}, total {total} (expected 0, 2000)");
        Require(!mutex.IsLocked && mutex.TryLock(), "the mutex is not free at the end");
        mutex.Unlock();
    }

    // A pool creates when empty, hands back what was pushed on the same scheduler, and PoolGuard returns its object.
    private static void Pools()
    {
        int created = 0;
        var pool = new Pool<object>(() => { Interlocked.Increment(ref created); return new object(); }, null);
        Require(RunSyncBounded(() =>
        {
            object first = pool.Pop()!;
            pool.Push(first);
            Require(pool.Size == 1, $"size {pool.Size} after a push");
            Require(ReferenceEquals(pool.Pop(), first), "Pop did not return the pushed object");
            using (var guard = new PoolGuard<object>(pool))
            {
                Require(guard.HasValue, "PoolGuard has no value");
            }

            Require(pool.Size == 1, $"size {pool.Size} after the guard returned its object");
        }), "pool coroutine hung");
        Require(created == 2, $"create ran {created} times, expected 2");
    }

    // 2000 items through a channel of 8 from two writers of each kind to two readers, then close and drain.
    private static void Channels()
    {
        var chan = new Chan<int>(8);
        long sum = 0;
        var readers = new WaitGroup(2);
        var writers = new WaitGroup(2);
        Coroutine.Go(() => { for (int i = 1; i <= 1000; i++) chan.Write(i); writers.Done(); });
        Coroutine.Go(async () => { for (int i = 1001; i <= 2000; i++) await chan.WriteAsync(i); writers.Done(); });
        Coroutine.Go(() =>
        {
            try { while (true) Interlocked.Add(ref sum, chan.Read()); }
            catch (ChanClosedException) { readers.Done(); }
        });
        Coroutine.Go(async () =>
        {
            try { while (true) Interlocked.Add(ref sum, await chan.ReadAsync()); }
            catch (ChanClosedException) { readers.Done(); }
        });
        Require(WaitBounded(writers), "channel writers hung");
        chan.Close();
        Require(WaitBounded(readers), "channel readers did not see the close");
        Require(Interlocked.Read(ref sum) == 2000L * 2001 / 2, $"sum {sum}, expected {2000L * 2001 / 2}");

        var empty = new Chan<int>();
        ChanStatus status = ChanStatus.Ok;
        Require(RunSyncBounded(() => status = empty.TryRead(out _, 30)), "TryRead(30) hung");
        Require(status == ChanStatus.TimedOut, $"TryRead on an empty channel: {status}");
    }

    // Select takes the ready case, times out when none is, and its async form waits for a write.
    private static void Selects()
    {
        var a = new Chan<int>(1);
        var b = new Chan<string>(1);
        b.Write("ready");
        string got = "";
        int fired = -2, timedOut = 0, asyncFired = -2;
        Require(RunSyncBounded(() =>
        {
            fired = new Select().Recv(a, x => got = $"a{x}").Recv(b, s => got = s).Run();
            timedOut = new Select().Recv(a).Recv(b).Timeout(30).Run();
        }), "select hung");
        Require(fired == 1 && got == "ready", $"select fired case {fired} with '{got}', expected 1 with 'ready'");
        Require(timedOut == Select.TimedOut, $"select with nothing ready returned {timedOut}");
        Require(RunAsyncBounded(async () =>
        {
            Coroutine.Go(async () => { await Coroutine.SleepAsync(20); await a.WriteAsync(7); });
            asyncFired = await new Select().Recv(a, x => got = $"a{x}").Recv(b).RunAsync();
        }), "async select hung");
        Require(asyncFired == 0 && got == "a7", $"async select fired {asyncFired} with '{got}', expected 0 with 'a7'");
    }

    // Task code awaits coroutines (GoAsync, both kinds, results and exceptions); a sync coroutine awaits a task.
    private static void AwaitAndGoAsync()
    {
        Require(Coroutine.GoAsync(() => 6 * 7).Wait(Bound) && Coroutine.GoAsync(() => 6 * 7).Result == 42, "GoAsync(Func<int>) did not give 42");
        Task<int> asyncResult = Coroutine.GoAsync(async () => { await Coroutine.SleepAsync(10); return 43; });
        Require(asyncResult.Wait(Bound) && asyncResult.Result == 43, "GoAsync(Func<Task<int>>) did not give 43");
        Task failing = Coroutine.GoAsync(new Action(() => throw new FormatException("from a coroutine")));
        Require(Catch(() => failing.Wait(Bound)) is "AggregateException" && failing.Exception?.InnerException is FormatException,
            $"GoAsync of a throwing body: {failing.Status} {failing.Exception?.InnerException?.GetType().Name}");

        int awaited = 0;
        string? thrown = null;
        bool timedOut = false;
        Require(RunSyncBounded(() =>
        {
            awaited = Coroutine.Await(Task.Delay(20).ContinueWith(_ => 7, TaskScheduler.Default));
            thrown = Catch(() => Coroutine.Await(Task.FromException(new TimeoutException("x"))));
            timedOut = !Coroutine.Await(Task.Delay(10_000), 20);
        }), "Coroutine.Await hung");
        Require(awaited == 7, $"Await gave {awaited}, expected 7");
        Require(thrown == "TimeoutException", $"Await of a faulted task threw {thrown ?? "nothing"}");
        Require(timedOut, "Await(task, 20) of a 10 s task did not time out");
    }

    // 10,000 async and 300 sync coroutines sleep 500 ms at once: done in far less than one after another would take.
    private static void ManySleepers()
    {
        const int asyncCount = 10_000, syncCount = 300, sleepMs = 500;
        var all = new WaitGroup(asyncCount + syncCount);
        var watch = Stopwatch.StartNew();
        for (int i = 0; i < asyncCount; i++)
        {
            Coroutine.Go(async () => { await Coroutine.SleepAsync(sleepMs); all.Done(); });
        }

        for (int i = 0; i < syncCount; i++)
        {
            Coroutine.Go(() => { Coroutine.Sleep(sleepMs); all.Done(); });
        }

        Require(WaitBounded(all), $"{all.Count} of {asyncCount + syncCount} sleepers still asleep after {Bound.TotalSeconds} s");
        long elapsed = watch.ElapsedMilliseconds;
        Console.Out.WriteLine($"RESULT many_sleepers_ms={elapsed}");
        // One after another would take 10,300 × 0.5 s; even 40 at a time would take over 2 minutes.
        Require(elapsed < 20_000, $"the sleepers took {elapsed} ms: not concurrent");
    }

    // Coroutine.Dump names a sleeping sync coroutine and an async one waiting on an Event, each on its scheduler.
    private static void DumpOfWaits()
    {
        var release = new Event(manualReset: true);
        var started = new WaitGroup(2);
        int sleeperId = -1, waiterId = -1;
        Coroutine.Go(() => { sleeperId = Coroutine.Id; started.Done(); Coroutine.Sleep(60_000); });
        Coroutine.Go(async () => { waiterId = Coroutine.Id; started.Done(); await release.WaitAsync(); });
        Require(WaitBounded(started), "the dumped coroutines did not start");
        Thread.Sleep(50);
        IReadOnlyList<CoroutineInfo> dump = Coroutine.Dump();
        string Described(int id) => dump.FirstOrDefault(c => c.Id == id) is { } info ? $"{info.Kind} {info.State} {info.WaitingOn}" : "missing";
        Require(Described(sleeperId).StartsWith("Sync", StringComparison.Ordinal) && Described(sleeperId).Contains("sleep", StringComparison.Ordinal),
            $"sleeper {sleeperId} in the dump: {Described(sleeperId)}");
        Require(Described(waiterId).StartsWith("Async", StringComparison.Ordinal) && Described(waiterId).Contains("Event", StringComparison.Ordinal),
            $"Event waiter {waiterId} in the dump: {Described(waiterId)}");
        release.Signal();
    }
}
