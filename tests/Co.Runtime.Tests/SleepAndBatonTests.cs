using System.Collections.Concurrent;
using System.Diagnostics;
using Xunit;

namespace Co.Tests;

/// <summary>Sleep concurrency and the baton invariant (one thread runs coroutine code per scheduler at a time).</summary>
public class SleepAndBatonTests
{
    [Fact]
    public async Task Sleep_1000SyncCoroutines_SleepConcurrently()
    {
        const int n = 1000, ms = 200;
        var wg = new WaitGroup(n);
        long minSlept = long.MaxValue;
        int failures = 0;
        var sw = Stopwatch.StartNew();
        for (int i = 0; i < n; i++)
        {
            Coroutine.Go(() =>
            {
                try
                {
                    long t0 = Stopwatch.GetTimestamp();
                    Coroutine.Sleep(ms);
                    long slept = (long)Stopwatch.GetElapsedTime(t0).TotalMilliseconds;
                    long cur;
                    while (slept < (cur = Interlocked.Read(ref minSlept)) && Interlocked.CompareExchange(ref minSlept, slept, cur) != cur) { }
                }
                catch { Interlocked.Increment(ref failures); }
                finally { wg.Done(); }
            });
        }
        await CoRun.Bound(Task.Run(wg.Wait), TimeSpan.FromSeconds(60), "1000 sleeping sync coroutines");
        sw.Stop();
        Assert.Equal(0, failures);
        Assert.True(sw.ElapsedMilliseconds < 20_000, $"1000 x Sleep(200) took {sw.ElapsedMilliseconds} ms: not concurrent");
        Assert.True(minSlept >= ms - 10, $"a Coroutine.Sleep({ms}) returned after {minSlept} ms");
    }

    [Fact]
    public async Task SleepAsync_1000AsyncCoroutines_SleepConcurrently()
    {
        const int n = 1000, ms = 200;
        var wg = new WaitGroup(n);
        long minSlept = long.MaxValue;
        int failures = 0;
        var sw = Stopwatch.StartNew();
        for (int i = 0; i < n; i++)
        {
            Coroutine.Go(async () =>
            {
                try
                {
                    long t0 = Stopwatch.GetTimestamp();
                    await Coroutine.SleepAsync(ms);
                    long slept = (long)Stopwatch.GetElapsedTime(t0).TotalMilliseconds;
                    long cur;
                    while (slept < (cur = Interlocked.Read(ref minSlept)) && Interlocked.CompareExchange(ref minSlept, slept, cur) != cur) { }
                }
                catch { Interlocked.Increment(ref failures); }
                finally { wg.Done(); }
            });
        }
        await CoRun.Bound(Task.Run(wg.Wait), TimeSpan.FromSeconds(60), "1000 sleeping async coroutines");
        sw.Stop();
        Assert.Equal(0, failures);
        Assert.True(sw.ElapsedMilliseconds < 20_000, $"1000 x SleepAsync(200) took {sw.ElapsedMilliseconds} ms: not concurrent");
        Assert.True(minSlept >= ms - 10, $"a Coroutine.SleepAsync({ms}) returned after {minSlept} ms");
    }

    [Fact]
    public void Sleep_OutsideCoroutine_SleepsTheThread()
    {
        var sw = Stopwatch.StartNew();
        Coroutine.Sleep(100);
        sw.Stop();
        Assert.True(sw.ElapsedMilliseconds >= 98, $"Sleep(100) outside a coroutine returned after {sw.ElapsedMilliseconds} ms");
        Assert.True(sw.ElapsedMilliseconds < 5_000);
        Coroutine.Sleep(0); // allowed
    }

    [Fact]
    public async Task SleepAsync_OutsideCoroutine_Delays()
    {
        var sw = Stopwatch.StartNew();
        await Coroutine.SleepAsync(100);
        sw.Stop();
        // Outside a coroutine SleepAsync is Task.Delay, whose timer may fire a few ms early.
        Assert.True(sw.ElapsedMilliseconds >= 90, $"SleepAsync(100) outside a coroutine completed after {sw.ElapsedMilliseconds} ms");
        Assert.True(sw.ElapsedMilliseconds < 5_000);
    }

