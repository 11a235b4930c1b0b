using Xunit;

namespace Co.Tests;

/// <summary>An exception escaping a coroutine is raised on Coroutine.UnhandledException; the scheduler lives on.</summary>
public class UnhandledExceptionTests
{
    private sealed class Marker(string text) : Exception(text);

    private static bool Carries(Exception reported, Exception thrown) =>
        ReferenceEquals(reported, thrown) ||
        (reported is AggregateException ae && ae.Flatten().InnerExceptions.Any(e => ReferenceEquals(e, thrown))) ||
        (reported.InnerException != null && Carries(reported.InnerException, thrown));

    private static async Task<(CoroutineExceptionEventArgs Args, int Id, Exception Thrown)> Capture(
        Action<Action<int>, Exception> start, string tag)
    {
        var thrown = new Marker("unhandled-test-" + tag + "-" + Guid.NewGuid());
        var got = new TaskCompletionSource<CoroutineExceptionEventArgs>(TaskCreationOptions.RunContinuationsAsynchronously);
        var idTcs = new TaskCompletionSource<int>(TaskCreationOptions.RunContinuationsAsynchronously);
        EventHandler<CoroutineExceptionEventArgs> handler = (sender, e) =>
        {
            if (Carries(e.Exception, thrown)) got.TrySetResult(e);
        };
        Coroutine.UnhandledException += handler;
        try
        {
            start(id => idTcs.TrySetResult(id), thrown);
            var args = await got.Task.WaitAsync(TimeSpan.FromSeconds(20));
            int id = await idTcs.Task.WaitAsync(TimeSpan.FromSeconds(1));
            return (args, id, thrown);
        }
        finally
        {
            Coroutine.UnhandledException -= handler;
        }
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    public async Task SyncCoroutine_Throws_HandlerGetsIdAndException_SchedulerKeepsRunning(int sched)
    {
        var s = CoRun.S(sched);
        var (args, id, thrown) = await Capture((reportId, ex) => s.Go((Action)(() =>
        {
            reportId(Coroutine.Id);
            throw ex;
        })), "sync");
        Assert.Equal(id, args.CoroutineId);
        Assert.Equal(sched, args.SchedulerId);
        Assert.True(Carries(args.Exception, thrown), $"reported {args.Exception}");
        await CoRun.Sync(() => Assert.Equal(sched, Coroutine.SchedulerId), s, TimeSpan.FromSeconds(10));
        await CoRun.Async(async () => { await Coroutine.YieldAsync(); Assert.Equal(sched, Coroutine.SchedulerId); }, s, TimeSpan.FromSeconds(10));
    }

    [Fact]
    public async Task SyncCoroutine_ThrowsAfterParking_HandlerGetsIdAndException()
    {
        var s = CoRun.S(1);
        var (args, id, thrown) = await Capture((reportId, ex) => s.Go((Action)(() =>
        {
            reportId(Coroutine.Id);
            Coroutine.Sleep(20); // now on a parked thread, not the scheduler's first one
            Coroutine.Yield();
            throw ex;
        })), "sync-parked");
        Assert.Equal(id, args.CoroutineId);
        Assert.Equal(1, args.SchedulerId);
        Assert.True(Carries(args.Exception, thrown));
        await CoRun.Sync(() => Coroutine.Sleep(1), s, TimeSpan.FromSeconds(10));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    public async Task AsyncCoroutine_ThrowsAfterAwait_HandlerGetsIdAndException_SchedulerKeepsRunning(int sched)
    {
        var s = CoRun.S(sched);
        var (args, id, thrown) = await Capture((reportId, ex) => s.Go(async () =>
        {
            reportId(Coroutine.Id);
            await Coroutine.SleepAsync(10);
            await Task.Delay(5);
            throw ex;
        }), "async");
        Assert.Equal(id, args.CoroutineId);
        Assert.Equal(sched, args.SchedulerId);
        Assert.True(Carries(args.Exception, thrown), $"reported {args.Exception}");
        await CoRun.Sync(() => Assert.Equal(sched, Coroutine.SchedulerId), s, TimeSpan.FromSeconds(10));
        await CoRun.Async(async () => { await Coroutine.SleepAsync(1); Assert.Equal(sched, Coroutine.SchedulerId); }, s, TimeSpan.FromSeconds(10));
    }

    [Fact]
    public async Task AsyncCoroutine_ThrowsSynchronously_HandlerGetsIt()
    {
        var s = CoRun.S(0);
        var (args, id, thrown) = await Capture((reportId, ex) => s.Go(() =>
        {
            reportId(Coroutine.Id);
            return Task.FromException(ex);
        }), "async-sync-throw");
        Assert.Equal(id, args.CoroutineId);
        Assert.True(Carries(args.Exception, thrown));
    }

    [Fact]
    public async Task ManyThrowingCoroutines_DoNotStopOthers()
    {
        int reported = 0;
        EventHandler<CoroutineExceptionEventArgs> handler = (_, e) =>
        {
            if (e.Exception is Marker || e.Exception.InnerException is Marker ||
                (e.Exception is AggregateException ae && ae.InnerExceptions.Any(x => x is Marker)))
                Interlocked.Increment(ref reported);
        };
        Coroutine.UnhandledException += handler;
        try
        {
            int ok = 0;
            var wg = new WaitGroup(100);
            for (int i = 0; i < 100; i++)
            {
                int k = i;
                if (k % 4 == 0) Coroutine.Go((Action)(() => { wg.Done(); throw new Marker("many-sync"); }));
                else if (k % 4 == 1) Coroutine.Go(async () => { wg.Done(); await Coroutine.YieldAsync(); throw new Marker("many-async"); });
                else if (k % 4 == 2) Coroutine.Go(() => { Coroutine.Sleep(1); Interlocked.Increment(ref ok); wg.Done(); });
                else Coroutine.Go(async () => { await Coroutine.SleepAsync(1); Interlocked.Increment(ref ok); wg.Done(); });
            }
            await CoRun.Thread(wg.Wait);
            Assert.True(await CoRun.Until(() => Volatile.Read(ref reported) == 50), $"{reported} of 50 exceptions reported");
            Assert.Equal(50, ok);
            // every scheduler still works
            foreach (var s in Coroutine.Schedulers)
                await CoRun.Sync(() => Coroutine.Sleep(1), s, TimeSpan.FromSeconds(10));
        }
        finally
        {
            Coroutine.UnhandledException -= handler;
        }
    }

    [Fact]
    public async Task ThrowingHandler_DoesNotKillTheScheduler()
    {
        EventHandler<CoroutineExceptionEventArgs> bad = (_, e) =>
        {
            if (e.Exception is Marker { Message: "handler-throws" }) throw new InvalidOperationException("handler failure");
        };
        Coroutine.UnhandledException += bad;
        try
        {
            var s = CoRun.S(1);
            s.Go((Action)(() => throw new Marker("handler-throws")));
            await Task.Delay(100);
            await CoRun.Sync(() => Coroutine.Sleep(1), s, TimeSpan.FromSeconds(10));
            await CoRun.Async(async () => await Coroutine.SleepAsync(1), s, TimeSpan.FromSeconds(10));
        }
        finally
        {
            Coroutine.UnhandledException -= bad;
        }
    }
}
