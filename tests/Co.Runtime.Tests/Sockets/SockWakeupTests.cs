using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using Xunit;

namespace Co.Tests.Sockets;

/// <summary>Who wakes a blocked socket call, and races around the wake-up: several waiters on one socket, a reset or
/// shutdown while blocked, close from a plain thread, cancellation and timeouts racing arriving data.</summary>
public class SockWakeupTests
{
    [Fact]
    public async Task SeveralReaders_OnOneSocket_EachGetsOneMessage_NoneHangs()
    {
        using SockPair p = await Loop.Pair();
        var got = new ConcurrentBag<byte>();
        int started = 0;
        Task Reader(bool sync, Scheduler s) => sync
            ? CoRun.Sync(() =>
            {
                Interlocked.Increment(ref started);
                var b = new byte[1];
                Assert.Equal(1, Sock.Recv(p.Server, b, 10_000));
                got.Add(b[0]);
            }, s)
            : CoRun.Async(async () =>
            {
                Interlocked.Increment(ref started);
                var b = new byte[1];
                Assert.Equal(1, await Sock.RecvAsync(p.Server, b, 10_000));
                got.Add(b[0]);
            }, s);
        Task[] readers = { Reader(true, CoRun.S(0)), Reader(false, CoRun.S(1)), Reader(true, CoRun.S(1)), Reader(false, CoRun.S(0)) };
        await CoRun.Sync(() =>
        {
            for (int k = 0; k < 2000 && Volatile.Read(ref started) < readers.Length; k++) Coroutine.Sleep(1);
            Coroutine.Sleep(30);
            for (int i = 0; i < readers.Length; i++)
            {
                Assert.Equal(1, Sock.Send(p.Client, new[] { (byte)i }));
                Coroutine.Sleep(30); // one message at a time: each wakes the waiters, one takes it, the rest wait again
            }
        });
        await Task.WhenAll(readers);
        Assert.Equal(new byte[] { 0, 1, 2, 3 }, got.OrderBy(b => b).ToArray());
    }

