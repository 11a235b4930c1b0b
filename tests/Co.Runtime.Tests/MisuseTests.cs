using Co.Testing;
using Xunit;

namespace Co.Tests;

/// <summary>Misuse: coroutine-only calls outside a coroutine, null delegates, bad arguments, awaiting twice.</summary>
[Trait(AdversarialSuite.Trait, AdversarialSuite.Name)]
public class MisuseTests
{
    /// <summary>
    /// Awaiting a runtime ValueTask a second time throws InvalidOperationException, as .NET's own pooled sources do,
    /// instead of waiting for ever on a pooled wait node that nothing will complete: an Event wait completed before its
    /// first await, a channel read that had to wait, a sleep, and a socket receive that had to wait.
    /// </summary>
    [Fact]
    public async Task AwaitingARuntimeValueTaskTwice_Throws()
    {
        using Sockets.SockPair pair = await Sockets.Loop.Pair();
        await CoRun.Async(async () =>
        {
            var ev = new Event();
            ValueTask signalled = ev.WaitAsync(); // not signalled yet: the wait is armed
            ev.Signal();
            await signalled;
            await Assert.ThrowsAsync<InvalidOperationException>(async () => await signalled);

            var chan = new Chan<int>(1);
            ValueTask<int> read = chan.ReadAsync(); // empty: the read waits
            await chan.WriteAsync(7);
            Assert.Equal(7, await read);
            await Assert.ThrowsAsync<InvalidOperationException>(async () => await read);

            ValueTask slept = Coroutine.SleepAsync(1);
            await slept;
            await Assert.ThrowsAsync<InvalidOperationException>(async () => await slept);

            var buffer = new byte[1];
            ValueTask<int> received = Sock.RecvAsync(pair.Server, buffer); // nothing sent yet: the receive waits
            Assert.Equal(1, await Sock.SendAsync(pair.Client, new byte[] { 9 }));
            Assert.Equal(1, await received);
            await Assert.ThrowsAsync<InvalidOperationException>(async () => await received);
        }, timeout: TimeSpan.FromSeconds(30));
    }

    /// <summary>
    /// The other runtime ValueTask kinds, each awaited twice after a wait that really parked (a ValueTask made from a
    /// result at once is not a pooled source and may be awaited again): a timed Event wait, a channel write into a full
    /// channel, timed channel reads and writes, a WaitGroup wait, a CoMutex lock, an accept, an IoEvent wait and a
    /// RecvN.
    /// </summary>
    [Fact]
    public async Task AwaitingEveryOtherRuntimeValueTaskKindTwice_Throws()
    {
        using Sockets.SockPair pair = await Sockets.Loop.Pair();
        await CoRun.Async(async () =>
        {
            static async Task AssertSecondAwaitThrows<T>(ValueTask<T> pending, Func<Task> complete, T expected)
            {
                Assert.False(pending.IsCompleted, "the wait was to park");
                await complete();
                Assert.Equal(expected, await pending);
                await Assert.ThrowsAsync<InvalidOperationException>(async () => await pending);
            }

            static async Task AssertSecondAwaitThrowsNoResult(ValueTask pending, Func<Task> complete)
            {
                Assert.False(pending.IsCompleted, "the wait was to park");
                await complete();
                await pending;
                await Assert.ThrowsAsync<InvalidOperationException>(async () => await pending);
            }

            var ev = new Event();
            await AssertSecondAwaitThrows(ev.WaitAsync(10_000), () => { ev.Signal(); return Task.CompletedTask; }, true);

            var full = new Chan<int>(1);
            await full.WriteAsync(1);
            await AssertSecondAwaitThrowsNoResult(full.WriteAsync(2), async () => Assert.Equal(1, await full.ReadAsync()));

            var timedFull = new Chan<int>(1);
            await timedFull.WriteAsync(1);
            await AssertSecondAwaitThrows(timedFull.TryWriteAsync(2, 10_000), async () => Assert.Equal(1, await timedFull.ReadAsync()), ChanStatus.Ok);

            var empty = new Chan<int>(1);
            ValueTask<ChanReadResult<int>> timedRead = empty.TryReadAsync(10_000);
            Assert.False(timedRead.IsCompleted, "the wait was to park");
            await empty.WriteAsync(5);
            Assert.Equal(5, (await timedRead).Value);
            await Assert.ThrowsAsync<InvalidOperationException>(async () => await timedRead);

            var group = new WaitGroup(1);
            await AssertSecondAwaitThrowsNoResult(group.WaitAsync(), () => { group.Done(); return Task.CompletedTask; });

            var mutex = new CoMutex();
            mutex.Lock();
            await AssertSecondAwaitThrowsNoResult(mutex.LockAsync(), () => { mutex.Unlock(); return Task.CompletedTask; });
            mutex.Unlock();

            nint listener = Sockets.Loop.Listen(Sockets.Loop.V4, out System.Net.IPEndPoint endPoint);
            nint client = Sock.TcpSocket();
            ValueTask<nint> accept = Sock.AcceptAsync(listener);
            Assert.False(accept.IsCompleted, "the accept was to park");
            Assert.Equal(0, await Sock.ConnectAsync(client, endPoint, 10_000));
            nint accepted = await accept;
            Assert.True(accepted >= 0);
            await Assert.ThrowsAsync<InvalidOperationException>(async () => await accept);
            Sock.Close(accepted);
            Sock.Close(client);
            Sock.Close(listener);

            var readable = new IoEvent(pair.Server, IoEventType.Read);
            await AssertSecondAwaitThrows(readable.WaitAsync(10_000), async () => Assert.Equal(1, await Sock.SendAsync(pair.Client, new byte[] { 1 })), true);
            Assert.Equal(1, Sock.Recv(pair.Server, new byte[1]));

            var two = new byte[2];
            await AssertSecondAwaitThrows(Sock.RecvNAsync(pair.Server, two, 10_000), async () => Assert.Equal(2, await Sock.SendAsync(pair.Client, new byte[] { 1, 2 })), 2);
        }, timeout: TimeSpan.FromSeconds(30));
    }

