using System.Collections.Concurrent;
using System.Diagnostics;
using Xunit;
using Xunit.Abstractions;

namespace Co.Tests;

/// <summary>Timeouts and cancellations racing wake-ups and hand-offs; scale.</summary>
public class RaceTests(ITestOutputHelper output)
{
    private static void BusyWaitMicroseconds(int us)
    {
        long until = Stopwatch.GetTimestamp() + us * Stopwatch.Frequency / 1_000_000;
        while (Stopwatch.GetTimestamp() < until) Thread.SpinWait(10);
    }

    /// <summary>
    /// Auto-reset event, a waiter with a short timeout and a Signal at about the same moment. Whatever wins, the signal
    /// is never lost and never doubled: if the waiter timed out the signal is stored for the next Wait; if the waiter got
    /// it, nothing is left.
    /// </summary>
    [Fact]
    public async Task Event_TimeoutRacingSignal_SignalNeitherLostNorDoubled()
    {
        int gotIt = 0, timedOut = 0;
        for (int round = 0; round < 300; round++)
        {
            var ev = new Event();
            int ms = 1 + round % 3;
            Task<bool> waiter = round % 2 == 0
                ? CoRun.Sync(() => ev.Wait(ms), CoRun.S(round % 4 < 2 ? 0 : 1))
                : CoRun.Async(async () => await ev.WaitAsync(ms), CoRun.S(round % 4 < 2 ? 1 : 0));
            BusyWaitMicroseconds(round * 137 % 4000);
            ev.Signal();
            bool r = await waiter;
            bool pending = ev.Wait(0);
            if (r)
            {
                gotIt++;
                Assert.False(pending, $"round {round}: the waiter got the signal and it was also left pending");
            }
            else
            {
                timedOut++;
                Assert.True(pending, $"round {round}: the waiter timed out and the signal was lost");
            }
        }
        output.WriteLine($"waiter got the signal {gotIt} times, timed out {timedOut} times");
        Assert.Equal(300, gotIt + timedOut);
    }

    /// <summary>Readers with 1 ms timeouts race the writes: every written item is read exactly once.</summary>
    [Fact]
    public async Task Chan_ShortReadTimeouts_RacingWrites_NothingLostOrDuplicated()
    {
        var c = new Chan<int>(2);
        const int total = 3000;
        var received = new ConcurrentQueue<int>();
        var writersDone = new WaitGroup(2);
        var readersDone = new WaitGroup(4);
        int timeouts = 0;
        for (int w = 0; w < 2; w++)
        {
            int basis = w * (total / 2);
            if (w == 0)
                Coroutine.Go(() => { for (int i = 0; i < total / 2; i++) { c.Write(basis + i); if (i % 50 == 0) Coroutine.Sleep(1); } writersDone.Done(); });
            else
                Coroutine.Go(async () => { for (int i = 0; i < total / 2; i++) { await c.WriteAsync(basis + i); if (i % 50 == 0) await Coroutine.SleepAsync(1); } writersDone.Done(); });
        }
        for (int r = 0; r < 4; r++)
        {
            if (r % 2 == 0)
                Coroutine.Go(() =>
                {
                    while (true)
                    {
                        var st = c.TryRead(out int v, 1);
                        if (st == ChanStatus.Ok) received.Enqueue(v);
                        else if (st == ChanStatus.TimedOut) Interlocked.Increment(ref timeouts);
                        else break;
                    }
                    readersDone.Done();
                });
            else
                Coroutine.Go(async () =>
                {
                    while (true)
                    {
                        var res = await c.TryReadAsync(1);
                        if (res.Status == ChanStatus.Ok) received.Enqueue(res.Value);
                        else if (res.Status == ChanStatus.TimedOut) Interlocked.Increment(ref timeouts);
                        else break;
                    }
                    readersDone.Done();
                });
        }
        await CoRun.Bound(Task.Run(writersDone.Wait), TimeSpan.FromSeconds(60), "writers");
        c.Close();
        await CoRun.Bound(Task.Run(readersDone.Wait), TimeSpan.FromSeconds(30), "readers");
        var all = received.ToArray();
        Assert.Equal(total, all.Length);
        Assert.Equal(Enumerable.Range(0, total), all.OrderBy(x => x));
        Assert.True(timeouts > 0, "the readers never timed out: the race was not exercised");
    }

