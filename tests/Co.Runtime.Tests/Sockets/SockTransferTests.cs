using System.Net;
using System.Net.Sockets;
using System.Text;
using Xunit;

namespace Co.Tests.Sockets;

/// <summary>Correct results of the transfer calls on real loopback sockets (TCP v4/v6, UDP), sync and async forms.</summary>
public class SockTransferTests
{
    public static TheoryData<AddressFamily> Families => new() { AddressFamily.InterNetwork, AddressFamily.InterNetworkV6 };

    public static TheoryData<AddressFamily, bool> FamiliesAndForms => new()
    {
        { AddressFamily.InterNetwork, false },
        { AddressFamily.InterNetwork, true },
        { AddressFamily.InterNetworkV6, false },
        { AddressFamily.InterNetworkV6, true },
    };

    [Theory]
    [MemberData(nameof(Families))]
    public async Task Tcp_SyncEcho_ReturnsExactCounts_AndAcceptGivesPeerAddress(AddressFamily family)
    {
        nint listener = Loop.Listen(family, out IPEndPoint ep);
        IPEndPoint? acceptedPeer = null;
        string serverSidePeer = "";
        nint clientFd = -1;
        try
        {
            Task server = CoRun.Sync(() =>
            {
                nint c = Sock.Accept(listener, out acceptedPeer);
                Assert.True(c >= 0, $"Accept: {Sock.StrError()}");
                Assert.False(Coroutine.TimedOut);
                Assert.True(Native.IsNonBlocking(c), "accepted socket must be non-blocking");
                Assert.True(Native.IsCloseOnExec(c), "accepted socket must be close-on-exec");
                serverSidePeer = Sock.Peer(c);
                var buf = new byte[4096];
                int total = 0;
                for (int i = 0; i < 10_000; i++)
                {
                    int r = Sock.Recv(c, buf);
                    Assert.True(r >= 0, $"server Recv: {Sock.StrError()}");
                    if (r == 0) break;
                    total += r;
                    Assert.Equal(r, Sock.Send(c, buf.AsSpan(0, r)));
                }
                Assert.Equal(5 + 200_000, total);
                Assert.Equal(0, Sock.Close(c));
            }, CoRun.S(0));

            Task client = CoRun.Sync(() =>
            {
                nint fd = clientFd = Sock.TcpSocket(family);
                Assert.True(fd >= 0);
                Assert.Equal(0, Sock.Connect(fd, ep));
                Assert.False(Coroutine.TimedOut);
                Assert.Equal(Sock.ToString(ep), Sock.Peer(fd));

                Assert.Equal(5, Sock.Send(fd, "hello"u8));
                var five = new byte[5];
                Assert.Equal(5, Sock.RecvN(fd, five));
                Assert.Equal("hello", Encoding.ASCII.GetString(five));

                byte[] big = Pattern.Make(7, 200_000);
                Assert.Equal(big.Length, Sock.Send(fd, big, 0, big.Length));
                var back = new byte[big.Length + 10];
                Assert.Equal(big.Length, Sock.RecvN(fd, back, 10, big.Length));
                Assert.Equal(-1, Pattern.FirstMismatch(back.AsSpan(10), 7, 0));

                Assert.Equal(0, Sock.Shutdown(fd, 'w'));
                Assert.Equal(0, Sock.Recv(fd, back)); // server closed after seeing our end of stream
                Assert.False(Coroutine.TimedOut);
            }, CoRun.S(1));

            await Task.WhenAll(server, client);
            IPEndPoint local = Sock.LocalEndPoint(clientFd)!;
            Assert.NotNull(acceptedPeer);
            Assert.Equal(family, acceptedPeer!.AddressFamily);
            Assert.Equal(local, acceptedPeer);
            Assert.Equal(Sock.ToString(local), serverSidePeer);
        }
        finally
        {
            if (clientFd >= 0) Sock.Close(clientFd);
            Sock.Close(listener);
        }
    }