    [Fact]
    public async Task SeveralAcceptors_OnOneListener_AcceptEachConnectionOnce_AndCloseReleasesThem()
    {
        const int connections = 40;
        nint listener = Loop.Listen(AddressFamily.InterNetwork, out IPEndPoint ep);
        var acceptedPeers = new ConcurrentBag<string>();
        var endErrors = new ConcurrentBag<int>();
        bool listenerClosed = false;
        try
        {
            Task Acceptor(bool sync, Scheduler s) => sync
                ? CoRun.Sync(() =>
                {
                    for (int i = 0; i < connections + 1; i++)
                    {
                        nint c = Sock.Accept(listener, out IPEndPoint? peer);
                        if (c < 0) { endErrors.Add(Sock.Error()); return; }
                        acceptedPeers.Add(Sock.ToString(peer!));
                        Sock.Close(c);
                    }
                }, s)
                : CoRun.Async(async () =>
                {
                    for (int i = 0; i < connections + 1; i++)
                    {
                        nint c = await Sock.AcceptAsync(listener);
                        if (c < 0) { endErrors.Add(Sock.Error()); return; }
                        acceptedPeers.Add(Sock.Peer(c));
                        Sock.Close(c);
                    }
                }, s);
            Task[] acceptors = { Acceptor(true, CoRun.S(0)), Acceptor(false, CoRun.S(0)), Acceptor(true, CoRun.S(1)), Acceptor(false, CoRun.S(1)) };

            var clientPorts = new ConcurrentBag<string>();
            await CoRun.Async(async () =>
            {
                for (int i = 0; i < connections; i++)
                {
                    nint fd = Sock.TcpSocket();
                    Assert.Equal(0, await Sock.ConnectAsync(fd, ep, 10_000));
                    clientPorts.Add(Sock.ToString(Sock.LocalEndPoint(fd)!));
                    Assert.Equal(0, await Sock.RecvAsync(fd, new byte[1], 10_000)); // the acceptor closed it
                    Sock.Close(fd);
                    if (i % 5 == 0) await Coroutine.SleepAsync(1);
                }
            });
            Assert.True(await CoRun.Until(() => acceptedPeers.Count == connections), $"accepted {acceptedPeers.Count} of {connections}");

            listenerClosed = true;
            Assert.Equal(0, Sock.Close(listener)); // all four are waiting in Accept: the close wakes them
            await CoRun.Bound(Task.WhenAll(acceptors), TimeSpan.FromSeconds(10), "acceptors after the listener was closed");
            Assert.Equal(clientPorts.OrderBy(x => x), acceptedPeers.OrderBy(x => x));
            Assert.Equal(new[] { Err.EBADF, Err.EBADF, Err.EBADF, Err.EBADF }, endErrors.ToArray());
        }
        finally
        {
            if (!listenerClosed) Sock.Close(listener);
        }
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task PeerReset_WhileBlockedInRecv_WakesWithEconnresetOrZero(bool async)
    {
        using SockPair p = await Loop.Pair(AddressFamily.InterNetworkV6);
        var waiting = new Event(manualReset: true);
        int result = int.MinValue, errno = 0;
        bool timedOut = true;
        Task reader = async
            ? CoRun.Async(async () => { waiting.Signal(); result = await Sock.RecvAsync(p.Server, new byte[8]); errno = Sock.Error(); timedOut = Coroutine.TimedOut; }, CoRun.S(0))
            : CoRun.Sync(() => { waiting.Signal(); result = Sock.Recv(p.Server, new byte[8]); errno = Sock.Error(); timedOut = Coroutine.TimedOut; }, CoRun.S(0));
        await CoRun.Sync(() =>
        {
            Assert.True(waiting.Wait(10_000));
            Coroutine.Sleep(50);
            Assert.Equal(0, p.ResetClient());
        }, CoRun.S(1));
        await CoRun.Bound(reader, TimeSpan.FromSeconds(10), "reader blocked when the peer reset");
        Assert.True(result == 0 || (result == -1 && errno == Err.ECONNRESET), $"r={result} errno={errno}");
        Assert.False(timedOut);
    }

    [Theory]
    [InlineData(false, 'r')]
    [InlineData(false, 'b')]
    [InlineData(true, 'r')]
    [InlineData(true, 'b')]
    public async Task Shutdown_ByAnotherCoroutine_WakesABlockedReaderWithZero(bool async, char how)
    {
        using SockPair p = await Loop.Pair();
        var waiting = new Event(manualReset: true);
        int result = int.MinValue;
        Task reader = async
            ? CoRun.Async(async () => { waiting.Signal(); result = await Sock.RecvAsync(p.Server, new byte[8]); }, CoRun.S(0))
            : CoRun.Sync(() => { waiting.Signal(); result = Sock.Recv(p.Server, new byte[8]); }, CoRun.S(0));
        await CoRun.Sync(() =>
        {
            Assert.True(waiting.Wait(10_000));
            Coroutine.Sleep(50);
            Assert.Equal(0, Sock.Shutdown(p.Server, how));
        }, CoRun.S(1));
        await CoRun.Bound(reader, TimeSpan.FromSeconds(10), $"reader after Shutdown('{how}')");
        Assert.Equal(0, result);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Close_FromAPlainThread_WakesTheWaitingCoroutine(bool async)
    {
        using SockPair p = await Loop.Pair();
        var waiting = new Event(manualReset: true);
        int result = int.MinValue, errno = 0;
        Task reader = async
            ? CoRun.Async(async () => { waiting.Signal(); result = await Sock.RecvAsync(p.Server, new byte[8]); errno = Sock.Error(); }, CoRun.S(1))
            : CoRun.Sync(() => { waiting.Signal(); result = Sock.Recv(p.Server, new byte[8]); errno = Sock.Error(); }, CoRun.S(1));
        await CoRun.Thread(() =>
        {
            Assert.True(waiting.Wait(10_000));
            Thread.Sleep(50);
            Assert.Equal(0, p.CloseServer());
        });
        await CoRun.Bound(reader, TimeSpan.FromSeconds(10), "reader after its socket was closed by a plain thread");
        Assert.Equal(-1, result);
        Assert.Equal(Err.EBADF, errno);
    }

    [Fact]
    public async Task Udp_BlockedRecvFrom_IsWokenByADatagram()
    {
        var (a, epA, b, epB) = Loop.UdpPair(AddressFamily.InterNetworkV6);
        try
        {
            var waiting = new Event(manualReset: true);
            IPEndPoint? from = null;
            int result = int.MinValue;
            Task reader = CoRun.Sync(() =>
            {
                var buf = new byte[100];
                waiting.Signal();
                result = Sock.RecvFrom(b, buf, out from);
                Assert.Equal("dgram", System.Text.Encoding.ASCII.GetString(buf, 0, 5));
            }, CoRun.S(0));
            await CoRun.Sync(() =>
            {
                Assert.True(waiting.Wait(10_000));
                Coroutine.Sleep(50);
                Assert.Equal(5, Sock.SendTo(a, "dgram"u8, epB));
            }, CoRun.S(1));
            await reader;
            Assert.Equal(5, result);
            Assert.Equal(epA, from);
        }
        finally
        {
            Sock.Close(a);
            Sock.Close(b);
        }
    }

    /// <summary>Cancellation racing arriving data: each round either returns the byte or is cancelled without
    /// consuming it. Over many rounds no byte is lost, duplicated or reordered, and nothing hangs.</summary>
    [Fact]
    public async Task RecvAsync_CancellationRacingData_NeverLosesAByte()
    {
        using SockPair p = await Loop.Pair();
        const int rounds = 300;
        var go = new Chan<int>(1);
        int cancelledRounds = 0;
        Task sender = CoRun.Sync(() =>
        {
            for (int i = 0; i < rounds; i++)
            {
                int k = go.Read();
                if (k % 3 == 1) Coroutine.Sleep(1);
                else if (k % 3 == 2) Thread.SpinWait(2000 * (k % 7));
                Assert.Equal(1, Sock.Send(p.Client, new[] { (byte)k }));
            }
        }, CoRun.S(1), TimeSpan.FromSeconds(60));
        await CoRun.Async(async () =>
        {
            var b = new byte[1];
            for (int i = 0; i < rounds; i++)
            {
                using var cts = new CancellationTokenSource();
                await go.WriteAsync(i);
                cts.CancelAfter(i % 2);
                int r;
                try
                {
                    r = await Sock.RecvAsync(p.Server, b, -1, cts.Token);
                }
                catch (OperationCanceledException)
                {
                    cancelledRounds++;
                    r = await Sock.RecvAsync(p.Server, b, 5000); // the byte must still be there
                }
                Assert.True(r == 1, $"round {i}: r={r} errno={Sock.Error()}");
                Assert.Equal((byte)i, b[0]);
            }
        }, CoRun.S(0), TimeSpan.FromSeconds(60));
        await sender; // either outcome is fine per round (cancelledRounds counts them); what matters is no loss
    }

    /// <summary>Timeouts racing arriving data (sync and async): a timed-out call consumed nothing.</summary>
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Recv_TimeoutRacingData_NeverLosesAByte(bool async)
    {
        using SockPair p = await Loop.Pair();
        const int rounds = 300;
        var go = new Chan<int>(1);
        Task sender = CoRun.Sync(() =>
        {
            for (int i = 0; i < rounds; i++)
            {
                int k = go.Read();
                if (k % 2 == 1) Coroutine.Sleep(1);
                Assert.Equal(1, Sock.Send(p.Client, new[] { (byte)k }));
            }
        }, CoRun.S(1), TimeSpan.FromSeconds(60));

        async Task Receive()
        {
            var b = new byte[1];
            for (int i = 0; i < rounds; i++)
            {
                if (async) await go.WriteAsync(i); else go.Write(i);
                int ms = i % 3; // 0, 1, 2 ms
                int r = async ? await Sock.RecvAsync(p.Server, b, ms) : Sock.Recv(p.Server, b, ms);
                if (r == -1)
                {
                    Assert.Equal(Err.ETIMEDOUT, Sock.Error());
                    Assert.True(Coroutine.TimedOut);
                    r = async ? await Sock.RecvAsync(p.Server, b, 5000) : Sock.Recv(p.Server, b, 5000);
                }
                Assert.True(r == 1, $"round {i}: r={r} errno={Sock.Error()}");
                Assert.False(Coroutine.TimedOut);
                Assert.Equal((byte)i, b[0]);
            }
        }

        if (async) await CoRun.Async(Receive, CoRun.S(0), TimeSpan.FromSeconds(60));
        else await CoRun.Sync(() => Receive().GetAwaiter().GetResult(), CoRun.S(0), TimeSpan.FromSeconds(60));
        await sender;
    }

    [Fact]
    public async Task IoEventWait_ZeroTimeout_TakesAnEdgeThatArrivedMeanwhile()
    {
        using SockPair p = await Loop.Pair();
        await CoRun.Sync(() =>
        {
            var ev = new IoEvent(p.Server, IoEventType.Read);
            Assert.False(ev.Wait(10)); // nothing yet: registered, timed out
            Assert.Equal(1, Sock.Send(p.Client, "z"u8));
            Coroutine.Sleep(50);       // the edge arrives while nobody waits
            Assert.True(ev.Wait(0), $"Wait(0) missed the pending edge: errno {Sock.Error()}");
            Assert.False(Coroutine.TimedOut);
            Assert.Equal(1, Native.RawRecv(p.Server, new byte[4], out _));
        });
        await CoRun.Async(async () =>
        {
            var ev = new IoEvent(p.Client, IoEventType.Read);
            Assert.False(await ev.WaitAsync(10));
            Assert.Equal(1, await Sock.SendAsync(p.Server, "q"u8.ToArray()));
            await Coroutine.SleepAsync(50);
            Assert.True(await ev.WaitAsync(0), $"WaitAsync(0) missed the pending edge: errno {Sock.Error()}");
            Assert.False(Coroutine.TimedOut);
        });
    }

    [Fact]
    public async Task NonSocketDescriptor_SocketCallsFailWithTheKernelErrno()
    {
        string path = Path.GetTempFileName();
        try
        {
            using var handle = File.OpenHandle(path, FileMode.Open, FileAccess.ReadWrite);
            nint fd = handle.DangerousGetHandle();
            await CoRun.Sync(() =>
            {
                Assert.Equal(-1, Sock.Recv(fd, new byte[4], 100));
                Assert.Equal(88, Sock.Error()); // ENOTSOCK
                Assert.Equal(-1, Sock.Send(fd, new byte[4], 100));
                Assert.Equal(88, Sock.Error());
                Assert.Equal(-1, (int)Sock.Accept(fd));
                Assert.Equal(88, Sock.Error());
                // a regular file cannot be polled: epoll refuses it (EPERM)
                Assert.False(new IoEvent(fd, IoEventType.Read).Wait(100));
                Assert.Equal(1, Sock.Error());
                Assert.False(Coroutine.TimedOut);
            });
            Assert.Equal(-1, Sock.Listen(fd));
            Assert.Equal(88, Sock.Error());
        }
        finally
        {
            File.Delete(path);
        }
    }

    /// <summary>A timeout bounds the whole call, not each wait inside it: a trickle of data that keeps waking RecvN
    /// (and a slow reader that keeps waking Send) does not extend it.</summary>
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Timeout_CoversTheWholeCall_NotEachWakeUp(bool async)
    {
        using SockPair p = await Loop.Pair(AddressFamily.InterNetwork, l => Sock.SetRecvBufferSize(l, 4096), c => Sock.SetSendBufferSize(c, 4096));
        var stop = new Event(manualReset: true);
        // 1 byte every 10 ms: the 100 bytes RecvN wants take at least a second
        Task trickle = CoRun.Sync(() =>
        {
            for (int i = 0; i < 300 && !stop.Wait(10); i++)
            {
                if (Sock.Send(p.Client, new[] { (byte)i }, 1000) != 1) return;
            }
        }, CoRun.S(1));
        (int r, int rErrno) = async
            ? await CoRun.Async(async () => { int x = await Sock.RecvNAsync(p.Server, new byte[100], 300); return (x, Sock.Error()); }, CoRun.S(0))
            : await CoRun.Sync(() => { int x = Sock.RecvN(p.Server, new byte[100], 300); return (x, Sock.Error()); }, CoRun.S(0));
        stop.Signal();
        await trickle;
        Assert.Equal(-1, r);
        Assert.Equal(Err.ETIMEDOUT, rErrno);

        // Send of 4 MB to a reader that takes 4 KB every 10 ms (which would need 10 s): times out at ~300 ms
        var readerStop = new Event(manualReset: true);
        Task slowReader = CoRun.Sync(() =>
        {
            var buf = new byte[4096];
            for (int i = 0; i < 3000 && !readerStop.Wait(10); i++)
            {
                if (Sock.Recv(p.Server, buf, 1000) <= 0) return;
            }
        }, CoRun.S(1));
        var sw = System.Diagnostics.Stopwatch.StartNew();
        (int sent, int errno, bool timedOut) = async
            ? await CoRun.Async(async () => { int x = await Sock.SendAsync(p.Client, new byte[4 << 20], 300); return (x, Sock.Error(), Coroutine.TimedOut); }, CoRun.S(0))
            : await CoRun.Sync(() => { int x = Sock.Send(p.Client, new byte[4 << 20], 300); return (x, Sock.Error(), Coroutine.TimedOut); }, CoRun.S(0));
        long elapsed = sw.ElapsedMilliseconds;
        readerStop.Signal();
        await slowReader;
        Assert.Equal(-1, sent);
        Assert.Equal(Err.ETIMEDOUT, errno);
        Assert.True(timedOut);
        Assert.True(elapsed < 5000, $"Send(4 MB, 300 ms) returned after {elapsed} ms: the timeout did not bound the call");
    }

    /// <summary>An async operation on a socket registered with the other scheduler's poller: the result and errno
    /// are the awaiting coroutine's.</summary>
    [Fact]
    public async Task AsyncOperation_OnASocketPolledByTheOtherScheduler_ReportsItsErrnoToTheAwaiter()
    {
        using SockPair p = await Loop.Pair();
        await CoRun.Sync(() => Assert.Equal(-1, Sock.Recv(p.Server, new byte[1], 5)), CoRun.S(1)); // registers on 1
        var waiting = new Event(manualReset: true);
        int result = int.MinValue, errno = 0, sid = -1;
        Task reader = CoRun.Async(async () =>
        {
            Sock.SetLastError(0);
            waiting.Signal();
            result = await Sock.RecvAsync(p.Server, new byte[8]);
            errno = Sock.Error();
            sid = Coroutine.SchedulerId;
        }, CoRun.S(0));
        await CoRun.Sync(() =>
        {
            Assert.True(waiting.Wait(10_000));
            Coroutine.Sleep(50);
            Assert.Equal(0, p.ResetClient());
        }, CoRun.S(1));
        await CoRun.Bound(reader, TimeSpan.FromSeconds(10), "reader after the reset");
        Assert.True(result == 0 || (result == -1 && errno == Err.ECONNRESET), $"r={result} errno={errno}");
        Assert.Equal(0, sid);
    }
}