    /// <summary>Writers with 1 ms timeouts on a full channel: an item is delivered iff its TryWrite said Ok.</summary>
    [Fact]
    public async Task Chan_ShortWriteTimeouts_DeliverExactlyTheOkItems()
    {
        var c = new Chan<int>(1);
        var okItems = new ConcurrentQueue<int>();
        var received = new ConcurrentQueue<int>();
        var writersDone = new WaitGroup(4);
        int timeouts = 0;
        for (int w = 0; w < 4; w++)
        {
            int basis = w * 100_000;
            if (w % 2 == 0)
                Coroutine.Go(() =>
                {
                    for (int i = 0; i < 400; i++)
                    {
                        var st = c.TryWrite(basis + i, 1);
                        if (st == ChanStatus.Ok) okItems.Enqueue(basis + i); else Interlocked.Increment(ref timeouts);
                    }
                    writersDone.Done();
                });
            else
                Coroutine.Go(async () =>
                {
                    for (int i = 0; i < 400; i++)
                    {
                        var st = await c.TryWriteAsync(basis + i, 1);
                        if (st == ChanStatus.Ok) okItems.Enqueue(basis + i); else Interlocked.Increment(ref timeouts);
                    }
                    writersDone.Done();
                });
        }
        Task reader = CoRun.Sync(() =>
        {
            while (true)
            {
                var st = c.TryRead(out int v, -1);
                if (st != ChanStatus.Ok) break;
                received.Enqueue(v);
                if (received.Count % 7 == 0) Coroutine.Sleep(1);
            }
        }, null, TimeSpan.FromSeconds(60));
        await CoRun.Bound(Task.Run(writersDone.Wait), TimeSpan.FromSeconds(60), "writers");
        c.Close();
        await reader;
        Assert.Equal(okItems.OrderBy(x => x), received.OrderBy(x => x));
        Assert.True(timeouts > 0, "no write timed out: the race was not exercised");
    }

    /// <summary>ReadAsync cancelled at about the moment an item is written: the item is either returned to that reader
    /// or still in the channel, never lost.</summary>
    [Fact]
    public async Task Chan_ReadCancellationRacingWrite_ItemNeverLost()
    {
        var c = new Chan<int>(1);
        int delivered = 0, leftInChannel = 0;
        for (int round = 0; round < 200; round++)
        {
            using var cts = new CancellationTokenSource();
            Task<bool> reader = CoRun.Async(async () =>
            {
                try { return await c.ReadAsync(cts.Token) == round; }
                catch (OperationCanceledException) { return false; }
            }, CoRun.S(round % 2));
            await Task.Delay(1);
            Task writer = CoRun.Sync(() => c.Write(round), CoRun.S((round + 1) % 2));
            if (round % 3 != 0) BusyWaitMicroseconds(round * 37 % 300);
            cts.Cancel();
            await writer;
            bool got = await reader;
            if (got) delivered++;
            else
            {
                var (st, v) = await CoRun.Sync(() => (c.TryRead(out int x, 1_000), x));
                Assert.True(st == ChanStatus.Ok && v == round, $"round {round}: cancelled reader, item not in the channel ({st}, {v})");
                leftInChannel++;
            }
            Assert.Equal(0, c.Count);
        }
        output.WriteLine($"delivered to the cancelled reader {delivered} times, left in the channel {leftInChannel} times");
        Assert.Equal(200, delivered + leftInChannel);
    }

    /// <summary>Sleeps of different lengths on one scheduler end in the order of their deadlines.</summary>
    [Fact]
    public async Task Sleep_WakeOrder_FollowsDeadlines()
    {
        // Each sleeper records its own deadline as it starts sleeping: the sleepers start one after another (a sync one
        // that parks may first need a spare thread made for the scheduler), so their deadlines are what the wake order
        // must follow, not their durations alone.
        var s = CoRun.S(0);
        var order = new ConcurrentQueue<int>();
        var deadlines = new long[20];
        var wg = new WaitGroup(20);
        await CoRun.Sync(() =>
        {
            for (int i = 19; i >= 0; i--)
            {
                int k = i;
                int ms = 20 + k * 10;
                if (k % 2 == 0) s.Go(() => { deadlines[k] = Stopwatch.GetTimestamp() + ms * Stopwatch.Frequency / 1000; Coroutine.Sleep(ms); order.Enqueue(k); wg.Done(); });
                else s.Go(async () => { deadlines[k] = Stopwatch.GetTimestamp() + ms * Stopwatch.Frequency / 1000; await Coroutine.SleepAsync(ms); order.Enqueue(k); wg.Done(); });
            }
        }, s);
        await CoRun.Thread(wg.Wait);
        int[] woken = order.ToArray();
        Assert.Equal(20, woken.Distinct().Count());
        for (int i = 1; i < woken.Length; i++)
        {
            // The runtime takes its deadline a moment after the sleeper recorded it: two within a millisecond of each
            // other may wake in either order.
            Assert.True(deadlines[woken[i - 1]] <= deadlines[woken[i]] + Stopwatch.Frequency / 1000,
                $"sleeper {woken[i - 1]} (deadline {deadlines[woken[i - 1]]}) woke before sleeper {woken[i]} (deadline {deadlines[woken[i]]}): order {string.Join(", ", woken)}");
        }
    }