    [Theory]
    [MemberData(nameof(Families))]
    public async Task Tcp_AsyncEcho_ReturnsExactCounts(AddressFamily family)
    {
        nint listener = Loop.Listen(family, out IPEndPoint ep);
        string serverSidePeer = "";
        IPEndPoint? clientLocal = null;
        try
        {
            Task server = CoRun.Async(async () =>
            {
                nint c = await Sock.AcceptAsync(listener);
                Assert.True(c >= 0, $"AcceptAsync: {Sock.StrError()}");
                Assert.True(Native.IsNonBlocking(c));
                serverSidePeer = Sock.Peer(c);
                var buf = new byte[3000];
                int total = 0;
                for (int i = 0; i < 10_000; i++)
                {
                    int r = await Sock.RecvAsync(c, buf);
                    Assert.True(r >= 0, $"server RecvAsync: {Sock.StrError()}");
                    if (r == 0) break;
                    total += r;
                    Assert.Equal(r, await Sock.SendAsync(c, buf.AsMemory(0, r)));
                }
                Assert.Equal(4 + 300_000, total);
                Assert.Equal(0, Sock.Close(c));
            }, CoRun.S(1));

            Task client = CoRun.Async(async () =>
            {
                nint fd = Sock.TcpSocket(family);
                Assert.True(fd >= 0);
                try
                {
                    Assert.Equal(0, await Sock.ConnectAsync(fd, ep));
                    Assert.False(Coroutine.TimedOut);
                    clientLocal = Sock.LocalEndPoint(fd);
                    Assert.Equal(4, await Sock.SendAsync(fd, "ping"u8.ToArray()));
                    var four = new byte[4];
                    Assert.Equal(4, await Sock.RecvNAsync(fd, four));
                    Assert.Equal("ping", Encoding.ASCII.GetString(four));

                    byte[] big = Pattern.Make(9, 300_000);
                    Assert.Equal(big.Length, await Sock.SendAsync(fd, big));
                    var back = new byte[big.Length];
                    Assert.Equal(big.Length, await Sock.RecvNAsync(fd, back, 10_000));
                    Assert.Equal(-1, Pattern.FirstMismatch(back, 9, 0));

                    Assert.Equal(0, Sock.Shutdown(fd, 'w'));
                    Assert.Equal(0, await Sock.RecvAsync(fd, back));
                    Assert.False(Coroutine.TimedOut);
                }
                finally
                {
                    Sock.Close(fd);
                }
            }, CoRun.S(0));

            await Task.WhenAll(server, client);
            Assert.NotNull(clientLocal);
            Assert.Equal(Sock.ToString(clientLocal!), serverSidePeer);
        }
        finally
        {
            Sock.Close(listener);
        }
    }

