using System.Diagnostics;
using Co.Net;
using Co.Testing;
using Xunit;

namespace Co.Tests.Sockets;

/// <summary>
/// Issue 12, item 3: a socket stays registered with the scheduler that first waited on it, and a coroutine of another
/// scheduler waiting on it must be woken by its readiness within about one poll interval even while the registering
/// scheduler is held by a coroutine that computes and never yields (the blocked-scheduler monitor leaves a computing
/// coroutine alone). Before the readiness monitor, the waiter slept until the computation ended (~2 s).
/// </summary>
[Trait(AdversarialSuite.Trait, AdversarialSuite.Name)]
public class SockCrossSchedulerReadinessTests
{
    /// <summary>How long the registering scheduler's coroutine computes at most (it stops early once the waiter woke).</summary>
    private const int BusyMs = 2000;

    /// <summary>When the peer sends (or drains), after the computation started.</summary>
    private const int ReadyAtMs = 100;

    /// <summary>Far below <see cref="BusyMs"/>, far above the 10–20 ms the monitor needs: proves the waiter did not wait
    /// for the computation, with room for a loaded machine.</summary>
    private const int WakeBoundMs = 1000;

    [Theory]
    [InlineData(false, false)]
    [InlineData(false, true)]
    [InlineData(true, false)]
    [InlineData(true, true)]
    public async Task Read_OnAnotherScheduler_WakesWhileTheRegisteringSchedulerComputes(bool asyncWaiter, bool asyncBusy)
    {
        using SockPair p = await PairOnScheduler0();
        await RegisterOnScheduler0(p.Server);
        var busy = new BusyCoroutine();
        Task waiter = asyncWaiter
            ? CoRun.Async(async () =>
            {
                busy.NoteWaiterStarted();
                var b = new byte[8];
                Assert.Equal(1, await Sock.RecvAsync(p.Server, b, 10_000));
                busy.NoteWaiterWoke();
            }, CoRun.S(1))
            : CoRun.Sync(() =>
            {
                busy.NoteWaiterStarted();
                var b = new byte[8];
                Assert.Equal(1, Sock.Recv(p.Server, b, 10_000));
                busy.NoteWaiterWoke();
            }, CoRun.S(1));

        long rescuedBefore = CoRun.S(0).ReadinessRescuedCount;
        long handoffsBefore = CoRun.S(0).HandoffCount;
        await busy.Run(asyncBusy, makeReady: () => Assert.Equal(1, Native.RawSend(p.Client, "x"u8, out _)));
        await waiter;
        busy.AssertWokeWhileBusy();

        // Reported: the meter's co.readiness.rescued counts the event the monitor delivered for the busy scheduler. The
        // monitor adds its count after delivering, so the woken waiter may be seen first.
        Assert.True(await CoRun.Until(() => CoRun.S(0).ReadinessRescuedCount > rescuedBefore, 5000),
            $"the rescue was not counted (hand-offs of scheduler 0 meanwhile: {CoRun.S(0).HandoffCount - handoffsBefore})");
    }

    [Theory]
    [InlineData(false, false)]
    [InlineData(true, true)]
    public async Task Write_OnAnotherScheduler_WakesWhileTheRegisteringSchedulerComputes(bool asyncWriter, bool asyncBusy)
    {
        // Small buffers on the client's sends and the server's receives, so the client's send fills up quickly. The
        // writer sends all of a block far larger than both buffers, so it cannot finish before the peer drains, and
        // waits for several write edges on the way.
        using SockPair p = await PairOnScheduler0(l => Sock.SetRecvBufferSize(l, 8192), c => Sock.SetSendBufferSize(c, 8192));
        await RegisterOnScheduler0(p.Client);
        FillSendBuffer(p.Client);
        var block = new byte[128 * 1024];

        var busy = new BusyCoroutine();
        Task writer = asyncWriter
            ? CoRun.Async(async () =>
            {
                busy.NoteWaiterStarted();
                Assert.Equal(block.Length, await Sock.SendAsync(p.Client, block, 10_000));
                busy.NoteWaiterWoke();
            }, CoRun.S(1))
            : CoRun.Sync(() =>
            {
                busy.NoteWaiterStarted();
                Assert.Equal(block.Length, Sock.Send(p.Client, block, 10_000));
                busy.NoteWaiterWoke();
            }, CoRun.S(1));

        Task drain = Task.CompletedTask;
        await busy.Run(asyncBusy, makeReady: () => drain = CoRun.Thread(() => DrainUntil(p.Server, () => busy.WaiterWoke)));
        await writer;
        await drain;
        busy.AssertWokeWhileBusy();
    }

