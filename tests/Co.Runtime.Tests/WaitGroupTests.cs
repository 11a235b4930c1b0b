using System.Collections.Concurrent;
using System.Diagnostics;
using Xunit;

namespace Co.Tests;

/// <summary>co::WaitGroup: coroutines and plain threads.</summary>
public class WaitGroupTests
{
    [Fact]
    public void NewWaitGroup_CountZero_WaitReturnsAtOnce()
    {
        var wg = new WaitGroup();
        Assert.Equal(0, wg.Count);
        var sw = Stopwatch.StartNew();
        wg.Wait();
        Assert.True(sw.ElapsedMilliseconds < 1_000);
        Assert.Equal(3, new WaitGroup(3).Count);
    }

    [Fact]
    public void AddAndDone_TrackTheCount()
    {
        var wg = new WaitGroup();
        wg.Add();
        Assert.Equal(1, wg.Count);
        wg.Add(4);
        Assert.Equal(5, wg.Count);
        wg.Done();
        Assert.Equal(4, wg.Count);
        wg.Add(-4);
        Assert.Equal(0, wg.Count);
    }

    [Fact]
    public void Add_MakingCountNegative_Throws_AndLeavesCountUnchanged()
    {
        var wg = new WaitGroup(1);
        Assert.Throws<InvalidOperationException>(() => wg.Add(-2));
        Assert.Equal(1, wg.Count);
        wg.Done();
        Assert.Equal(0, wg.Count);
        Assert.Throws<InvalidOperationException>(() => wg.Done());
        Assert.Equal(0, wg.Count);
        wg.Wait(); // still usable, count 0
    }

    [Fact]
    public async Task Add_MakingCountNegative_InCoroutine_Throws()
    {
        var wg = new WaitGroup(2);
        await CoRun.Sync(() =>
        {
            Assert.Throws<InvalidOperationException>(() => wg.Add(-3));
            Assert.Equal(2, wg.Count);
        });
    }

    [Fact]
    public async Task FromThreads_WaitReturnsWhenAllDone()
    {
        var wg = new WaitGroup();
        int done = 0;
        const int n = 8;
        wg.Add(n);
        var threads = Enumerable.Range(0, n).Select(i => new Thread(() =>
        {
            Thread.Sleep(20 + i * 5);
            Interlocked.Increment(ref done);
            wg.Done();
        }) { IsBackground = true }).ToList();
        threads.ForEach(t => t.Start());
        await CoRun.Thread(wg.Wait);
        Assert.Equal(n, done);
        Assert.Equal(0, wg.Count);
    }

    [Fact]
    public async Task WaitingThread_BlocksUntilLastDone()
    {
        var wg = new WaitGroup(2);
        Task waiter = CoRun.Thread(wg.Wait);
        await Task.Delay(100);
        Assert.False(waiter.IsCompleted);
        wg.Done();
        await Task.Delay(100);
        Assert.False(waiter.IsCompleted);
        wg.Done();
        await waiter;
    }

    [Fact]
    public async Task FromCoroutines_SyncAndAsync_WaitInCoroutine()
    {
        var wg = new WaitGroup();
        int done = 0;
        const int n = 50;
        await CoRun.Sync(() =>
        {
            for (int i = 0; i < n; i++)
            {
                wg.Add();
                int k = i;
                if (k % 2 == 0)
                    Coroutine.Go(() => { Coroutine.Sleep(k % 7); Interlocked.Increment(ref done); wg.Done(); });
                else
                    Coroutine.Go(async () => { await Coroutine.SleepAsync(k % 7); Interlocked.Increment(ref done); wg.Done(); });
            }
            wg.Wait();
            Assert.Equal(n, Volatile.Read(ref done));
        });
    }

    [Fact]
    public async Task WaitInCoroutine_DoneOnSameScheduler_DoesNotDeadlock()
    {
        var s = CoRun.S(1);
        var wg = new WaitGroup(3);
        Task waiter = CoRun.Sync(wg.Wait, s);
        for (int i = 0; i < 3; i++)
            s.Go(() => { Coroutine.Sleep(10); wg.Done(); });
        await CoRun.Bound(waiter, "WaitGroup.Wait with Done on the same scheduler");
    }

    [Fact]
    public async Task WaitAsync_InAsyncCoroutine()
    {
        var wg = new WaitGroup(10);
        for (int i = 0; i < 10; i++)
            CoRun.S(i % 2).Go(() => { Coroutine.Sleep(20); wg.Done(); });
        await CoRun.Async(async () =>
        {
            await wg.WaitAsync();
            Assert.Equal(0, wg.Count);
        });
    }

    [Fact]
    public async Task WaitAsync_Cancellation_ThrowsPromptly_WaitGroupStillUsable()
    {
        var wg = new WaitGroup(1);
        long ms = await CoRun.Async(async () =>
        {
            using var cts = new CancellationTokenSource(100);
            var sw = Stopwatch.StartNew();
            await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await wg.WaitAsync(cts.Token));
            return sw.ElapsedMilliseconds;
        });
        Assert.True(ms < 5_000, $"cancellation took {ms} ms");
        Assert.Equal(1, wg.Count);
        Task waiter = CoRun.Async(async () => await wg.WaitAsync());
        await Task.Delay(50);
        wg.Done();
        await waiter;
    }

    [Fact]
    public async Task WaitAsync_OnPlainTaskCode()
    {
        var wg = new WaitGroup(1);
        Task t = wg.WaitAsync().AsTask();
        await Task.Delay(50);
        Assert.False(t.IsCompleted);
        await CoRun.Sync(wg.Done);
        await CoRun.Bound(t, "WaitGroup.WaitAsync outside a coroutine");
    }

    [Fact]
    public async Task Reuse_AfterReachingZero()
    {
        var wg = new WaitGroup();
        for (int round = 0; round < 20; round++)
        {
            wg.Add(4);
            for (int i = 0; i < 4; i++)
            {
                if (i % 2 == 0) Coroutine.Go(wg.Done);
                else Coroutine.Go(async () => { await Coroutine.YieldAsync(); wg.Done(); });
            }
            await CoRun.Thread(wg.Wait);
            Assert.Equal(0, wg.Count);
        }
    }

    // Seed example:
    //   co::WaitGroup wg;
    //   for (int i = 0; i < 8; ++i) { wg.add(); go([&]() { LOG << "co: " << co::coroutine_id(); wg.done(); }); }
    //   wg.wait();
    [Fact]
    public async Task SeedExample_WaitGroup()
    {
        var log = new ConcurrentQueue<string>();
        var wg = new WaitGroup();
        for (int i = 0; i < 8; ++i)
        {
            wg.Add();
            Coroutine.Go(() =>
            {
                log.Enqueue("co: " + Coroutine.Id);
                wg.Done();
            });
        }
        await CoRun.Thread(wg.Wait);
        log.Enqueue("wg wait end..");
        Assert.Equal(9, log.Count);
        Assert.Equal("wg wait end..", log.Last());
        Assert.All(log.Take(8), l => Assert.True(int.Parse(l[4..], System.Globalization.CultureInfo.InvariantCulture) >= 0, l));
    }
}
