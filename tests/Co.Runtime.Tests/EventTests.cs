using System.Collections.Concurrent;
using System.Diagnostics;
using Xunit;

namespace Co.Tests;

/// <summary>co::Event: coroutines (sync and async) and plain threads.</summary>
public class EventTests
{
    [Fact]
    public void Wait_WithTimeout_ReturnsFalseOnTimeout_OnPlainThread()
    {
        var ev = new Event();
        var sw = Stopwatch.StartNew();
        Assert.False(ev.Wait(100));
        sw.Stop();
        Assert.InRange(sw.ElapsedMilliseconds, 90, 5_000);
        Assert.False(ev.Wait(0));
    }

    [Fact]
    public async Task Wait_WithTimeout_ReturnsTrueWhenSignalled_OnPlainThread()
    {
        var ev = new Event();
        var sw = Stopwatch.StartNew();
        Task<bool> waiter = CoRun.Thread(() => ev.Wait(20_000));
        await Task.Delay(100);
        ev.Signal();
        Assert.True(await waiter);
        Assert.True(sw.ElapsedMilliseconds < 10_000);
    }

    [Fact]
    public async Task Wait_WithTimeout_InSyncCoroutine()
    {
        var ev = new Event();
        var (timedOutResult, elapsed) = await CoRun.Sync(() =>
        {
            var sw = Stopwatch.StartNew();
            bool r = ev.Wait(100);
            return (r, sw.ElapsedMilliseconds);
        });
        Assert.False(timedOutResult);
        Assert.InRange(elapsed, 90, 5_000);

        Task<bool> waiter = CoRun.Sync(() => ev.Wait(20_000));
        await Task.Delay(50);
        ev.Signal();
        Assert.True(await waiter);
    }

    [Fact]
    public async Task WaitAsync_WithTimeout_InAsyncCoroutine()
    {
        var ev = new Event();
        var (r, elapsed) = await CoRun.Async(async () =>
        {
            var sw = Stopwatch.StartNew();
            bool ok = await ev.WaitAsync(100);
            return (ok, sw.ElapsedMilliseconds);
        });
        Assert.False(r);
        Assert.InRange(elapsed, 90, 5_000);

        Task<bool> waiter = CoRun.Async(async () => await ev.WaitAsync(20_000));
        await Task.Delay(50);
        ev.Signal();
        Assert.True(await waiter);
    }

    [Fact]
    public void Signal_WithNoWaiter_NextWaitReturnsAtOnce_AutoResetConsumesIt()
    {
        var ev = new Event();
        ev.Signal();
        var sw = Stopwatch.StartNew();
        Assert.True(ev.Wait(5_000));
        Assert.True(sw.ElapsedMilliseconds < 1_000);
        Assert.False(ev.Wait(50)); // consumed
    }

    [Fact]
    public async Task Signal_WithNoWaiter_NextWaitInCoroutineReturnsAtOnce()
    {
        var ev = new Event();
        ev.Signal();
        var (first, second, firstMs) = await CoRun.Sync(() =>
        {
            var sw = Stopwatch.StartNew();
            bool a = ev.Wait(5_000);
            long ms = sw.ElapsedMilliseconds;
            bool b = ev.Wait(50);
            return (a, b, ms);
        });
        Assert.True(first);
        Assert.True(firstMs < 1_000);
        Assert.False(second);

        ev.Signal();
        var (afirst, asecond) = await CoRun.Async(async () => (await ev.WaitAsync(5_000), await ev.WaitAsync(50)));
        Assert.True(afirst);
        Assert.False(asecond);
    }

    [Fact]
    public void ManualReset_KeepsSignalUntilReset()
    {
        var ev = new Event(manualReset: true);
        Assert.False(ev.Wait(10));
        ev.Signal();
        Assert.True(ev.Wait(0));
        Assert.True(ev.Wait(10));
        ev.Wait(); // returns at once
        ev.Reset();
        Assert.False(ev.Wait(50));
    }

    [Fact]
    public async Task ManualReset_InCoroutines_KeepsSignalUntilReset()
    {
        var ev = new Event(manualReset: true);
        ev.Signal();
        Assert.True(await CoRun.Sync(() => ev.Wait(1_000) && ev.Wait(1_000) && ev.Wait(0)));
        Assert.True(await CoRun.Async(async () => await ev.WaitAsync(1_000) && await ev.WaitAsync(1_000)));
        ev.Reset();
        Assert.False(await CoRun.Sync(() => ev.Wait(30)));
        Assert.False(await CoRun.Async(async () => await ev.WaitAsync(30)));
    }

