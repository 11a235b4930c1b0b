using Co.Offload;
using Co.Waiting;
using Xunit;

namespace Co.Tests;

/// <summary>
/// BlockingOffload: blocking calls made on threads the runtime owns while the calling coroutine parks. Each test uses
/// an offload of its own (its own limit, idle timeout and counts); the calls are blocking waits of the tests' own.
/// </summary>
public class OffloadTests
{
    private static readonly WaitReason s_reason = new("test call (offloaded)");

    [Fact]
    public async Task ConcurrentCalls_EachGetAThreadAtOnce_AndRunNoCoroutineCode()
    {
        const int Calls = 10;
        var offload = new BlockingOffload(threadLimit: 16, TimeSpan.FromSeconds(30), "test offload");
        using var allIn = new CountdownEvent(Calls);
        int together = 0;
        var calls = Enumerable.Range(0, Calls).Select(_ => new RecordingCall(() =>
        {
            // Each call blocks until every call is in: only one thread per call at once lets them all through.
            allIn.Signal();
            if (allIn.Wait(TimeSpan.FromSeconds(20)))
            {
                Interlocked.Increment(ref together);
            }
        })).ToArray();
        await Task.WhenAll(calls.Select(call => CoRun.Sync(() => offload.Run(call, s_reason), CoRun.S(0))));

        Assert.Equal(Calls, together);
        Assert.Equal(Calls, offload.ThreadCount);
        Assert.Equal(Calls, calls.Select(call => call.ThreadId).Distinct().Count());
        Assert.All(calls, call => Assert.Equal(-1, call.CoroutineIdThere));
        Assert.Equal(0, offload.BusyCount);
        Assert.Equal(0, offload.QueuedCount);
    }

    [Fact]
    public async Task PastTheLimit_CallsQueueForTheNextFreeThread()
    {
        var offload = new BlockingOffload(threadLimit: 2, TimeSpan.FromSeconds(5), "test offload");
        var release = new ManualResetEventSlim();
        int running = 0, mostRunning = 0;
        var calls = Enumerable.Range(0, 5).Select(_ => new RecordingCall(() =>
        {
            int now = Interlocked.Increment(ref running);
            InterlockedMax(ref mostRunning, now);
            release.Wait();
            Interlocked.Decrement(ref running);
        })).ToArray();
        Task[] callers = [.. calls.Select(call => CoRun.Sync(() => offload.Run(call, s_reason)))];

        Assert.True(await CoRun.Until(() => offload.BusyCount == 2 && offload.QueuedCount == 3), $"busy {offload.BusyCount}, queued {offload.QueuedCount}");
        Assert.Equal(2, offload.ThreadCount);
        release.Set();
        await CoRun.Bound(Task.WhenAll(callers), "the queued calls");
        Assert.Equal(2, mostRunning);
        Assert.Equal(2, calls.Select(call => call.ThreadId).Distinct().Count());
        Assert.Equal(0, offload.QueuedCount);
    }

    [Fact]
    public async Task IdleThreads_Retire_AndTheNextCallStartsOneAgain()
    {
        var offload = new BlockingOffload(threadLimit: 4, TimeSpan.FromMilliseconds(100), "test offload");
        await CoRun.Sync(() => offload.Run(new RecordingCall(() => { }), s_reason));
        Assert.True(await CoRun.Until(() => offload.ThreadCount == 0), $"{offload.ThreadCount} thread(s) left after the idle timeout");

        var again = new RecordingCall(() => { });
        await CoRun.Sync(() => offload.Run(again, s_reason));
        Assert.NotEqual(0, again.ThreadId);
    }

    [Fact]
    public async Task TheCallsException_IsRethrownInTheCoroutine()
    {
        var offload = new BlockingOffload(threadLimit: 4, TimeSpan.FromSeconds(5), "test offload");
        var thrown = await CoRun.Sync(() => Assert.Throws<FormatException>(() =>
            offload.Run(new RecordingCall(() => throw new FormatException("from the offload thread")), s_reason)));
        Assert.Equal("from the offload thread", thrown.Message);
        Assert.Contains(nameof(TheCallsException_IsRethrownInTheCoroutine), thrown.StackTrace, StringComparison.Ordinal);
    }

    [Fact]
    public async Task OnAPlainThread_TheCallRunsThere()
    {
        var offload = new BlockingOffload(threadLimit: 4, TimeSpan.FromSeconds(5), "test offload");
        var call = new RecordingCall(() => { });
        int caller = await CoRun.Thread(() =>
        {
            offload.Run(call, s_reason);
            return Environment.CurrentManagedThreadId;
        });
        Assert.Equal(caller, call.ThreadId);
        Assert.Equal(0, offload.ThreadCount);
    }

    [Fact]
    public async Task ACoroutineParkedOnACall_LetsItsSchedulerGoOn_AndTheDumpSaysWhatItWaitsOn()
    {
        var offload = new BlockingOffload(threadLimit: 4, TimeSpan.FromSeconds(5), "test offload");
        var release = new ManualResetEventSlim();
        int id = -1;
        Task caller = CoRun.Sync(() =>
        {
            id = Coroutine.Id;
            offload.Run(new RecordingCall(release.Wait), s_reason);
        }, CoRun.S(1));
        try
        {
            Assert.True(await CoRun.Until(() => offload.BusyCount == 1));
            await CoRun.Sync(() => { }, CoRun.S(1)); // the same scheduler runs another coroutine meanwhile
            CoroutineInfo parked = Assert.Single(Coroutine.Dump(), info => info.Id == id);
            Assert.Equal(CoroutineState.Waiting, parked.State);
            Assert.Equal("test call (offloaded)", parked.WaitingOn);
        }
        finally
        {
            release.Set();
            await caller;
        }
    }

    private static void InterlockedMax(ref int target, int value)
    {
        int seen;
        while ((seen = Volatile.Read(ref target)) < value && Interlocked.CompareExchange(ref target, value, seen) != seen)
        {
        }
    }

    /// <summary>A call that records the thread it ran on and what Coroutine.Id said there.</summary>
    private sealed class RecordingCall(Action body) : IOffloadedCall
    {
        public int ThreadId { get; private set; }

        public int CoroutineIdThere { get; private set; }

        public void Run()
        {
            ThreadId = Environment.CurrentManagedThreadId;
            CoroutineIdThere = Coroutine.Id;
            body();
        }
    }
}