    [Fact]
    public async Task SleepAsync_Cancellation_ThrowsPromptly_InCoroutine()
    {
        var elapsed = await CoRun.Async(async () =>
        {
            using var cts = new CancellationTokenSource(50);
            var sw = Stopwatch.StartNew();
            await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await Coroutine.SleepAsync(20_000, cts.Token));
            // still usable afterwards, still on its scheduler
            await Coroutine.SleepAsync(1);
            Assert.True(Coroutine.SchedulerId >= 0);
            return sw.ElapsedMilliseconds;
        });
        Assert.True(elapsed < 5_000, $"cancelled SleepAsync took {elapsed} ms");
    }

    [Fact]
    public async Task Sleep_InSyncCoroutine_TakesAtLeastTheTime()
    {
        long ms = await CoRun.Sync(() =>
        {
            var sw = Stopwatch.StartNew();
            Coroutine.Sleep(100);
            return sw.ElapsedMilliseconds;
        });
        Assert.InRange(ms, 95, 5_000);
        long zero = await CoRun.Sync(() => { var sw = Stopwatch.StartNew(); Coroutine.Sleep(0); return sw.ElapsedMilliseconds; });
        Assert.InRange(zero, 0, 2_000);
    }

    [Fact]
    public async Task Sleep_InOneSyncCoroutine_DoesNotBlockItsScheduler()
    {
        var s = CoRun.S(0);
        Task sleeper = CoRun.Sync(() => Coroutine.Sleep(2_000), s);
        await Task.Delay(50);
        var sw = Stopwatch.StartNew();
        await CoRun.Sync(() => { }, s, TimeSpan.FromSeconds(10));
        await CoRun.Async(async () => await Coroutine.YieldAsync(), s, TimeSpan.FromSeconds(10));
        sw.Stop();
        Assert.True(sw.ElapsedMilliseconds < 1_500, $"another coroutine on the sleeper's scheduler waited {sw.ElapsedMilliseconds} ms");
        await sleeper;
    }

    /// <summary>
    /// Many sync and async coroutines on 2 schedulers; each repeatedly enters a critical section guarded by a
    /// per-scheduler counter (it must be the only thread of its scheduler running coroutine code there) and,
    /// outside the section, sleeps, yields or waits on an Event.
    /// </summary>
    [Fact]
    public async Task BatonInvariant_HoldsUnderStress_SyncAndAsyncCoroutines()
    {
        const int syncCount = 150, asyncCount = 150, rounds = 20;
        int n = Coroutine.SchedulerCount;
        var inside = new int[n];
        int violations = 0, wrongScheduler = 0, errors = 0;
        var violationInfo = new ConcurrentQueue<string>();
        var events = Enumerable.Range(0, 4).Select(_ => new Event()).ToArray();
        var wg = new WaitGroup(syncCount + asyncCount);
        int finished = 0;

        void Critical(int sid, int who, int round)
        {
            if (Coroutine.SchedulerId != sid) Interlocked.Increment(ref wrongScheduler);
            int now = Interlocked.Increment(ref inside[sid]);
            if (now != 1)
            {
                Interlocked.Increment(ref violations);
                violationInfo.Enqueue($"coroutine {who} round {round}: {now} threads inside on scheduler {sid}");
            }
            Thread.SpinWait(200 + (who * 31 + round * 17) % 400);
            if (Coroutine.SchedulerId != sid) Interlocked.Increment(ref wrongScheduler);
            Interlocked.Decrement(ref inside[sid]);
        }

        for (int c = 0; c < syncCount; c++)
        {
            int who = c;
            Coroutine.Go(() =>
            {
                try
                {
                    int sid = Coroutine.SchedulerId;
                    for (int r = 0; r < rounds; r++)
                    {
                        Critical(sid, who, r);
                        switch ((who + r) % 5)
                        {
                            case 0: Coroutine.Sleep(1); break;
                            case 1: Coroutine.Yield(); break;
                            case 2: events[(who + r) % events.Length].Wait(1); break;
                            case 3: events[(who + r + 1) % events.Length].Signal(); break;
                            default: break;
                        }
                    }
                    Interlocked.Increment(ref finished);
                }
                catch { Interlocked.Increment(ref errors); }
                finally { wg.Done(); }
            });
        }
        for (int c = 0; c < asyncCount; c++)
        {
            int who = syncCount + c;
            Coroutine.Go(async () =>
            {
                try
                {
                    int sid = Coroutine.SchedulerId;
                    for (int r = 0; r < rounds; r++)
                    {
                        Critical(sid, who, r);
                        switch ((who + r) % 6)
                        {
                            case 0: await Coroutine.SleepAsync(1); break;
                            case 1: await Coroutine.YieldAsync(); break;
                            case 2: await events[(who + r) % events.Length].WaitAsync(1); break;
                            case 3: events[(who + r + 1) % events.Length].Signal(); break;
                            case 4: Coroutine.Sleep(1); break; // sync wait inside an async coroutine
                            default: break;
                        }
                    }
                    Interlocked.Increment(ref finished);
                }
                catch { Interlocked.Increment(ref errors); }
                finally { wg.Done(); }
            });
        }
        await CoRun.Bound(Task.Run(wg.Wait), TimeSpan.FromSeconds(60), "baton stress");
        Assert.True(violations == 0, $"{violations} baton violations:\n" + string.Join("\n", violationInfo.Take(20)));
        Assert.Equal(0, wrongScheduler);
        Assert.Equal(0, errors);
        Assert.Equal(syncCount + asyncCount, finished);
    }

    [Fact]
    public async Task BatonInvariant_PlainDataPerScheduler_NeedsNoLock()
    {
        // co: coroutines on one scheduler never run in parallel, so scheduler-local data needs no lock.
        int n = Coroutine.SchedulerCount;
        var counters = new long[n];
        const int perCo = 1000, coroutines = 100;
        var wg = new WaitGroup(coroutines);
        for (int c = 0; c < coroutines; c++)
        {
            if (c % 2 == 0)
            {
                Coroutine.Go(() =>
                {
                    int sid = Coroutine.SchedulerId;
                    for (int i = 0; i < perCo; i++)
                    {
                        long v = counters[sid];
                        if (i % 100 == 0) Thread.SpinWait(50);
                        counters[sid] = v + 1;
                        if (i % 250 == 0) Coroutine.Yield();
                    }
                    wg.Done();
                });
            }
            else
            {
                Coroutine.Go(async () =>
                {
                    int sid = Coroutine.SchedulerId;
                    for (int i = 0; i < perCo; i++)
                    {
                        long v = counters[sid];
                        if (i % 100 == 0) Thread.SpinWait(50);
                        counters[sid] = v + 1;
                        if (i % 250 == 0) await Coroutine.YieldAsync();
                    }
                    wg.Done();
                });
            }
        }
        await CoRun.Bound(Task.Run(wg.Wait), TimeSpan.FromSeconds(60), "per-scheduler counters");
        Assert.Equal((long)perCo * coroutines, counters.Sum());
    }
}