    /// <summary>A connected pair made on scheduler 0, so neither end is registered with scheduler 1's poller (a connect
    /// that waits registers the client with the connecting coroutine's scheduler).</summary>
    private static Task<SockPair> PairOnScheduler0(Action<nint>? configureListener = null, Action<nint>? configureClient = null) =>
        CoRun.Sync(() => Loop.PairHere(Loop.V4, configureListener, configureClient), CoRun.S(0));

    /// <summary>Registers <paramref name="fd"/> with scheduler 0's poller if it is not yet: a coroutine there waits on
    /// it (a receive that times out). Checks where the registration is, which the test is about.</summary>
    private static Task RegisterOnScheduler0(nint fd) => CoRun.Sync(() =>
    {
        Assert.Equal(-1, Sock.Recv(fd, new byte[1], 1));
        Assert.Equal(Err.ETIMEDOUT, Sock.Error());
        Assert.Same(CoRun.S(0), PollDescriptorTable.Instance.Find((int)fd)?.RegisteredWith);
    }, CoRun.S(0));

    /// <summary>Sends until the send buffer is full (raw sends from the test thread: no coroutine waits yet).</summary>
    private static void FillSendBuffer(nint fd)
    {
        var chunk = new byte[4096];
        int errno;
        while (Native.RawSend(fd, chunk, out errno) > 0)
        {
        }

        Assert.Equal(Err.EAGAIN, errno);
    }

    /// <summary>Reads everything <paramref name="fd"/> receives until <paramref name="done"/> (plain thread, raw recv).</summary>
    private static void DrainUntil(nint fd, Func<bool> done)
    {
        var buffer = new byte[65536];
        var clock = Stopwatch.StartNew();
        while (!done() && clock.Elapsed < CoRun.Timeout)
        {
            if (Native.RawRecv(fd, buffer, out _) <= 0)
            {
                Thread.Sleep(1);
            }
        }
    }

    /// <summary>The coroutine that holds scheduler 0 (the registering one) without yielding, and the waiter's timeline.</summary>
    private sealed class BusyCoroutine
    {
        private readonly Stopwatch _sinceBusy = new();
        private volatile bool _waiterStarted;
        private volatile bool _waiterWoke;
        private volatile bool _readyMade;
        private volatile bool _wokeAfterReady;
        private long _wokeAtMs = -1;
        private long _busyEndedAtMs = -1;

        public bool WaiterWoke => _waiterWoke;

        public void NoteWaiterStarted() => _waiterStarted = true;

        public void NoteWaiterWoke()
        {
            Volatile.Write(ref _wokeAtMs, _sinceBusy.ElapsedMilliseconds);
            _wokeAfterReady = _readyMade;
            _waiterWoke = true;
        }

        /// <summary>Starts computing on scheduler 0 once the waiter waits, calls <paramref name="makeReady"/> from the
        /// test thread <see cref="ReadyAtMs"/> later, and returns when the computation ended.</summary>
        public async Task Run(bool asyncBusy, Action makeReady)
        {
            Assert.True(await CoRun.Until(() => _waiterStarted), "the waiter never started");
            await Task.Delay(30); // past its first attempt, into its wait
            var started = new ManualResetEventSlim();
            Task computation = asyncBusy
                ? CoRun.Async(async () => { Compute(started); await Task.CompletedTask; }, CoRun.S(0))
                : CoRun.Sync(() => Compute(started), CoRun.S(0));
            Assert.True(started.Wait(10_000), "the computing coroutine never started");
            await Task.Delay(ReadyAtMs);
            _readyMade = true;
            makeReady();
            await computation;
        }

        public void AssertWokeWhileBusy()
        {
            long wokeAt = Volatile.Read(ref _wokeAtMs);
            long busyEnded = Volatile.Read(ref _busyEndedAtMs);
            Assert.True(_wokeAfterReady, "the waiter finished before the socket was made ready: its first attempt did not block, so it proves nothing");
            Assert.True(wokeAt >= 0 && wokeAt < WakeBoundMs,
                $"the waiter on scheduler 1 woke {wokeAt} ms after scheduler 0 began computing (readiness at ~{ReadyAtMs} ms, computation ended at {busyEnded} ms): readiness waited for the busy scheduler");
        }

        /// <summary>Never yields: computes until the waiter woke or <see cref="BusyMs"/> passed.</summary>
        private void Compute(ManualResetEventSlim started)
        {
            _sinceBusy.Start();
            started.Set();
            while (!_waiterWoke && _sinceBusy.ElapsedMilliseconds < BusyMs)
            {
                Thread.SpinWait(100);
            }

            Volatile.Write(ref _busyEndedAtMs, _sinceBusy.ElapsedMilliseconds);
        }
    }
}