    [Fact]
    public async Task ManualReset_SignalWithWaiters_WakesThem_AndStaysSignalled()
    {
        var ev = new Event(manualReset: true);
        Task<bool> w1 = CoRun.Sync(() => ev.Wait(20_000));
        Task<bool> w2 = CoRun.Async(async () => await ev.WaitAsync(20_000));
        Task<bool> w3 = CoRun.Thread(() => ev.Wait(20_000));
        await Task.Delay(200);
        Assert.False(w1.IsCompleted || w2.IsCompleted || w3.IsCompleted);
        ev.Signal();
        Assert.True(await w1);
        Assert.True(await w2);
        Assert.True(await w3);
        Assert.True(ev.Wait(0)); // still signalled after waking the waiters
        Assert.True(await CoRun.Sync(() => ev.Wait(0)));
        ev.Reset();
        Assert.False(ev.Wait(0));
    }

    [Fact]
    public void InitiallySignaled_AutoReset_FirstWaitReturns_ThenConsumed()
    {
        var ev = new Event(manualReset: false, signaled: true);
        Assert.True(ev.Wait(0));
        Assert.False(ev.Wait(20));
        var m = new Event(manualReset: true, signaled: true);
        Assert.True(m.Wait(0));
        Assert.True(m.Wait(0));
    }

    [Fact]
    public void Reset_ClearsAPendingSignal()
    {
        var ev = new Event();
        ev.Signal();
        ev.Reset();
        Assert.False(ev.Wait(30));
    }

    [Fact]
    public async Task Signal_WakesAllWaiters_ThreadsSyncAndAsyncCoroutines()
    {
        var ev = new Event(); // auto-reset: a signal with waiters wakes all of them
        const int each = 10;
        int ready = 0;
        var tasks = new List<Task<bool>>();
        for (int i = 0; i < each; i++)
        {
            tasks.Add(CoRun.Thread(() => { Interlocked.Increment(ref ready); return ev.Wait(20_000); }));
            tasks.Add(CoRun.Sync(() => { Interlocked.Increment(ref ready); return ev.Wait(20_000); }));
            tasks.Add(CoRun.Async(async () => { Interlocked.Increment(ref ready); return await ev.WaitAsync(20_000); }));
            tasks.Add(CoRun.Async(async () => { Interlocked.Increment(ref ready); await ev.WaitAsync(); return true; }));
        }
        Assert.True(await CoRun.Until(() => Volatile.Read(ref ready) == 4 * each));
        await Task.Delay(300); // all are in Wait by now (the gap between the increment and Wait is a few instructions)
        var sw = Stopwatch.StartNew();
        ev.Signal();
        await CoRun.Bound(Task.WhenAll(tasks), TimeSpan.FromSeconds(30), "waiters woken by one Signal");
        foreach (var t in tasks) Assert.True(await t);
        Assert.True(sw.ElapsedMilliseconds < 10_000, $"waking all waiters took {sw.ElapsedMilliseconds} ms");
        Assert.False(ev.Wait(30)); // the signal woke waiters, it was not left pending
    }

    [Fact]
    public async Task ThreadSignals_CoroutinesWait_BothKinds()
    {
        var ev1 = new Event();
        var ev2 = new Event();
        Task<bool> sync = CoRun.Sync(() => ev1.Wait(20_000));
        Task<bool> async = CoRun.Async(async () => await ev2.WaitAsync(20_000));
        await Task.Delay(50);
        await CoRun.Thread(() => { ev1.Signal(); ev2.Signal(); });
        Assert.True(await sync);
        Assert.True(await async);
    }

    [Fact]
    public async Task CoroutineSignals_ThreadWaits_BothKinds()
    {
        var ev1 = new Event();
        var ev2 = new Event();
        Task<bool> t1 = CoRun.Thread(() => ev1.Wait(20_000));
        Task<bool> t2 = CoRun.Thread(() => ev2.Wait(20_000));
        await Task.Delay(50);
        await CoRun.Sync(() => { Coroutine.Sleep(10); ev1.Signal(); });
        await CoRun.Async(async () => { await Coroutine.SleepAsync(10); ev2.Signal(); });
        Assert.True(await t1);
        Assert.True(await t2);
    }

    [Fact]
    public async Task CoroutinesSignalEachOther_PingPong_AcrossSchedulers()
    {
        var ping = new Event();
        var pong = new Event();
        const int rounds = 200;
        int count = 0;
        Task a = CoRun.Sync(() =>
        {
            for (int i = 0; i < rounds; i++)
            {
                ping.Signal();
                if (!pong.Wait(10_000)) throw new Xunit.Sdk.XunitException($"pong lost at round {i}");
            }
        }, CoRun.S(0));
        Task b = CoRun.Async(async () =>
        {
            for (int i = 0; i < rounds; i++)
            {
                if (!await ping.WaitAsync(10_000)) throw new Xunit.Sdk.XunitException($"ping lost at round {i}");
                count++;
                pong.Signal();
            }
        }, CoRun.S(1));
        await CoRun.Bound(Task.WhenAll(a, b), "ping-pong");
        Assert.Equal(rounds, count);
    }

