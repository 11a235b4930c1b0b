using System.Diagnostics;
using Xunit;

namespace Co.Tests;

/// <summary>Interop with Task code: GoAsync (Task code awaits a coroutine) and Coroutine.Await (a sync coroutine waits
/// for a Task or ValueTask by parking, not by blocking its scheduler).</summary>
public class InteropTests
{
    [Fact]
    public async Task GoAsync_SyncBody_ResultFlowsAndBodyRanInACoroutine()
    {
        Assert.Equal(42, await Bounded(Coroutine.GoAsync(() => Coroutine.IsInCoroutine ? 42 : -1), "GoAsync"));
        bool ran = false;
        await Bounded(Coroutine.GoAsync(() => { ran = Coroutine.IsInCoroutine; }), "GoAsync(Action)");
        Assert.True(ran);
    }

    [Fact]
    public async Task GoAsync_AsyncBody_ResultFlowsAfterAwaits()
    {
        int result = await Bounded(Coroutine.GoAsync(async () =>
        {
            await Coroutine.SleepAsync(10);
            await Task.Delay(10);
            return Coroutine.SchedulerId >= 0 ? 7 : -1;
        }), "GoAsync(async T)");
        Assert.Equal(7, result);

        int steps = 0;
        await Bounded(Coroutine.GoAsync(async () => { steps++; await Coroutine.SleepAsync(5); steps++; }), "GoAsync(async)");
        Assert.Equal(2, steps);
    }

    [Fact]
    public async Task Scheduler_GoAsync_RunsOnThatScheduler()
    {
        Assert.Equal(1, await Bounded(CoRun.S(1).GoAsync(() => Coroutine.SchedulerId), "S1 sync"));
        Assert.Equal(0, await Bounded(CoRun.S(0).GoAsync(async () => { await Coroutine.YieldAsync(); return Coroutine.SchedulerId; }), "S0 async"));
    }

    [Fact]
    public async Task GoAsync_Exceptions_FaultTheTask_AndAreNotReportedAsUnhandled()
    {
        int unhandled = 0;
        EventHandler<CoroutineExceptionEventArgs> handler = (_, _) => Interlocked.Increment(ref unhandled);
        Coroutine.UnhandledException += handler;
        try
        {
            var syncError = new InvalidOperationException("sync");
            Task<int> sync = Coroutine.GoAsync(new Func<int>(() => throw syncError));
            Assert.Same(syncError, await Assert.ThrowsAsync<InvalidOperationException>(() => Bounded(sync, "faulted sync")));

            var asyncError = new FormatException("async");
            Task async = Coroutine.GoAsync(async () => { await Coroutine.SleepAsync(5); throw asyncError; });
            Assert.Same(asyncError, await Assert.ThrowsAsync<FormatException>(() => Bounded(async, "faulted async")));

            // A coroutine that throws through plain Go is reported: the handler is live, so zero above means something.
            Coroutine.Go(() => throw new InvalidOperationException("reported"));
            Assert.True(await CoRun.Until(() => Volatile.Read(ref unhandled) == 1));
            await Task.Delay(50);
            Assert.Equal(1, Volatile.Read(ref unhandled));
        }
        finally
        {
            Coroutine.UnhandledException -= handler;
        }
    }

    [Fact]
    public async Task GoAsync_ContinuationsDoNotRunOnTheSchedulerThread()
    {
        var gate = new Event();
        Task<int> task = CoRun.S(0).GoAsync(() => { gate.Wait(); return 1; });
        Task<int> continuation = task.ContinueWith(_ => Coroutine.SchedulerId, TaskContinuationOptions.ExecuteSynchronously);
        gate.Signal();
        Assert.Equal(-1, await Bounded(continuation, "continuation"));

        Task<int> asyncTask = CoRun.S(1).GoAsync(async () => { await Coroutine.SleepAsync(20); return 2; });
        Task<int> asyncContinuation = asyncTask.ContinueWith(_ => Coroutine.SchedulerId, TaskContinuationOptions.ExecuteSynchronously);
        Assert.Equal(-1, await Bounded(asyncContinuation, "async continuation"));
    }

