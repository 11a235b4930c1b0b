using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Xunit;

namespace Co.Tests.Sockets;

/// <summary>Volume and concurrency on real loopback sockets: data integrity through many connections at once,
/// a large send to a slow reader, many blocked coroutines on one scheduler, 10,000 connections held open.</summary>
public class SockStressTests
{
    private sealed class Conn
    {
        public long Sent;
        public long Received;
        public ulong SentFnv;
        public ulong ReceivedFnv;
        public long Mismatch = -1;
        public int Final = int.MinValue;
        public int FinalErrno;
    }

    // ------------------------------------------------------------------------------------------------------------
    // integrity

    private static void EchoSync(nint fd, ConcurrentQueue<string> errors, Action done)
    {
        var buf = new byte[1000 + (int)(fd % 5) * 3000];
        try
        {
            for (int i = 0; i < 1_000_000; i++)
            {
                int r = Sock.Recv(fd, buf, 30_000);
                if (r == 0) return;
                if (r < 0) { errors.Enqueue($"sync echo recv: {Sock.StrError()}"); return; }
                if (Sock.Send(fd, buf.AsSpan(0, r), 30_000) != r) { errors.Enqueue($"sync echo send: {Sock.StrError()}"); return; }
            }
            errors.Enqueue("sync echo: too many iterations");
        }
        finally
        {
            Sock.Close(fd);
            done();
        }
    }

    private static async Task EchoAsync(nint fd, ConcurrentQueue<string> errors, Action done)
    {
        var buf = new byte[1500 + (int)(fd % 7) * 2000];
        try
        {
            for (int i = 0; i < 1_000_000; i++)
            {
                int r = await Sock.RecvAsync(fd, buf, 30_000);
                if (r == 0) return;
                if (r < 0) { errors.Enqueue($"async echo recv: {Sock.StrError()}"); return; }
                if (await Sock.SendAsync(fd, buf.AsMemory(0, r), 30_000) != r) { errors.Enqueue($"async echo send: {Sock.StrError()}"); return; }
            }
            errors.Enqueue("async echo: too many iterations");
        }
        finally
        {
            Sock.Close(fd);
            done();
        }
    }

    private static int ChunkAt(long position, int stream) => 1 + (int)((position * 31 + stream * 977) % 24_000);