    [Fact]
    public async Task WaitAsync_Cancellation_ThrowsPromptly_AndLaterSignalStillWorks()
    {
        var ev = new Event();
        long elapsed = await CoRun.Async(async () =>
        {
            using var cts = new CancellationTokenSource(100);
            var sw = Stopwatch.StartNew();
            await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await ev.WaitAsync(cts.Token));
            return sw.ElapsedMilliseconds;
        });
        Assert.True(elapsed < 5_000, $"cancellation took {elapsed} ms");

        // The cancelled waiter is gone: a signal with no waiter is kept for the next Wait.
        ev.Signal();
        Assert.True(ev.Wait(1_000));

        // And a new waiter is woken by a later Signal.
        Task<bool> waiter = CoRun.Async(async () => await ev.WaitAsync(20_000));
        await Task.Delay(50);
        ev.Signal();
        Assert.True(await waiter);
    }

    [Fact]
    public async Task WaitAsyncWithTimeout_Cancellation_ThrowsPromptly()
    {
        var ev = new Event();
        long elapsed = await CoRun.Async(async () =>
        {
            using var cts = new CancellationTokenSource(100);
            var sw = Stopwatch.StartNew();
            await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await ev.WaitAsync(20_000, cts.Token));
            return sw.ElapsedMilliseconds;
        });
        Assert.True(elapsed < 5_000, $"cancellation took {elapsed} ms");
        ev.Signal();
        Assert.True(await CoRun.Async(async () => await ev.WaitAsync(1_000)));
    }

    [Fact]
    public async Task WaitAsync_AlreadyCancelledToken_Throws()
    {
        var ev = new Event();
        using var cts = new CancellationTokenSource();
        cts.Cancel();
        await CoRun.Async(async () =>
            await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await ev.WaitAsync(cts.Token)));
    }

    [Fact]
    public async Task WaitAsync_OnPlainTaskCode_Works()
    {
        var ev = new Event();
        Task waiting = ev.WaitAsync().AsTask();
        await Task.Delay(50);
        Assert.False(waiting.IsCompleted);
        ev.Signal();
        await CoRun.Bound(waiting, "Event.WaitAsync outside a coroutine");
        Assert.False(await ev.WaitAsync(30));
    }

    [Fact]
    public void Wait_TimeoutBelowMinusOne_ThrowsArgumentOutOfRange()
    {
        var ev = new Event();
        Assert.Throws<ArgumentOutOfRangeException>(() => ev.Wait(-2));
    }

    [Fact]
    public async Task ManyWaitersAndSignallers_NoLostWakeups_WithManualReset()
    {
        // Each round: N waiters park, then one Signal releases them all; then Reset.
        var ev = new Event(manualReset: true);
        for (int round = 0; round < 10; round++)
        {
            ev.Reset();
            var tasks = new List<Task<bool>>();
            for (int i = 0; i < 20; i++)
            {
                tasks.Add(i % 2 == 0
                    ? CoRun.Sync(() => ev.Wait(20_000))
                    : CoRun.Async(async () => await ev.WaitAsync(20_000)));
            }
            await Task.Delay(20);
            ev.Signal();
            foreach (var t in tasks) Assert.True(await t);
        }
    }

    // Seed example:
    //   void f1() { ev.wait(100); if (v == 2) v = 1; }
    //   void f2() { v = 2; ev.signal(); }
    //   go(f1); go(f2); ev.wait();
    [Fact]
    public async Task SeedExample_Event()
    {
        int v = 0;
        var ev = new Event();
        bool f1Result = false;
        var f1Done = new Event(manualReset: true);
        void F1()
        {
            f1Result = ev.Wait(1000); // the seed waits 100 ms; 1000 leaves room for a loaded machine
            if (v == 2) v = 1;
            f1Done.Signal();
        }
        void F2()
        {
            v = 2;
            ev.Signal();
        }
        Coroutine.Go(F1);
        Coroutine.Go(F2);
        bool mainResult = await CoRun.Thread(() => ev.Wait(10_000)); // main: ev.wait()
        Assert.True(await CoRun.Thread(() => f1Done.Wait(20_000)));
        // f2's signal reached main or f1 (both if both were waiting; exactly one if it came first).
        Assert.True(mainResult || f1Result, "the signal was lost");
        Assert.Equal(1, v);
    }
}