    [Fact]
    public async Task GoAsync_Cancellation_LikeTaskRun()
    {
        using var cancelled = new CancellationTokenSource();
        await cancelled.CancelAsync();
        bool ran = false;
        Task skipped = Coroutine.GoAsync(() => { ran = true; }, cancelled.Token);
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => Bounded(skipped, "skipped"));
        Assert.True(skipped.IsCanceled);
        Assert.False(ran);

        using var during = new CancellationTokenSource();
        Task<int> byBody = Coroutine.GoAsync<int>(() =>
        {
            during.Cancel();
            during.Token.ThrowIfCancellationRequested();
            return 0;
        }, during.Token);
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => Bounded(byBody, "cancelled by body"));
        Assert.True(byBody.IsCanceled);

        // An OperationCanceledException for some other token is a fault, as with Task.Run.
        using var live = new CancellationTokenSource();
        Task<int> foreign = Coroutine.GoAsync(new Func<int>(() => throw new OperationCanceledException()), live.Token);
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => Bounded(foreign, "foreign"));
        Assert.True(foreign.IsFaulted);

        using var asyncSource = new CancellationTokenSource();
        Task asyncCancelled = Coroutine.GoAsync(async () =>
        {
            await asyncSource.CancelAsync();
            await Coroutine.SleepAsync(1000, asyncSource.Token);
        }, asyncSource.Token);
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => Bounded(asyncCancelled, "async cancelled"));
        Assert.True(asyncCancelled.IsCanceled);
    }

    [Fact]
    public async Task Await_InSyncCoroutine_ResultsAndOriginalExceptions()
    {
        await CoRun.Sync(() =>
        {
            Assert.Equal(5, Coroutine.Await(DelayedResult(5, 20)));
            Coroutine.Await(Task.Delay(10));
            Assert.Equal(6, Coroutine.Await(new ValueTask<int>(DelayedResult(6, 20))));
            Coroutine.Await(new ValueTask(Task.Delay(10)));
            Assert.Equal(9, Coroutine.Await(Task.FromResult(9)));

            var thrown = Assert.Throws<FormatException>(() => Coroutine.Await(DelayedFault(20)));
            Assert.Equal("late", thrown.Message);
            Assert.Throws<FormatException>(() => Coroutine.Await<int>(new ValueTask<int>(DelayedFaultOf<int>(20))));
            Assert.ThrowsAny<OperationCanceledException>(() => Coroutine.Await(Task.FromCanceled(new CancellationToken(true))));
        });
    }

    [Fact]
    public async Task Await_OnAPlainThread_BlocksAndGivesTheResult()
    {
        await CoRun.Thread(() =>
        {
            Assert.False(Coroutine.IsInCoroutine);
            Assert.Equal(3, Coroutine.Await(DelayedResult(3, 20)));
            Assert.Throws<FormatException>(() => Coroutine.Await(DelayedFault(20)));
            Assert.False(Coroutine.Await(new TaskCompletionSource().Task, 30));
        });
    }

    [Fact]
    public async Task Await_ValueTaskOfTheRuntime_InASyncCoroutine()
    {
        var chan = new Chan<int>();
        Task reader = CoRun.Sync(() =>
        {
            // An async channel read started in a sync coroutine, awaited by parking.
            Assert.Equal(11, Coroutine.Await(chan.ReadAsync()));
            Assert.Equal(ChanStatus.Ok, Coroutine.Await(chan.TryReadAsync(5000)).Status);
        }, CoRun.S(0));
        await Task.Delay(50);
        await chan.WriteAsync(11);
        await Task.Delay(20);
        await chan.WriteAsync(12);
        await reader;
    }

    [Fact]
    public async Task Await_HundredSyncCoroutinesOnOneScheduler_WaitConcurrently_WhileATickerKeepsTicking()
    {
        const int count = 100;
        int ticks = 0;
        bool stop = false;
        Task ticker = CoRun.Sync(() =>
        {
            while (!Volatile.Read(ref stop))
            {
                Coroutine.Sleep(10);
                Interlocked.Increment(ref ticks);
            }
        }, CoRun.S(0));

        var sw = Stopwatch.StartNew();
        var waiters = new Task[count];
        int done = 0;
        for (int i = 0; i < count; i++)
        {
            int n = i;
            waiters[i] = CoRun.Sync(() =>
            {
                Assert.Equal(n, Coroutine.Await(DelayedResult(n, 200)));
                Interlocked.Increment(ref done);
            }, CoRun.S(0));
        }

        await Bounded(Task.WhenAll(waiters), "100 awaits");
        long elapsed = sw.ElapsedMilliseconds;
        int ticksDuring = Volatile.Read(ref ticks);
        Volatile.Write(ref stop, true);
        await ticker;

        Assert.Equal(count, done);
        // Serial waits would take 20 s; parked ones overlap (generous bound for slow machines).
        Assert.True(elapsed < 5000, $"100 awaits of 200 ms took {elapsed} ms");
        // The scheduler was not blocked: a 10 ms ticker on it kept going during the ≥ 200 ms wait.
        Assert.True(ticksDuring >= 5, $"ticker ticked {ticksDuring} times in {elapsed} ms");
    }

    [Fact]
    public async Task Await_WithTimeoutAndCancellation()
    {
        await CoRun.Sync(() =>
        {
            var never = new TaskCompletionSource<int>().Task;
            var sw = Stopwatch.StartNew();
            Assert.False(Coroutine.TryAwait(never, 50, out int none));
            Assert.Equal(0, none);
            Assert.InRange(sw.ElapsedMilliseconds, 40, 5000);
            Assert.False(Coroutine.Await(never, 0));

            Assert.True(Coroutine.TryAwait(DelayedResult(8, 10), 5000, out int eight));
            Assert.Equal(8, eight);
            Assert.True(Coroutine.Await(Task.Delay(10), -1));
            Assert.Throws<FormatException>(() => Coroutine.Await(DelayedFault(10), 5000));

            using var cts = new CancellationTokenSource(30);
            Assert.ThrowsAny<OperationCanceledException>(() => Coroutine.Await(never, -1, cts.Token));
            Assert.Throws<ArgumentOutOfRangeException>(() => Coroutine.Await(never, -2));

            // The node that timed out is used again at once: a late completion of the old wait must not wake this one.
            var late = new TaskCompletionSource();
            Assert.False(Coroutine.Await(late.Task, 10));
            _ = Task.Delay(10).ContinueWith(_ => late.SetResult(), TaskScheduler.Default);
            sw.Restart();
            Coroutine.Sleep(50);
            Assert.True(sw.ElapsedMilliseconds >= 45, $"Sleep(50) ended after {sw.ElapsedMilliseconds} ms");
        });
    }

    [Fact]
    public async Task Await_ATaskCompletedByACoroutineOfTheSameScheduler_DoesNotDeadlock()
    {
        // Blocking the baton holder (task.Result) would keep the producing coroutine from ever running.
        int result = await CoRun.Sync(() =>
        {
            Task<int> sibling = CoRun.S(0).GoAsync(() => { Coroutine.Sleep(20); return 21; });
            var signal = new TaskCompletionSource<int>();
            CoRun.S(0).Go(() => { Coroutine.Sleep(10); signal.SetResult(2); });
            return Coroutine.Await(sibling) * Coroutine.Await(signal.Task);
        }, CoRun.S(0));
        Assert.Equal(42, result);
    }

    [Fact]
    public void Await_NullTask_Throws()
    {
        Assert.Throws<ArgumentNullException>(() => Coroutine.Await((Task)null!));
        Assert.Throws<ArgumentNullException>(() => Coroutine.Await((Task<int>)null!));
        Assert.Throws<ArgumentNullException>(() => { _ = Coroutine.GoAsync((Action)null!); });
    }

    private static async Task<T> Bounded<T>(Task<T> task, string what)
    {
        await CoRun.Bound(task, what);
        return await task;
    }

    private static Task Bounded(Task task, string what) => CoRun.Bound(task, what);

    private static async Task<int> DelayedResult(int value, int ms)
    {
        await Task.Delay(ms).ConfigureAwait(false);
        return value;
    }

    private static async Task DelayedFault(int ms)
    {
        await Task.Delay(ms).ConfigureAwait(false);
        throw new FormatException("late");
    }

    private static async Task<T> DelayedFaultOf<T>(int ms)
    {
        await Task.Delay(ms).ConfigureAwait(false);
        throw new FormatException("late");
    }
}