    [Fact]
    public async Task ManyConnectionsAtOnce_SeveralMegabytes_NothingLostOrReordered()
    {
        const int connections = 64;
        const int perConnection = 160 * 1024; // 10 MB each way in all
        nint l4 = Loop.Listen(AddressFamily.InterNetwork, out IPEndPoint ep4, 256);
        nint l6 = Loop.Listen(AddressFamily.InterNetworkV6, out IPEndPoint ep6, 256);
        var serverErrors = new ConcurrentQueue<string>();
        int echoesDone = 0;
        void EchoDone() => Interlocked.Increment(ref echoesDone);
        var conns = new Conn[connections];
        var data = new byte[connections][];
        var tasks = new List<Task>();
        try
        {
            // IPv4: async accept and async echo coroutines; IPv6: sync ones.
            tasks.Add(CoRun.Async(async () =>
            {
                for (int i = 0; i < connections / 2; i++)
                {
                    nint c = await Sock.AcceptAsync(l4);
                    Assert.True(c >= 0, $"AcceptAsync: {Sock.StrError()}");
                    Coroutine.Go(fd => EchoAsync(fd, serverErrors, EchoDone), c);
                }
            }, timeout: TimeSpan.FromSeconds(90)));
            tasks.Add(CoRun.Sync(() =>
            {
                for (int i = 0; i < connections / 2; i++)
                {
                    nint c = Sock.Accept(l6, out IPEndPoint? peer);
                    Assert.True(c >= 0, $"Accept: {Sock.StrError()}");
                    Assert.Equal(AddressFamily.InterNetworkV6, peer!.AddressFamily);
                    Coroutine.Go(fd => EchoSync(fd, serverErrors, EchoDone), c);
                }
            }, timeout: TimeSpan.FromSeconds(90)));

            for (int k = 0; k < connections; k++)
            {
                int stream = k;
                var conn = conns[k] = new Conn();
                byte[] payload = data[k] = Pattern.Make(stream, perConnection);
                AddressFamily family = k % 2 == 0 ? AddressFamily.InterNetwork : AddressFamily.InterNetworkV6;
                IPEndPoint ep = k % 2 == 0 ? ep4 : ep6;
                bool sync = (k / 2) % 2 == 0;
                var connectedFd = new TaskCompletionSource<nint>(TaskCreationOptions.RunContinuationsAsynchronously);
                var senderDone = new Event(manualReset: true);

                // receiver: verifies every byte against the stream, then expects end of stream, then closes
                if (sync)
                {
                    tasks.Add(CoRun.Sync(() =>
                    {
                        nint fd = connectedFd.Task.IsCompleted ? connectedFd.Task.Result : WaitFd(connectedFd.Task);
                        var buf = new byte[1 + stream * 401 % 20_000];
                        var fnv = default(Fnv64);
                        for (int i = 0; i < 1_000_000 && conn.Received < perConnection; i++)
                        {
                            int r = Sock.Recv(fd, buf, 30_000);
                            if (r <= 0) { conn.Final = r; conn.FinalErrno = Sock.Error(); break; }
                            int m = Pattern.FirstMismatch(buf.AsSpan(0, r), stream, conn.Received);
                            if (m >= 0 && conn.Mismatch < 0) conn.Mismatch = conn.Received + m;
                            fnv.Add(buf.AsSpan(0, r));
                            conn.Received += r;
                        }
                        conn.ReceivedFnv = fnv.Value;
                        if (conn.Final == int.MinValue) { conn.Final = Sock.Recv(fd, buf, 30_000); conn.FinalErrno = Sock.Error(); }
                        senderDone.Wait();
                        Sock.Close(fd);
                    }, timeout: TimeSpan.FromSeconds(90)));
                    tasks.Add(CoRun.Sync(() =>
                    {
                        nint fd = Sock.TcpSocket(family);
                        try
                        {
                            Assert.True(Sock.Connect(fd, ep, 20_000) == 0, $"Connect: {Sock.StrError()}");
                        }
                        finally
                        {
                            connectedFd.SetResult(fd);
                        }
                        var fnv = default(Fnv64);
                        long pos = 0;
                        for (int i = 0; i < 1_000_000 && pos < perConnection; i++)
                        {
                            int n = (int)Math.Min(ChunkAt(pos, stream), perConnection - pos);
                            Assert.Equal(n, Sock.Send(fd, payload.AsSpan((int)pos, n), 30_000));
                            fnv.Add(payload.AsSpan((int)pos, n));
                            pos += n;
                        }
                        conn.Sent = pos;
                        conn.SentFnv = fnv.Value;
                        Assert.Equal(0, Sock.Shutdown(fd, 'w'));
                        senderDone.Signal();
                    }, timeout: TimeSpan.FromSeconds(90)));
                }
                else
                {
                    tasks.Add(CoRun.Async(async () =>
                    {
                        nint fd = await connectedFd.Task;
                        var buf = new byte[1 + stream * 401 % 20_000];
                        var fnv = default(Fnv64);
                        for (int i = 0; i < 1_000_000 && conn.Received < perConnection; i++)
                        {
                            int r = await Sock.RecvAsync(fd, buf, 30_000);
                            if (r <= 0) { conn.Final = r; conn.FinalErrno = Sock.Error(); break; }
                            int m = Pattern.FirstMismatch(buf.AsSpan(0, r), stream, conn.Received);
                            if (m >= 0 && conn.Mismatch < 0) conn.Mismatch = conn.Received + m;
                            fnv.Add(buf.AsSpan(0, r));
                            conn.Received += r;
                        }
                        conn.ReceivedFnv = fnv.Value;
                        if (conn.Final == int.MinValue) { conn.Final = await Sock.RecvAsync(fd, buf, 30_000); conn.FinalErrno = Sock.Error(); }
                        await senderDone.WaitAsync();
                        Sock.Close(fd);
                    }, timeout: TimeSpan.FromSeconds(90)));
                    tasks.Add(CoRun.Async(async () =>
                    {
                        nint fd = Sock.TcpSocket(family);
                        try
                        {
                            Assert.True(await Sock.ConnectAsync(fd, ep, 20_000) == 0, $"ConnectAsync: {Sock.StrError()}");
                        }
                        finally
                        {
                            connectedFd.SetResult(fd);
                        }
                        var fnv = default(Fnv64);
                        long pos = 0;
                        for (int i = 0; i < 1_000_000 && pos < perConnection; i++)
                        {
                            int n = (int)Math.Min(ChunkAt(pos, stream), perConnection - pos);
                            Assert.Equal(n, await Sock.SendAsync(fd, payload.AsMemory((int)pos, n), 30_000));
                            fnv.Add(payload.AsSpan((int)pos, n));
                            pos += n;
                        }
                        conn.Sent = pos;
                        conn.SentFnv = fnv.Value;
                        Assert.Equal(0, Sock.Shutdown(fd, 'w'));
                        senderDone.Signal();
                    }, timeout: TimeSpan.FromSeconds(90)));
                }
            }

            await CoRun.Bound(Task.WhenAll(tasks), TimeSpan.FromSeconds(100), $"{connections} connections echoing {perConnection} bytes each");
            Assert.True(await CoRun.Until(() => Volatile.Read(ref echoesDone) == connections, 20_000), $"only {echoesDone} echo coroutines ended");
            Assert.Empty(serverErrors);
            for (int k = 0; k < connections; k++)
            {
                Conn c = conns[k];
                ulong expected = Fnv64.Of(data[k]);
                Assert.True(c.Mismatch < 0, $"connection {k}: first wrong byte at {c.Mismatch}");
                Assert.True(perConnection == c.Sent, $"connection {k}: sent {c.Sent}");
                Assert.True(perConnection == c.Received, $"connection {k}: received {c.Received}");
                Assert.True(expected == c.SentFnv && expected == c.ReceivedFnv, $"connection {k}: checksums differ");
                Assert.True(c.Final == 0, $"connection {k}: stream ended with {c.Final} (errno {c.FinalErrno}) instead of 0");
            }
        }
        finally
        {
            Sock.Close(l4);
            Sock.Close(l6);
        }
    }