    [Fact]
    public async Task Go_FromManyThreadsAtOnce_EveryCoroutineRunsExactlyOnce()
    {
        const int threads = 4, perThread = 2000;
        var ran = new int[threads * perThread];
        var wg = new WaitGroup(threads * perThread);
        var tasks = Enumerable.Range(0, threads).Select(t => CoRun.Thread(() =>
        {
            for (int i = 0; i < perThread; i++)
            {
                int k = t * perThread + i;
                switch (i % 4)
                {
                    case 0: Coroutine.Go(() => { Interlocked.Increment(ref ran[k]); wg.Done(); }); break;
                    case 1: Coroutine.Go(async () => { await Task.Yield(); Interlocked.Increment(ref ran[k]); wg.Done(); }); break;
                    case 2: Coroutine.Schedulers[k % 2].Go((int x) => { Interlocked.Increment(ref ran[x]); wg.Done(); }, k); break;
                    default: Coroutine.Schedulers[k % 2].Go(async (int x) => { await Coroutine.YieldAsync(); Interlocked.Increment(ref ran[x]); wg.Done(); }, k); break;
                }
            }
        })).ToArray();
        await Task.WhenAll(tasks);
        await CoRun.Bound(Task.Run(wg.Wait), "coroutines started from 4 threads");
        Assert.All(ran, r => Assert.Equal(1, r));
    }

    [Fact]
    public async Task GoChain_EachCoroutineStartsTheNext_10000Deep()
    {
        const int depth = 10_000;
        var done = new TaskCompletionSource<int>(TaskCreationOptions.RunContinuationsAsynchronously);
        void Step(int n)
        {
            if (n == depth) { done.TrySetResult(n); return; }
            if (n % 2 == 0) Coroutine.Go(Step, n + 1);
            else Coroutine.Go(async (int m) => { await Coroutine.YieldAsync(); Step(m); }, n + 1);
        }
        Coroutine.Go(Step, 0);
        Assert.Equal(depth, await done.Task.WaitAsync(TimeSpan.FromSeconds(60)));
    }

    /// <summary>The seed promises millions of coroutines; async ones are a few hundred bytes when parked.</summary>
    [Fact]
    public async Task HundredThousandParkedAsyncCoroutines_FitAndAllFinish()
    {
        const int n = 100_000;
        GC.Collect();
        long before = GC.GetTotalMemory(true);
        var gate = new Event(manualReset: true);
        var parked = new WaitGroup(n);
        var finished = new WaitGroup(n);
        var sw = Stopwatch.StartNew();
        for (int i = 0; i < n; i++)
            Coroutine.Go(async () => { parked.Done(); await gate.WaitAsync(); finished.Done(); });
        await CoRun.Bound(Task.Run(parked.Wait), TimeSpan.FromSeconds(60), "100k coroutines parking");
        long during = GC.GetTotalMemory(true);
        gate.Signal();
        await CoRun.Bound(Task.Run(finished.Wait), TimeSpan.FromSeconds(60), "100k coroutines finishing");
        sw.Stop();
        long perCoroutine = (during - before) / n;
        Assert.True(perCoroutine < 2_000, $"{perCoroutine} bytes per parked async coroutine");
        Assert.True(sw.ElapsedMilliseconds < 30_000, $"100k async coroutines took {sw.ElapsedMilliseconds} ms");
    }

    [Fact]
    public async Task WaitGroup_ConcurrentAddDoneFromThreadsAndCoroutines_WaitersReleasedExactlyAtZero()
    {
        var wg = new WaitGroup();
        const int workers = 400;
        wg.Add(workers);
        int finishedWork = 0;
        int observedEarly = 0;
        var waiters = new List<Task>
        {
            CoRun.Thread(() => { wg.Wait(); if (Volatile.Read(ref finishedWork) != workers) Interlocked.Increment(ref observedEarly); }),
            CoRun.Sync(() => { wg.Wait(); if (Volatile.Read(ref finishedWork) != workers) Interlocked.Increment(ref observedEarly); }),
            CoRun.Async(async () => { await wg.WaitAsync(); if (Volatile.Read(ref finishedWork) != workers) Interlocked.Increment(ref observedEarly); }),
        };
        for (int i = 0; i < workers; i++)
        {
            int k = i;
            switch (k % 3)
            {
                case 0: Coroutine.Go(() => { Coroutine.Sleep(k % 5); Interlocked.Increment(ref finishedWork); wg.Done(); }); break;
                case 1: Coroutine.Go(async () => { await Coroutine.SleepAsync(k % 5); Interlocked.Increment(ref finishedWork); wg.Done(); }); break;
                default: ThreadPool.QueueUserWorkItem(_ => { Interlocked.Increment(ref finishedWork); wg.Done(); }); break;
            }
        }
        await CoRun.Bound(Task.WhenAll(waiters), "waiters");
        Assert.Equal(0, observedEarly);
        Assert.Equal(0, wg.Count);
    }
}