    [Theory]
    [MemberData(nameof(Families))]
    public async Task Udp_SendToRecvFrom_KeepsDatagramBoundaries_AndReportsSource(AddressFamily family)
    {
        var (a, epA, b, epB) = Loop.UdpPair(family);
        try
        {
            await CoRun.Sync(() =>
            {
                var buf = new byte[70_000];
                foreach (int size in new[] { 1, 1000, 65_507 })
                {
                    byte[] data = Pattern.Make(size, size);
                    Assert.Equal(size, Sock.SendTo(a, data, epB));
                    int r = Sock.RecvFrom(b, buf, out IPEndPoint? from, 5000);
                    Assert.Equal(size, r);
                    Assert.Equal(-1, Pattern.FirstMismatch(buf.AsSpan(0, r), size, 0));
                    Assert.Equal(epA, from);

                    // and back, to the address RecvFrom reported
                    Assert.Equal(size, Sock.SendTo(b, buf.AsSpan(0, r), from));
                    Assert.Equal(size, Sock.RecvFrom(a, buf, out IPEndPoint? from2, 5000));
                    Assert.Equal(epB, from2);
                }

                // A connected UDP socket: SendTo with a null address is a send to the connected peer.
                Assert.Equal(0, Sock.Connect(a, epB));
                Assert.Equal(3, Sock.SendTo(a, "abc"u8, null));
                Assert.Equal(3, Sock.RecvFrom(b, buf, out IPEndPoint? from3, 5000));
                Assert.Equal("abc", Encoding.ASCII.GetString(buf, 0, 3));
                Assert.Equal(epA, from3);

                // Datagrams queued before the read come out one at a time, in order.
                for (int i = 0; i < 5; i++)
                {
                    Assert.Equal(i + 1, Sock.SendTo(a, Pattern.Make(100 + i, i + 1), null));
                }
                for (int i = 0; i < 5; i++)
                {
                    int r = Sock.RecvFrom(b, buf, out _, 5000);
                    Assert.Equal(i + 1, r);
                    Assert.Equal(-1, Pattern.FirstMismatch(buf.AsSpan(0, r), 100 + i, 0));
                }

                // Nothing left: a bounded RecvFrom times out.
                Assert.Equal(-1, Sock.RecvFrom(b, buf, out IPEndPoint? none, 50));
                Assert.Equal(Err.ETIMEDOUT, Sock.Error());
                Assert.True(Coroutine.TimedOut);
                Assert.Null(none);
            });
        }
        finally
        {
            Sock.Close(a);
            Sock.Close(b);
        }
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Recv_ReturnsZero_WhenPeerCloses(bool async)
    {
        using SockPair p = await Loop.Pair();
        Task reader = async
            ? CoRun.Async(async () =>
            {
                var buf = new byte[16];
                Assert.Equal(2, await Sock.RecvNAsync(p.Server, buf.AsMemory(0, 2)));
                Assert.Equal(0, await Sock.RecvAsync(p.Server, buf));
                Assert.False(Coroutine.TimedOut);
                Assert.Equal(0, await Sock.RecvAsync(p.Server, buf)); // stays at end of stream
            }, CoRun.S(0))
            : CoRun.Sync(() =>
            {
                var buf = new byte[16];
                Assert.Equal(2, Sock.RecvN(p.Server, buf.AsSpan(0, 2)));
                Assert.Equal(0, Sock.Recv(p.Server, buf));
                Assert.False(Coroutine.TimedOut);
                Assert.Equal(0, Sock.Recv(p.Server, buf, 0, 16));
            }, CoRun.S(0));
        await CoRun.Sync(() =>
        {
            Assert.Equal(2, Sock.Send(p.Client, "hi"u8));
            Coroutine.Sleep(50);
            Assert.Equal(0, p.CloseClient());
        }, CoRun.S(1));
        await reader;
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task RecvN_AssemblesManySmallSends_InOrder(bool async)
    {
        using SockPair p = await Loop.Pair();
        const int pieces = 2000;
        int total = 0;
        for (int i = 0; i < pieces; i++) total += 1 + (i % 7);
        byte[] got = new byte[total];

        Task reader = async
            ? CoRun.Async(async () => Assert.Equal(total, await Sock.RecvNAsync(p.Server, got)), CoRun.S(0))
            : CoRun.Sync(() => Assert.Equal(total, Sock.RecvN(p.Server, got)), CoRun.S(0));
        await CoRun.Sync(() =>
        {
            Sock.SetTcpNodelay(p.Client);
            byte[] all = Pattern.Make(3, total);
            int pos = 0;
            for (int i = 0; i < pieces; i++)
            {
                int n = 1 + (i % 7);
                Assert.Equal(n, Sock.Send(p.Client, all.AsSpan(pos, n)));
                pos += n;
                if (i % 3 == 0) Coroutine.Yield();
                if (i % 200 == 0) Coroutine.Sleep(1);
            }
        }, CoRun.S(1));
        await reader;
        Assert.Equal(-1, Pattern.FirstMismatch(got, 3, 0));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task RecvN_ReturnsZero_WhenPeerClosesBeforeFull(bool async)
    {
        using SockPair p = await Loop.Pair();
        Task reader = async
            ? CoRun.Async(async () => Assert.Equal(0, await Sock.RecvNAsync(p.Server, new byte[100])), CoRun.S(0))
            : CoRun.Sync(() => Assert.Equal(0, Sock.RecvN(p.Server, new byte[100])), CoRun.S(0));
        await CoRun.Sync(() =>
        {
            Assert.Equal(10, Sock.Send(p.Client, new byte[10]));
            Coroutine.Sleep(30);
            Assert.Equal(0, p.CloseClient());
        }, CoRun.S(1));
        await reader;
    }

    /// <summary>
    /// Data and the peer's FIN arriving together wake a waiting reader with one readiness edge. The reader's short
    /// receive empties the queue, but the end of stream is still to be read: the next receive must report it at once
    /// instead of waiting for an edge that already came (a receive that skips its first attempt after a short read
    /// must not skip past a hang-up).
    /// </summary>
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task ShortReceive_ThenPeerShutdown_InOneEdge_NextReceiveReturnsZeroAtOnce(bool async)
    {
        const int rounds = 40;
        for (int round = 0; round < rounds; round++)
        {
            using SockPair p = await Loop.Pair();
            var parked = new Event(manualReset: true);
            var results = new int[3];
            Task reader = async
                ? CoRun.Async(async () =>
                {
                    var buf = new byte[100];
                    parked.Signal();
                    results[0] = await Sock.RecvAsync(p.Server, buf, 5000);
                    results[1] = await Sock.RecvAsync(p.Server, buf, 5000);
                    results[2] = Sock.Error();
                })
                : CoRun.Sync(() =>
                {
                    var buf = new byte[100];
                    parked.Signal();
                    results[0] = Sock.Recv(p.Server, buf, 5000);
                    results[1] = Sock.Recv(p.Server, buf, 5000);
                    results[2] = Sock.Error();
                });
            await CoRun.Sync(() =>
            {
                parked.Wait();
                Coroutine.Sleep(2); // let the reader reach its wait
                Assert.Equal(10, Sock.Send(p.Client, new byte[10]));
                Assert.Equal(0, Sock.Shutdown(p.Client, 'w'));
            });
            await reader;
            Assert.True(results[0] == 10, $"round {round}: first receive returned {results[0]}");
            Assert.True(results[1] == 0, $"round {round}: receive after the peer's shutdown returned {results[1]} (errno {results[2]}) instead of 0");
        }
    }

    [Fact]
    public async Task ShutdownWrite_PeerRecvReturnsZero_OtherDirectionStillWorks()
    {
        using SockPair p = await Loop.Pair(AddressFamily.InterNetworkV6);
        await CoRun.Sync(() =>
        {
            var buf = new byte[64];
            Assert.Equal(3, Sock.Send(p.Client, "end"u8));
            Assert.Equal(0, Sock.Shutdown(p.Client, 'w'));
            Assert.Equal(3, Sock.RecvN(p.Server, buf.AsSpan(0, 3)));
            Assert.Equal(0, Sock.Recv(p.Server, buf, 5000));
            Assert.False(Coroutine.TimedOut);

            // the half-closed side still receives
            Assert.Equal(5, Sock.Send(p.Server, "reply"u8));
            Assert.Equal(5, Sock.RecvN(p.Client, buf.AsSpan(0, 5), 5000));
            Assert.Equal("reply", Encoding.ASCII.GetString(buf, 0, 5));

            // and cannot send any more
            Assert.Equal(-1, Sock.Send(p.Client, "x"u8));
            Assert.Equal(Err.EPIPE, Sock.Error());
        });
    }

    [Fact]
    public async Task ShutdownBoth_And_ShutdownRead_Succeed_And_BadHowThrows()
    {
        using SockPair p = await Loop.Pair();
        Assert.Throws<ArgumentOutOfRangeException>(() => Sock.Shutdown(p.Client, 'x'));
        await CoRun.Sync(() =>
        {
            Assert.Equal(0, Sock.Shutdown(p.Server, 'r'));
            Assert.Equal(0, Sock.Recv(p.Server, new byte[8], 1000)); // read side shut: end of stream at once
            Assert.Equal(0, Sock.Shutdown(p.Client));                 // default 'b'
            Assert.Equal(0, Sock.Recv(p.Client, new byte[8], 1000));
            Assert.Equal(-1, Sock.Send(p.Client, "x"u8));
            Assert.Equal(Err.EPIPE, Sock.Error());
        });
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task ResetTcpSocket_PeerSeesConnReset_AndSendFails(bool async)
    {
        using SockPair p = await Loop.Pair();
        await CoRun.Sync(() =>
        {
            Assert.Equal(1, Sock.Send(p.Server, "x"u8));
            Assert.Equal(1, Sock.RecvN(p.Client, new byte[1]));
            Assert.Equal(0, p.ResetServer(20)); // delayed reset: sleeps 20 ms first
        });

        if (async)
        {
            await CoRun.Async(async () =>
            {
                int r = await Sock.RecvAsync(p.Client, new byte[8], 5000);
                Assert.True(r == 0 || (r == -1 && Sock.Error() == Err.ECONNRESET), $"RecvAsync after reset: r={r} errno={Sock.Error()}");
                Assert.False(Coroutine.TimedOut);
                r = await Sock.SendAsync(p.Client, new byte[100], 5000);
                Assert.Equal(-1, r);
                Assert.Contains(Sock.Error(), new[] { Err.EPIPE, Err.ECONNRESET });
            });
        }
        else
        {
            await CoRun.Sync(() =>
            {
                int r = Sock.Recv(p.Client, new byte[8], 5000);
                Assert.True(r == 0 || (r == -1 && Sock.Error() == Err.ECONNRESET), $"Recv after reset: r={r} errno={Sock.Error()}");
                Assert.False(Coroutine.TimedOut);
                Assert.Equal(-1, Sock.Send(p.Client, new byte[100], 5000));
                Assert.Contains(Sock.Error(), new[] { Err.EPIPE, Err.ECONNRESET });
            });
        }
    }

    [Fact]
    public async Task Close_WithDelay_SleepsThenCloses()
    {
        using SockPair p = await Loop.Pair();
        Assert.Throws<ArgumentOutOfRangeException>(() => Sock.Close(p.Client, -1));
        Assert.Throws<ArgumentOutOfRangeException>(() => Sock.ResetTcpSocket(p.Client, -1));
        Assert.True(Native.IsOpen(p.Client), "a rejected Close/ResetTcpSocket must not close the socket");
        Task reader = CoRun.Sync(() => Assert.Equal(0, Sock.Recv(p.Server, new byte[4])), CoRun.S(1));
        await CoRun.Sync(() =>
        {
            nint fd = p.Client;
            var sw = System.Diagnostics.Stopwatch.StartNew();
            Assert.Equal(0, p.CloseClient(60));
            Assert.True(sw.ElapsedMilliseconds >= 50, $"Close(fd, 60) returned after {sw.ElapsedMilliseconds} ms: it must sleep first");
            Assert.False(Native.IsOpen(fd));
        }, CoRun.S(0));
        await reader;
    }

    [Fact]
    public async Task SyncForms_InsideAsyncCoroutine_Work()
    {
        using SockPair p = await Loop.Pair();
        Task reader = CoRun.Async(async () =>
        {
            await Coroutine.YieldAsync();
            var buf = new byte[5];
            Assert.Equal(5, Sock.RecvN(p.Server, buf, 10_000)); // a sync call in an async coroutine parks its thread
            Assert.Equal("later", Encoding.ASCII.GetString(buf));
            Assert.Equal(2, await Sock.SendAsync(p.Server, "ok"u8.ToArray()));
        }, CoRun.S(0));
        await CoRun.Sync(() =>
        {
            Coroutine.Sleep(50);
            Assert.Equal(5, Sock.Send(p.Client, "later"u8));
            Assert.Equal(2, Sock.RecvN(p.Client, new byte[2], 10_000));
        }, CoRun.S(1));
        await reader;
    }

    [Fact]
    public async Task WaitOnSocketRegisteredByOtherScheduler_IsWokenOnItsOwnScheduler()
    {
        using SockPair p = await Loop.Pair();
        // First wait (registers the descriptor with scheduler 0's poller), times out.
        await CoRun.Sync(() =>
        {
            Assert.Equal(-1, Sock.Recv(p.Server, new byte[4], 20));
            Assert.Equal(Err.ETIMEDOUT, Sock.Error());
        }, CoRun.S(0));

        int sidAfterSync = -1, sidAfterAsync = -1;
        Task syncWaiter = CoRun.Sync(() =>
        {
            Assert.Equal(4, Sock.RecvN(p.Server, new byte[4], 10_000));
            sidAfterSync = Coroutine.SchedulerId;
        }, CoRun.S(1));
        Task asyncWaiter = CoRun.Async(async () =>
        {
            Assert.Equal(4, await Sock.RecvNAsync(p.Client, new byte[4], 10_000));
            sidAfterAsync = Coroutine.SchedulerId;
        }, CoRun.S(1));
        await CoRun.Sync(() =>
        {
            Coroutine.Sleep(50);
            Assert.Equal(4, Sock.Send(p.Client, "abcd"u8));
            Assert.Equal(4, Sock.Send(p.Server, "efgh"u8));
        }, CoRun.S(0));
        await Task.WhenAll(syncWaiter, asyncWaiter);
        Assert.Equal(1, sidAfterSync);
        Assert.Equal(1, sidAfterAsync);
    }
}