    /// <summary>In a sync coroutine: waits for a Task without holding the scheduler (polls with coroutine sleeps).</summary>
    private static nint WaitFd(Task<nint> task)
    {
        for (int i = 0; i < 20_000 && !task.IsCompleted; i++) Coroutine.Sleep(1);
        Assert.True(task.IsCompleted, "the sender never connected");
        return task.Result;
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task LargeSend_ToASlowReader_CompletesFully(bool async)
    {
        const int size = 8 << 20;
        byte[] data = Pattern.Make(21, size);
        using SockPair p = await Loop.Pair(AddressFamily.InterNetwork, l => Sock.SetRecvBufferSize(l, 32 * 1024), c => Sock.SetSendBufferSize(c, 32 * 1024));
        int sendResult = int.MinValue;
        int sendDone = 0;
        Task writer = async
            ? CoRun.Async(async () => { sendResult = await Sock.SendAsync(p.Client, data); Volatile.Write(ref sendDone, 1); }, CoRun.S(0), TimeSpan.FromSeconds(60))
            : CoRun.Sync(() => { sendResult = Sock.Send(p.Client, data); Volatile.Write(ref sendDone, 1); }, CoRun.S(0), TimeSpan.FromSeconds(60));
        Task reader = CoRun.Sync(() =>
        {
            Coroutine.Sleep(200);
            Assert.True(Volatile.Read(ref sendDone) == 0, "8 MB cannot fit in the socket buffers: Send must still be waiting for the reader");
            var buf = new byte[16 * 1024];
            long got = 0;
            var fnv = default(Fnv64);
            for (int i = 0; i < 100_000 && got < size; i++)
            {
                int r = Sock.Recv(p.Server, buf, 10_000);
                Assert.True(r > 0, $"Recv returned {r}: {Sock.StrError()}");
                int m = Pattern.FirstMismatch(buf.AsSpan(0, r), 21, got);
                Assert.True(m < 0, $"wrong byte at {got + m}");
                fnv.Add(buf.AsSpan(0, r));
                got += r;
                if (i % 8 == 0) Coroutine.Sleep(1);
            }
            Assert.Equal(size, got);
            Assert.Equal(Fnv64.Of(data), fnv.Value);
        }, CoRun.S(1), TimeSpan.FromSeconds(60));
        await Task.WhenAll(writer, reader);
        Assert.Equal(size, sendResult);
    }

    // ------------------------------------------------------------------------------------------------------------
    // concurrency on one scheduler

    [Fact]
    public async Task ManyCoroutinesOnOneScheduler_BlockedInRecv_DoNotBlockEachOther()
    {
        const int n = 60; // even: sync, odd: async
        SockPair[] pairs = await CoRun.Sync(() =>
            Enumerable.Range(0, n).Select(i => Loop.PairHere(i % 2 == 0 ? AddressFamily.InterNetwork : AddressFamily.InterNetworkV6)).ToArray(), CoRun.S(1));
        try
        {
            Scheduler s0 = CoRun.S(0);
            int started = 0;
            var completed = new int[n];
            var receivers = new Task[n];
            for (int i = 0; i < n; i++)
            {
                int me = i;
                receivers[i] = me % 2 == 0
                    ? CoRun.Sync(() =>
                    {
                        Interlocked.Increment(ref started);
                        var b = new byte[1];
                        Assert.Equal(1, Sock.Recv(pairs[me].Server, b));
                        Assert.Equal((byte)me, b[0]);
                        Volatile.Write(ref completed[me], 1);
                        Assert.Equal(1, Sock.Send(pairs[me].Server, b));
                    }, s0)
                    : CoRun.Async(async () =>
                    {
                        Interlocked.Increment(ref started);
                        var b = new byte[1];
                        Assert.Equal(1, await Sock.RecvAsync(pairs[me].Server, b));
                        Assert.Equal((byte)me, b[0]);
                        Volatile.Write(ref completed[me], 1);
                        Assert.Equal(1, await Sock.SendAsync(pairs[me].Server, b));
                    }, s0);
            }

            // The driver runs on the same scheduler while all of them wait, and wakes them one at a time, last
            // first: each reply proves that one receiver woke while every earlier one is still blocked.
            await CoRun.Sync(() =>
            {
                for (int k = 0; k < 2000 && Volatile.Read(ref started) < n; k++) Coroutine.Sleep(5);
                Assert.Equal(n, Volatile.Read(ref started));
                for (int i = n - 1; i >= 0; i--)
                {
                    for (int j = 0; j < i; j++) Assert.True(Volatile.Read(ref completed[j]) == 0, $"receiver {j} finished before its data was sent");
                    Assert.Equal(1, Sock.Send(pairs[i].Client, new[] { (byte)i }));
                    var b = new byte[1];
                    Assert.True(Sock.RecvN(pairs[i].Client, b, 10_000) == 1, $"receiver {i} did not answer: {Sock.StrError()}");
                    Assert.Equal((byte)i, b[0]);
                    Assert.Equal(1, Volatile.Read(ref completed[i]));
                }
            }, s0);
            await Task.WhenAll(receivers);
        }
        finally
        {
            foreach (SockPair p in pairs) p.Dispose();
        }
    }

    [Fact]
    public async Task RecvTimeouts_OfManyCoroutinesOnOneScheduler_ElapseConcurrently()
    {
        const int n = 40;
        const int ms = 500;
        SockPair[] pairs = await CoRun.Sync(() => Enumerable.Range(0, n).Select(_ => Loop.PairHere(AddressFamily.InterNetwork)).ToArray(), CoRun.S(1));
        try
        {
            Scheduler s0 = CoRun.S(0);
            var sw = Stopwatch.StartNew();
            var tasks = Enumerable.Range(0, n).Select(i => i % 2 == 0
                ? CoRun.Sync(() =>
                {
                    Assert.Equal(-1, Sock.Recv(pairs[i].Server, new byte[4], ms));
                    Assert.Equal(Err.ETIMEDOUT, Sock.Error());
                    Assert.True(Coroutine.TimedOut);
                }, s0)
                : CoRun.Async(async () =>
                {
                    Assert.Equal(-1, await Sock.RecvAsync(pairs[i].Server, new byte[4], ms));
                    Assert.Equal(Err.ETIMEDOUT, Sock.Error());
                    Assert.True(Coroutine.TimedOut);
                }, s0)).ToArray();
            await Task.WhenAll(tasks);
            // one after another they would take n * ms = 20 s
            Assert.True(sw.ElapsedMilliseconds < n * ms / 2, $"{n} timeouts of {ms} ms on one scheduler took {sw.ElapsedMilliseconds} ms: they did not wait concurrently");
        }
        finally
        {
            foreach (SockPair p in pairs) p.Dispose();
        }
    }

    // ------------------------------------------------------------------------------------------------------------
    // 10,000 connections

    /// <summary>10,000 TCP connections held open at once, each echoing twice. Both ends in one process would need
    /// 20,000+ descriptors, more than the usual hard limit, so the clients run in a child process (Co.TestHost
    /// `sock-clients`) and the server here: async accept, one async echo coroutine per connection.</summary>
    [Fact]
    public async Task TenThousandConnections_HeldOpenAtOnce_AndEchoing()
    {
        const int count = 10_000;
        long limit = Native.EnsureFdLimit(Native.OpenFdCount() + count + 512);
        Assert.True(limit >= Native.OpenFdCount() + count + 64, $"RLIMIT_NOFILE {limit} is too low for {count} server sockets");

        nint listener = Loop.Listen(AddressFamily.InterNetwork, out IPEndPoint ep, backlog: 4096);
        int accepted = 0, open = 0, maxOpen = 0, finished = 0, echoed = 0;
        var errors = new ConcurrentQueue<string>();

        async Task Echo(nint fd)
        {
            var buf = new byte[64];
            try
            {
                for (int i = 0; i < 1000; i++)
                {
                    int r = await Sock.RecvAsync(fd, buf);
                    if (r == 0) break;
                    if (r < 0)
                    {
                        errors.Enqueue($"recv: {Sock.StrError()}");
                        break;
                    }
                    if (await Sock.SendAsync(fd, buf.AsMemory(0, r), 30_000) != r)
                    {
                        errors.Enqueue($"send: {Sock.StrError()}");
                        break;
                    }
                    Interlocked.Add(ref echoed, r);
                }
            }
            finally
            {
                Interlocked.Decrement(ref open);
                Sock.ResetTcpSocket(fd); // no TIME_WAIT left behind for 10,000 connections
                Interlocked.Increment(ref finished);
            }
        }

        Task acceptLoop = CoRun.Async(async () =>
        {
            while (accepted < count)
            {
                nint c = await Sock.AcceptAsync(listener);
                if (c < 0)
                {
                    errors.Enqueue($"accept: {Sock.StrError()}");
                    return;
                }
                accepted++;
                int now = Interlocked.Increment(ref open);
                int seen;
                while (now > (seen = Volatile.Read(ref maxOpen)) && Interlocked.CompareExchange(ref maxOpen, now, seen) != seen) { }
                Coroutine.Go(Echo, c);
            }
        }, timeout: TimeSpan.FromSeconds(90));

        HostResult r;
        try
        {
            r = await TestHost.RunAsync(Co.TestHost.SockClientsScenario.SockClients, null, 90_000,
                "127.0.0.1", ep.Port.ToString(CultureInfo.InvariantCulture), count.ToString(CultureInfo.InvariantCulture));
            Assert.True(await CoRun.Until(() => Volatile.Read(ref finished) == Volatile.Read(ref accepted), 30_000),
                $"{accepted - finished} echo coroutines did not end after the clients closed");
        }
        finally
        {
            Sock.Close(listener); // also wakes the accept loop if the child failed early
        }

        r.AssertSuccess();
        await acceptLoop;
        Assert.Equal(count.ToString(CultureInfo.InvariantCulture), r.Result("connected"));
        Assert.Equal(count.ToString(CultureInfo.InvariantCulture), r.Result("round1_ok"));
        Assert.Equal(count.ToString(CultureInfo.InvariantCulture), r.Result("round2_ok"));
        Assert.Equal(count.ToString(CultureInfo.InvariantCulture), r.Result("closed"));
        Assert.Equal("none", r.Result("errors"));
        Assert.Empty(errors);
        Assert.Equal(count, accepted);
        Assert.Equal(count, maxOpen); // every connection was open at the same time
        Assert.Equal(count * 2 * 16, Volatile.Read(ref echoed));
        Assert.Equal(0, Volatile.Read(ref open));
    }

    /// <summary>Connection churn: many short connections from several coroutines at once, so descriptor numbers are
    /// closed and reused (and re-registered with the pollers) all the time while others wait.</summary>
    [Fact]
    public async Task ConnectionChurn_ShortConnections_DescriptorsReusedSafely()
    {
        const int clients = 8;
        const int perClient = 150;
        nint listener = Loop.Listen(AddressFamily.InterNetwork, out IPEndPoint ep, 512);
        var errors = new ConcurrentQueue<string>();
        int served = 0;
        int baseline = Native.OpenFdCount();
        Task acceptLoop = CoRun.Async(async () =>
        {
            for (int i = 0; i < clients * perClient; i++)
            {
                nint c = await Sock.AcceptAsync(listener);
                if (c < 0) { errors.Enqueue($"accept: {Sock.StrError()}"); return; }
                Coroutine.Go(async fd =>
                {
                    var buf = new byte[8];
                    if (await Sock.RecvNAsync(fd, buf, 10_000) != 8) errors.Enqueue($"server recv: {Sock.StrError()}");
                    else if (await Sock.SendAsync(fd, buf, 10_000) != 8) errors.Enqueue($"server send: {Sock.StrError()}");
                    else if (await Sock.RecvAsync(fd, buf, 10_000) != 0) errors.Enqueue("server: no end of stream");
                    Sock.ResetTcpSocket(fd);
                    Interlocked.Increment(ref served);
                }, c);
            }
        }, timeout: TimeSpan.FromSeconds(60));
        try
        {
            var tasks = Enumerable.Range(0, clients).Select(k => k % 2 == 0
                ? CoRun.Sync(() =>
                {
                    for (int i = 0; i < perClient; i++)
                    {
                        nint fd = Sock.TcpSocket();
                        try
                        {
                            Assert.True(Sock.Connect(fd, ep, 10_000) == 0, $"Connect: {Sock.StrError()}");
                            byte[] msg = Pattern.Make(k * 1000 + i, 8);
                            Assert.Equal(8, Sock.Send(fd, msg));
                            var back = new byte[8];
                            Assert.Equal(8, Sock.RecvN(fd, back, 10_000));
                            Assert.Equal(msg, back);
                        }
                        finally
                        {
                            Assert.Equal(0, Sock.Close(fd));
                        }
                    }
                }, timeout: TimeSpan.FromSeconds(60))
                : CoRun.Async(async () =>
                {
                    for (int i = 0; i < perClient; i++)
                    {
                        nint fd = Sock.TcpSocket();
                        try
                        {
                            Assert.True(await Sock.ConnectAsync(fd, ep, 10_000) == 0, $"ConnectAsync: {Sock.StrError()}");
                            byte[] msg = Pattern.Make(k * 1000 + i, 8);
                            Assert.Equal(8, await Sock.SendAsync(fd, msg));
                            var back = new byte[8];
                            Assert.Equal(8, await Sock.RecvNAsync(fd, back, 10_000));
                            Assert.Equal(msg, back);
                        }
                        finally
                        {
                            Assert.Equal(0, Sock.Close(fd));
                        }
                    }
                }, timeout: TimeSpan.FromSeconds(60))).ToArray();
            await Task.WhenAll(tasks);
            await acceptLoop;
            Assert.True(await CoRun.Until(() => Volatile.Read(ref served) == clients * perClient, 20_000), $"served {served}");
            Assert.Empty(errors);
        }
        finally
        {
            Sock.Close(listener);
        }
        Assert.True(Native.OpenFdCount() <= baseline + 10, $"descriptors leaked: {baseline} before, {Native.OpenFdCount()} after");
    }
}