    private static void AssertHelpful(InvalidOperationException e)
    {
        Assert.False(string.IsNullOrWhiteSpace(e.Message));
        Assert.Contains("coroutine", e.Message, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public void Yield_OutsideCoroutine_ThrowsInvalidOperation()
    {
        AssertHelpful(Assert.Throws<InvalidOperationException>(() => Coroutine.Yield()));
    }

    [Fact]
    public async Task YieldAsync_OutsideCoroutine_ThrowsInvalidOperation()
    {
        AssertHelpful(await Assert.ThrowsAsync<InvalidOperationException>(async () => await Coroutine.YieldAsync()));
    }

    [Fact]
    public void TimedOut_OutsideCoroutine_ThrowsInvalidOperation()
    {
        AssertHelpful(Assert.Throws<InvalidOperationException>(() => Coroutine.TimedOut));
    }

    [Fact]
    public async Task CoroutineOnlyCalls_OnPlainThread_ThrowInvalidOperation()
    {
        await CoRun.Thread(() =>
        {
            AssertHelpful(Assert.Throws<InvalidOperationException>(() => Coroutine.Yield()));
            AssertHelpful(Assert.Throws<InvalidOperationException>(() => Coroutine.TimedOut));
            var p = new Pool<object>();
            AssertHelpful(Assert.Throws<InvalidOperationException>(() => p.Pop()));
            AssertHelpful(Assert.Throws<InvalidOperationException>(() => p.Push(new object())));
        });
    }

    [Fact]
    public async Task CoroutineOnlyCalls_OnThreadPool_ThrowInvalidOperation()
    {
        await Task.Run(async () =>
        {
            AssertHelpful(Assert.Throws<InvalidOperationException>(() => Coroutine.Yield()));
            AssertHelpful(await Assert.ThrowsAsync<InvalidOperationException>(async () => await Coroutine.YieldAsync()));
        });
    }

    [Fact]
    public void Go_NullDelegates_ThrowArgumentNull()
    {
        Assert.Throws<ArgumentNullException>(() => Coroutine.Go((Action)null!));
        Assert.Throws<ArgumentNullException>(() => Coroutine.Go((Func<Task>)null!));
        Assert.Throws<ArgumentNullException>(() => Coroutine.Go((Action<int>)null!, 1));
        Assert.Throws<ArgumentNullException>(() => Coroutine.Go((Func<int, Task>)null!, 1));
        var s = CoRun.S(0);
        Assert.Throws<ArgumentNullException>(() => s.Go((Action)null!));
        Assert.Throws<ArgumentNullException>(() => s.Go((Func<Task>)null!));
        Assert.Throws<ArgumentNullException>(() => s.Go((Action<string>)null!, "x"));
        Assert.Throws<ArgumentNullException>(() => s.Go((Func<string, Task>)null!, "x"));
    }

    [Fact]
    public async Task Go_NullDelegates_InsideCoroutine_ThrowArgumentNull()
    {
        await CoRun.Sync(() =>
        {
            Assert.Throws<ArgumentNullException>(() => Coroutine.Go((Action)null!));
            Assert.Throws<ArgumentNullException>(() => Coroutine.Go((Func<Task>)null!));
        });
    }

    [Fact]
    public void Sleep_Negative_ThrowsArgumentOutOfRange()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => Coroutine.Sleep(-1));
        Assert.Throws<ArgumentOutOfRangeException>(() => Coroutine.Sleep(int.MinValue));
    }

    [Fact]
    public async Task Sleep_Negative_InCoroutine_ThrowsArgumentOutOfRange()
    {
        await CoRun.Sync(() => Assert.Throws<ArgumentOutOfRangeException>(() => Coroutine.Sleep(-1)));
        await CoRun.Async(async () =>
        {
            Assert.Throws<ArgumentOutOfRangeException>(() => Coroutine.Sleep(-5));
            await Assert.ThrowsAsync<ArgumentOutOfRangeException>(async () => await Coroutine.SleepAsync(-5));
        });
    }

    [Fact]
    public async Task SleepAsync_Negative_OutsideCoroutine_ThrowsArgumentOutOfRange()
    {
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(async () => await Coroutine.SleepAsync(-5));
    }

    [Fact]
    public async Task WaitTimeouts_BelowMinusOne_ThrowArgumentOutOfRange()
    {
        var ev = new Event();
        Assert.Throws<ArgumentOutOfRangeException>(() => ev.Wait(-2));
        await CoRun.Async(async () =>
            await Assert.ThrowsAsync<ArgumentOutOfRangeException>(async () => await ev.WaitAsync(-2)));
    }

    [Fact]
    public void Configure_Null_AfterStart_Throws()
    {
        var done = new ManualResetEventSlim();
        Coroutine.Go(done.Set);
        Assert.True(done.Wait(10_000));
        var e = Record.Exception(() => Coroutine.Configure(null!));
        Assert.True(e is ArgumentNullException or InvalidOperationException, $"Configure(null) threw {e?.GetType().Name ?? "nothing"}");
    }
}
