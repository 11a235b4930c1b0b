using System.Collections.Concurrent;
using System.Diagnostics;
using Xunit;

namespace Co.Tests;

/// <summary>Coroutine / Scheduler API: Go forms, ids, scheduler placement, Yield, options.</summary>
public class CoroutineApiTests
{
    [Fact]
    public void InProcessConfiguration_TwoSchedulers()
    {
        Assert.Null(TestSetup.ConfigureError);
        Assert.Equal(TestSetup.SchedulerCount, Coroutine.SchedulerCount);
        Assert.Equal(Coroutine.SchedulerCount, Coroutine.Schedulers.Count);
        for (int i = 0; i < Coroutine.Schedulers.Count; i++)
            Assert.Equal(i, Coroutine.Schedulers[i].Id);
    }

    [Fact]
    public void OutsideCoroutine_IdsAreMinusOne_CurrentSchedulerNull()
    {
        Assert.Equal(-1, Coroutine.Id);
        Assert.Equal(-1, Coroutine.SchedulerId);
        Assert.Null(Coroutine.CurrentScheduler);
        Assert.False(Coroutine.IsInCoroutine);
    }

    [Fact]
    public async Task OutsideCoroutine_OnPlainThread_IdsAreMinusOne()
    {
        var (id, sid, cur, inCo) = await CoRun.Thread(() =>
            (Coroutine.Id, Coroutine.SchedulerId, Coroutine.CurrentScheduler, Coroutine.IsInCoroutine));
        Assert.Equal(-1, id);
        Assert.Equal(-1, sid);
        Assert.Null(cur);
        Assert.False(inCo);
    }

    [Fact]
    public void CoroutineOptions_Defaults()
    {
        var o = new CoroutineOptions();
        Assert.True(o.PinSchedulerThreads);
        Assert.Equal(256 * 1024, o.SyncStackSize);
        Assert.Equal(TimeSpan.FromSeconds(10), o.SpareThreadIdleTimeout);
    }

    /// <summary>Spec: CoroutineOptions.SchedulerCount "default: CO_SCHED_NUM or Environment.ProcessorCount".</summary>
    [Fact]
    public void CoroutineOptions_SchedulerCountDefault_IsCoSchedNumOrProcessorCount()
    {
        var o = new CoroutineOptions();
        string? env = Environment.GetEnvironmentVariable("CO_SCHED_NUM");
        int expected = int.TryParse(env, out int n) && n >= 1 ? n : Environment.ProcessorCount;
        Assert.Equal(expected, o.SchedulerCount);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    public async Task SchedulerGo_Sync_LandsOnThatScheduler(int schedulerId)
    {
        var s = CoRun.S(schedulerId);
        var (sid, id, cur, inCo) = await CoRun.Sync(() =>
            (Coroutine.SchedulerId, Coroutine.Id, Coroutine.CurrentScheduler, Coroutine.IsInCoroutine), s);
        Assert.Equal(schedulerId, sid);
        Assert.Same(s, cur);
        Assert.True(id >= 0);
        Assert.Equal(schedulerId, id % Coroutine.SchedulerCount);
        Assert.True(inCo);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    public async Task SchedulerGo_Async_LandsOnThatScheduler_AndStaysAcrossAwaits(int schedulerId)
    {
        var s = CoRun.S(schedulerId);
        var seen = new List<(int Sid, int Id, Scheduler? Cur, bool In)>();
        await CoRun.Async(async () =>
        {
            seen.Add((Coroutine.SchedulerId, Coroutine.Id, Coroutine.CurrentScheduler, Coroutine.IsInCoroutine));
            await Coroutine.YieldAsync();
            seen.Add((Coroutine.SchedulerId, Coroutine.Id, Coroutine.CurrentScheduler, Coroutine.IsInCoroutine));
            await Coroutine.SleepAsync(10);
            seen.Add((Coroutine.SchedulerId, Coroutine.Id, Coroutine.CurrentScheduler, Coroutine.IsInCoroutine));
        }, s);
        Assert.Equal(3, seen.Count);
        Assert.All(seen, x =>
        {
            Assert.Equal(schedulerId, x.Sid);
            Assert.Same(s, x.Cur);
            Assert.True(x.In);
            Assert.Equal(seen[0].Id, x.Id);
        });
        Assert.Equal(schedulerId, seen[0].Id % Coroutine.SchedulerCount);
    }

    [Fact]
    public async Task SchedulerGo_GenericForms_PassArgument_AndLandOnThatScheduler()
    {
        var s = CoRun.S(1);
        var got = new ConcurrentQueue<(string, int, int)>();
        var wg = new WaitGroup(2);
        s.Go((int x) => { got.Enqueue(("sync", x, Coroutine.SchedulerId)); wg.Done(); }, 41);
        s.Go(async (string x) =>
        {
            await Coroutine.YieldAsync();
            got.Enqueue((x, 42, Coroutine.SchedulerId));
            wg.Done();
        }, "async");
        await CoRun.Bound(Task.Run(wg.Wait), "WaitGroup.Wait");
        Assert.Contains(("sync", 41, 1), got);
        Assert.Contains(("async", 42, 1), got);
    }

    [Fact]
    public async Task Go_GenericForms_PassArgument()
    {
        var got = new ConcurrentDictionary<string, object>();
        var wg = new WaitGroup();
        wg.Add(2);
        Coroutine.Go((string x) => { got["sync"] = x; wg.Done(); }, "hello");
        Coroutine.Go(async (int x) => { await Coroutine.YieldAsync(); got["async"] = x; wg.Done(); }, 7);
        await CoRun.Bound(Task.Run(wg.Wait), "WaitGroup.Wait");
        Assert.Equal("hello", got["sync"]);
        Assert.Equal(7, got["async"]);
    }

    [Fact]
    public async Task Go_RoundRobin_SpreadsOverAllSchedulers()
    {
        const int total = 100;
        var sids = new ConcurrentQueue<int>();
        var wg = new WaitGroup(total);
        for (int i = 0; i < total; i++)
        {
            if (i % 2 == 0) Coroutine.Go(() => { sids.Enqueue(Coroutine.SchedulerId); wg.Done(); });
            else Coroutine.Go(async () => { await Task.Yield(); sids.Enqueue(Coroutine.SchedulerId); wg.Done(); });
        }
        await CoRun.Bound(Task.Run(wg.Wait), "WaitGroup.Wait");
        var counts = sids.GroupBy(x => x).ToDictionary(g => g.Key, g => g.Count());
        Assert.Equal(total, sids.Count);
        for (int i = 0; i < Coroutine.SchedulerCount; i++)
        {
            counts.TryGetValue(i, out int c);
            Assert.InRange(c, total / Coroutine.SchedulerCount - 10, total / Coroutine.SchedulerCount + 10);
        }
        Assert.All(counts.Keys, k => Assert.InRange(k, 0, Coroutine.SchedulerCount - 1));
    }

    [Fact]
    public void NextScheduler_CyclesThroughAllSchedulers()
    {
        var seen = new HashSet<int>();
        var all = Coroutine.Schedulers;
        for (int i = 0; i < 4 * Coroutine.SchedulerCount; i++)
        {
            var s = Coroutine.NextScheduler();
            Assert.Contains(s, all);
            seen.Add(s.Id);
        }
        Assert.Equal(Coroutine.SchedulerCount, seen.Count);
    }

    [Fact]
    public async Task Go_FromInsideCoroutine_CreatesAnotherCoroutine()
    {
        var r = await CoRun.Sync(() =>
        {
            int outer = Coroutine.Id;
            var ev = new Event();
            int inner = -2, innerSid = -2;
            Coroutine.Go(() => { inner = Coroutine.Id; innerSid = Coroutine.SchedulerId; ev.Signal(); });
            if (!ev.Wait(20_000)) throw new Xunit.Sdk.XunitException("inner coroutine did not run");
            return (Outer: outer, Inner: inner, Sid: innerSid);
        });
        Assert.True(r.Outer >= 0 && r.Inner >= 0);
        Assert.NotEqual(r.Outer, r.Inner); // both alive at once
        Assert.Equal(r.Sid, r.Inner % Coroutine.SchedulerCount);
    }

    [Fact]
    public async Task LiveCoroutines_HaveDistinctIds_FollowingFormula()
    {
        const int n = 200;
        var ids = new ConcurrentQueue<(int Id, int Sid)>();
        var started = new WaitGroup(n);
        var release = new Event(manualReset: true);
        var finished = new WaitGroup(n);
        for (int i = 0; i < n; i++)
        {
            if (i % 2 == 0)
                Coroutine.Go(() => { ids.Enqueue((Coroutine.Id, Coroutine.SchedulerId)); started.Done(); release.Wait(); finished.Done(); });
            else
                Coroutine.Go(async () => { ids.Enqueue((Coroutine.Id, Coroutine.SchedulerId)); started.Done(); await release.WaitAsync(); finished.Done(); });
        }
        await CoRun.Bound(Task.Run(started.Wait), "all started");
        release.Signal();
        await CoRun.Bound(Task.Run(finished.Wait), "all finished");
        Assert.Equal(n, ids.Select(x => x.Id).Distinct().Count());
        Assert.All(ids, x => Assert.Equal(x.Sid, x.Id % Coroutine.SchedulerCount));
    }

    [Fact]
    public async Task SyncCoroutine_StaysOnOneOsThread_ForItsWholeLife()
    {
        var ev = new Event();
        var threadIds = await CoRun.Sync(() =>
        {
            var list = new List<int> { Environment.CurrentManagedThreadId };
            Coroutine.Sleep(5);
            list.Add(Environment.CurrentManagedThreadId);
            Coroutine.Yield();
            list.Add(Environment.CurrentManagedThreadId);
            Coroutine.Go(() => ev.Signal());
            ev.Wait();
            list.Add(Environment.CurrentManagedThreadId);
            return list;
        }, CoRun.S(0));
        Assert.Single(threadIds.Distinct());
    }

    [Fact]
    public async Task Yield_LetsOtherCoroutinesOnTheSameSchedulerRun()
    {
        var s = CoRun.S(0);
        var order = new List<char>();
        var done = new WaitGroup(2);
        await CoRun.Sync(() =>
        {
            // Both are queued before either runs: this coroutine holds the scheduler.
            s.Go(() => { for (int i = 0; i < 50; i++) { order.Add('A'); Coroutine.Yield(); } done.Done(); });
            s.Go(() => { for (int i = 0; i < 50; i++) { order.Add('B'); Coroutine.Yield(); } done.Done(); });
        }, s);
        await CoRun.Bound(Task.Run(done.Wait), "yielding coroutines");
        Assert.Equal(100, order.Count);
        int switches = order.Zip(order.Skip(1)).Count(p => p.First != p.Second);
        Assert.True(switches >= 50, $"only {switches} switches between two yielding coroutines: {new string(order.ToArray())}");
    }

    [Fact]
    public async Task YieldAsync_LetsOtherCoroutinesOnTheSameSchedulerRun()
    {
        var s = CoRun.S(1);
        var order = new List<char>();
        var done = new WaitGroup(2);
        await CoRun.Async(async () =>
        {
            s.Go(async () => { for (int i = 0; i < 50; i++) { order.Add('A'); await Coroutine.YieldAsync(); } done.Done(); });
            s.Go(async () => { for (int i = 0; i < 50; i++) { order.Add('B'); await Coroutine.YieldAsync(); } done.Done(); });
            await Task.CompletedTask;
        }, s);
        await CoRun.Bound(Task.Run(done.Wait), "yielding coroutines");
        Assert.Equal(100, order.Count);
        int switches = order.Zip(order.Skip(1)).Count(p => p.First != p.Second);
        Assert.True(switches >= 50, $"only {switches} switches between two yielding coroutines: {new string(order.ToArray())}");
    }

    [Fact]
    public async Task Yield_MixedSyncAndAsync_OnOneScheduler_AllProgress()
    {
        var s = CoRun.S(0);
        var order = new List<char>();
        var done = new WaitGroup(2);
        await CoRun.Sync(() =>
        {
            s.Go(() => { for (int i = 0; i < 30; i++) { order.Add('S'); Coroutine.Yield(); } done.Done(); });
            s.Go(async () => { for (int i = 0; i < 30; i++) { order.Add('A'); await Coroutine.YieldAsync(); } done.Done(); });
        }, s);
        await CoRun.Bound(Task.Run(done.Wait), "yielding coroutines");
        Assert.Equal(60, order.Count);
        int switches = order.Zip(order.Skip(1)).Count(p => p.First != p.Second);
        Assert.True(switches >= 30, $"only {switches} switches: {new string(order.ToArray())}");
    }

    [Fact]
    public async Task TimedOut_IsFalseInAFreshCoroutine_SyncAndAsync()
    {
        Assert.False(await CoRun.Sync(() => Coroutine.TimedOut));
        Assert.False(await CoRun.Async(async () => { await Coroutine.YieldAsync(); return Coroutine.TimedOut; }));
    }

    [Fact]
    public async Task AsyncCoroutine_AwaitingForeignTasks_ResumesOnItsOwnScheduler()
    {
        foreach (var s in Coroutine.Schedulers)
        {
            var checks = new List<string>();
            await CoRun.Async(async () =>
            {
                int id = Coroutine.Id, sid = Coroutine.SchedulerId;
                void Check(string where)
                {
                    if (Coroutine.Id != id || Coroutine.SchedulerId != sid || !ReferenceEquals(Coroutine.CurrentScheduler, s))
                        checks.Add($"{where}: id {Coroutine.Id} (was {id}), scheduler {Coroutine.SchedulerId} (was {sid})");
                }
                await Task.Delay(30);
                Check("after Task.Delay");
                await Task.Run(() => Thread.Sleep(10));
                Check("after Task.Run");
                var tcs = new TaskCompletionSource<int>();
                _ = new Thread(() => { Thread.Sleep(20); tcs.SetResult(1); }) { IsBackground = true }.StartAndReturn();
                await tcs.Task;
                Check("after TaskCompletionSource completed by a plain thread");
                await Task.Yield();
                Check("after Task.Yield");
                for (int i = 0; i < 5; i++)
                {
                    await Task.Delay(1);
                    Check($"after Task.Delay(1) #{i}");
                }
            }, s);
            Assert.True(checks.Count == 0, string.Join("\n", checks));
        }
    }

    [Fact]
    public async Task AsyncCoroutine_ConfigureAwaitFalse_LeavesTheScheduler()
    {
        int after = await CoRun.Async(ForeignAwaitConfigureAwaitFalse, CoRun.S(0));
        Assert.Equal(-1, after);
    }

    private static async Task<int> ForeignAwaitConfigureAwaitFalse()
    {
        Assert.Equal(0, Coroutine.SchedulerId);
        await Task.Delay(20).ConfigureAwait(false);
        return Coroutine.SchedulerId;
    }

    [Fact]
    public async Task SyncWaitInsideAsyncCoroutine_ParksOnlyThatCoroutine()
    {
        var s = CoRun.S(1);
        var ev = new Event();
        var progress = 0;
        // The async coroutine blocks synchronously in Event.Wait(); the signaller runs on the SAME scheduler.
        Task waiter = CoRun.Async(async () =>
        {
            await Coroutine.YieldAsync();
            if (!ev.Wait(20_000)) throw new Xunit.Sdk.XunitException("Event.Wait in an async coroutine was not signalled: scheduler blocked?");
            Interlocked.Increment(ref progress);
        }, s);
        await Task.Delay(50);
        Task signaller = CoRun.Sync(() =>
        {
            Coroutine.Sleep(20);
            ev.Signal();
        }, s);
        await CoRun.Bound(Task.WhenAll(waiter, signaller), "sync wait inside async coroutine");
        Assert.Equal(1, progress);
    }

    [Fact]
    public async Task SyncSleepInsideAsyncCoroutine_OtherCoroutinesOnSameSchedulerKeepRunning()
    {
        var s = CoRun.S(0);
        int ticks = 0;
        int ticksDuringSleep = -1;
        var stop = new Event(manualReset: true);
        Task ticker = CoRun.Sync(() =>
        {
            while (!stop.Wait(0)) { Interlocked.Increment(ref ticks); Coroutine.Sleep(5); }
        }, s);
        await Task.Delay(30);
        await CoRun.Async(async () =>
        {
            await Coroutine.YieldAsync();
            int before = Volatile.Read(ref ticks);
            Coroutine.Sleep(400); // sync wait reached from an async coroutine
            ticksDuringSleep = Volatile.Read(ref ticks) - before;
            Assert.Equal(0, Coroutine.SchedulerId);
        }, s);
        stop.Signal();
        await ticker;
        Assert.True(ticksDuringSleep >= 5, $"ticker on the same scheduler advanced {ticksDuringSleep} times during a 400 ms sync Sleep in an async coroutine");
    }

    [Fact]
    public async Task SyncWaitsOfEveryPrimitive_InsideAsyncCoroutine_ParkOnlyThatCoroutine()
    {
        var s = CoRun.S(0);
        var c = new Chan<int>(1);
        var m = new CoMutex();
        var wg = new WaitGroup(1);
        var steps = new ConcurrentQueue<string>();
        m.Lock();
        Task waiter = CoRun.Async(async () =>
        {
            await Coroutine.YieldAsync();
            steps.Enqueue("read " + c.Read());          // sync Chan.Read in an async coroutine
            m.Lock();                                     // sync CoMutex.Lock
            steps.Enqueue("locked");
            m.Unlock();
            wg.Wait();                                    // sync WaitGroup.Wait
            steps.Enqueue("waited");
            Assert.Equal(0, Coroutine.SchedulerId);
        }, s);
        // Everything that unblocks it runs on the SAME scheduler, after the waiter has blocked.
        await Task.Delay(50);
        await CoRun.Sync(() => c.Write(7), s, TimeSpan.FromSeconds(10));
        await Task.Delay(50);
        await CoRun.Sync(m.Unlock, s, TimeSpan.FromSeconds(10));
        await Task.Delay(50);
        await CoRun.Async(async () => { await Coroutine.YieldAsync(); wg.Done(); }, s, TimeSpan.FromSeconds(10));
        await CoRun.Bound(waiter, "async coroutine with sync waits");
        Assert.Equal(new[] { "read 7", "locked", "waited" }, steps);
    }

    [Fact]
    public async Task Yield_AloneOnItsScheduler_ReturnsPromptly()
    {
        long ms = await CoRun.Sync(() =>
        {
            var sw = Stopwatch.StartNew();
            for (int i = 0; i < 1000; i++) Coroutine.Yield();
            return sw.ElapsedMilliseconds;
        }, CoRun.S(1));
        Assert.True(ms < 5_000, $"1000 yields took {ms} ms");
        long ams = await CoRun.Async(async () =>
        {
            var sw = Stopwatch.StartNew();
            for (int i = 0; i < 1000; i++) await Coroutine.YieldAsync();
            return sw.ElapsedMilliseconds;
        }, CoRun.S(1));
        Assert.True(ams < 5_000, $"1000 async yields took {ams} ms");
    }

    // --- the seed's go(f) / go(g, 7) / go(&T::g, &o, 3) / go(k) forms ---------------------------------------

    private static readonly ConcurrentQueue<string> s_seedCalls = new();
    private static WaitGroup? s_seedWg;

    private static void F() { s_seedCalls.Enqueue("f"); s_seedWg!.Done(); }
    private static void G(int x) { s_seedCalls.Enqueue("g" + x); s_seedWg!.Done(); }
    private static void H(int a, int b) { s_seedCalls.Enqueue($"h{a},{b}"); s_seedWg!.Done(); }
    private static async Task FA() { await Coroutine.YieldAsync(); s_seedCalls.Enqueue("fa"); s_seedWg!.Done(); }
    private static async Task GA(int x) { await Coroutine.SleepAsync(1); s_seedCalls.Enqueue("ga" + x); s_seedWg!.Done(); }

    private sealed class T
    {
        public void Fm() { s_seedCalls.Enqueue("T.f"); s_seedWg!.Done(); }
        public void Gm(int x) { s_seedCalls.Enqueue("T.g" + x); s_seedWg!.Done(); }
    }

    [Fact]
    public async Task SeedExample_GoForms()
    {
        while (s_seedCalls.TryDequeue(out _)) { }
        s_seedWg = new WaitGroup(11);
        var o = new T();
        Action k = () => H(3, 7);
        Coroutine.Go(F);          // go(f);
        Coroutine.Go(G, 7);       // go(g, 7);
        Coroutine.Go(o.Fm);       // go(&T::f, &o);
        Coroutine.Go(o.Gm, 3);    // go(&T::g, &o, 3);
        Coroutine.Go(k);          // go(k);
        Coroutine.Go(FA);         // async forms
        Coroutine.Go(GA, 8);
        var sched = Coroutine.NextScheduler();  // auto s = co::next_scheduler();
        sched.Go(F);                            // s->add_new_task(new_closure(f));
        sched.Go(G, 9);                         // s->add_new_task(new_closure(g, 7));
        sched.Go(FA);
        sched.Go(GA, 10);
        await CoRun.Bound(Task.Run(s_seedWg.Wait), "seed go forms");
        var calls = s_seedCalls.OrderBy(x => x, StringComparer.Ordinal).ToArray();
        Assert.Equal(new[] { "T.f", "T.g3", "f", "f", "fa", "fa", "g7", "g9", "ga10", "ga8", "h3,7" }.OrderBy(x => x, StringComparer.Ordinal), calls);
    }

    [Fact]
    public async Task SeedExample_PerSchedulerVector_IndexedBySchedulerId()
    {
        // std::vector<T> v(co::scheduler_num()); void f() { auto& t = v[co::scheduler_id()]; }
        var v = new int[Coroutine.SchedulerCount];
        var wg = new WaitGroup(64);
        for (int i = 0; i < 64; i++)
            Coroutine.Go(() => { v[Coroutine.SchedulerId]++; Coroutine.Yield(); v[Coroutine.SchedulerId]++; wg.Done(); });
        await CoRun.Bound(Task.Run(wg.Wait), "per-scheduler vector");
        Assert.Equal(128, v.Sum()); // no lost update: coroutines of one scheduler never run in parallel
    }

    [Fact]
    public async Task SeedExample_PrintSchedulerAndCoroutineIdInALoop()
    {
        // for (int i = 0; i < 32; ++i) go(f); f: loop { LOG << scheduler_id << coroutine_id; co::sleep(3000); }
        var log = new ConcurrentQueue<(int S, int C)>();
        var wg = new WaitGroup(32);
        var sw = Stopwatch.StartNew();
        for (int i = 0; i < 32; i++)
        {
            Coroutine.Go(() =>
            {
                for (int round = 0; round < 3; round++)
                {
                    log.Enqueue((Coroutine.SchedulerId, Coroutine.Id));
                    Coroutine.Sleep(100);
                }
                wg.Done();
            });
        }
        await CoRun.Bound(Task.Run(wg.Wait), "32 looping coroutines");
        sw.Stop();
        Assert.Equal(96, log.Count);
        Assert.All(log, e => Assert.Equal(e.S, e.C % Coroutine.SchedulerCount));
        Assert.True(sw.ElapsedMilliseconds < 10_000, $"32 coroutines x 3 x 100 ms took {sw.ElapsedMilliseconds} ms");
    }
}

internal static class ThreadExtensions
{
    public static Thread StartAndReturn(this Thread t)
    {
        t.Start();
        return t;
    }
}
