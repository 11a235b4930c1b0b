using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Co.Testing;
using Xunit;

namespace Co.Tests.Sockets;

/// <summary>Bad input and faults, each one on its own: invalid and closed descriptors, a descriptor closed while a
/// coroutine waits on it, bad buffer slices, oversized UDP datagrams, refused connections, resets mid-stream,
/// timeouts 0 and -1, misuse outside coroutines, other errno paths.</summary>
[Trait(AdversarialSuite.Trait, AdversarialSuite.Name)]
public class SockFaultTests
{
    private static readonly nint[] s_invalidFds = { -1, -12345, 1_000_000, unchecked((nint)(1L << 31)) };

    private static void AssertFailed(int result, int errno, string what)
    {
        Assert.True(result == -1, $"{what}: expected -1, got {result}");
        Assert.True(Sock.Error() == errno, $"{what}: expected errno {errno}, got {Sock.Error()} ({Sock.StrError()})");
    }

    // ------------------------------------------------------------------------------------------------------------
    // invalid and closed descriptors

    [Fact]
    public async Task InvalidFd_EverySyncCall_FailsWithEbadf()
    {
        await CoRun.Sync(() =>
        {
            var buf = new byte[16];
            IPEndPoint ep = Loop.Ep(AddressFamily.InterNetwork, 9);
            foreach (nint fd in s_invalidFds)
            {
                string f = $" on fd {fd}";
                AssertFailed(Sock.Recv(fd, buf), Err.EBADF, "Recv" + f);
                AssertFailed(Sock.Recv(fd, buf, 0, 4, 100), Err.EBADF, "Recv[]" + f);
                AssertFailed(Sock.RecvN(fd, buf), Err.EBADF, "RecvN" + f);
                AssertFailed(Sock.RecvN(fd, buf, 1, 4), Err.EBADF, "RecvN[]" + f);
                AssertFailed(Sock.RecvFrom(fd, buf, out IPEndPoint? from), Err.EBADF, "RecvFrom" + f);
                Assert.Null(from);
                AssertFailed(Sock.Send(fd, buf), Err.EBADF, "Send" + f);
                AssertFailed(Sock.Send(fd, buf, 2, 3), Err.EBADF, "Send[]" + f);
                AssertFailed(Sock.SendTo(fd, buf, ep), Err.EBADF, "SendTo" + f);
                AssertFailed(Sock.SendTo(fd, buf, null), Err.EBADF, "SendTo(null)" + f);
                AssertFailed((int)Sock.Accept(fd), Err.EBADF, "Accept" + f);
                AssertFailed((int)Sock.Accept(fd, out IPEndPoint? peer), Err.EBADF, "Accept(peer)" + f);
                Assert.Null(peer);
                AssertFailed(Sock.Connect(fd, ep, 1000), Err.EBADF, "Connect" + f);
                AssertFailed(Sock.Shutdown(fd, 'w'), Err.EBADF, "Shutdown" + f);
                AssertFailed(Sock.Bind(fd, ep), Err.EBADF, "Bind" + f);
                AssertFailed(Sock.Listen(fd), Err.EBADF, "Listen" + f);
                AssertFailed(Sock.GetSockOpt(fd, Opt.SolSocket, Opt.SoRcvbuf, out _), Err.EBADF, "GetSockOpt" + f);
                AssertFailed(Sock.SetSockOpt(fd, Opt.SolSocket, Opt.SoRcvbuf, 4096), Err.EBADF, "SetSockOpt" + f);
                Sock.SetLastError(0);
                Assert.False(new IoEvent(fd, IoEventType.Read).Wait(100));
                Assert.Equal(Err.EBADF, Sock.Error());
                Sock.SetLastError(0);
                Assert.False(new IoEvent(fd, IoEventType.Write).Wait());
                Assert.Equal(Err.EBADF, Sock.Error());
                Assert.False(Coroutine.TimedOut);
                AssertFailed(Sock.Close(fd), Err.EBADF, "Close" + f);
                AssertFailed(Sock.ResetTcpSocket(fd), Err.EBADF, "ResetTcpSocket" + f);
            }
        });
    }

    [Fact]
    public async Task InvalidFd_EveryAsyncCall_FailsWithEbadf()
    {
        await CoRun.Async(async () =>
        {
            var buf = new byte[16];
            IPEndPoint ep = Loop.Ep(AddressFamily.InterNetwork, 9);
            foreach (nint fd in s_invalidFds)
            {
                string f = $" on fd {fd}";
                AssertFailed(await Sock.RecvAsync(fd, buf), Err.EBADF, "RecvAsync" + f);
                AssertFailed(await Sock.RecvNAsync(fd, buf, 100), Err.EBADF, "RecvNAsync" + f);
                AssertFailed(await Sock.SendAsync(fd, buf), Err.EBADF, "SendAsync" + f);
                AssertFailed((int)await Sock.AcceptAsync(fd), Err.EBADF, "AcceptAsync" + f);
                AssertFailed(await Sock.ConnectAsync(fd, ep), Err.EBADF, "ConnectAsync" + f);
                Sock.SetLastError(0);
                Assert.False(await new IoEvent(fd, IoEventType.Read).WaitAsync());
                Assert.Equal(Err.EBADF, Sock.Error());
                Assert.False(Coroutine.TimedOut);
            }
        });
    }

    [Fact]
    public async Task ClosedFd_EveryCall_FailsWithEbadf()
    {
        await CoRun.Sync(() =>
        {
            SockPair p = Loop.PairHere(AddressFamily.InterNetwork);
            nint listener = Loop.Listen(AddressFamily.InterNetwork, out IPEndPoint ep);
            nint udp = Sock.UdpSocket();
            nint fresh = Sock.TcpSocket();
            nint[] closed = { p.Client, p.Server, listener, udp, fresh };
            foreach (nint fd in closed) Assert.Equal(0, Sock.Close(fd));
            p.ForgetClient();
            p.ForgetServer();

            var buf = new byte[8];
            foreach (nint fd in closed)
            {
                Assert.False(Native.IsOpen(fd), $"fd {fd} was reused before the test could use it");
                string f = $" on closed fd {fd}";
                AssertFailed(Sock.Recv(fd, buf, 1000), Err.EBADF, "Recv" + f);
                AssertFailed(Sock.RecvN(fd, buf, 1000), Err.EBADF, "RecvN" + f);
                AssertFailed(Sock.RecvFrom(fd, buf, out _, 1000), Err.EBADF, "RecvFrom" + f);
                AssertFailed(Sock.Send(fd, buf, 1000), Err.EBADF, "Send" + f);
                AssertFailed(Sock.SendTo(fd, buf, ep, 1000), Err.EBADF, "SendTo" + f);
                AssertFailed((int)Sock.Accept(fd), Err.EBADF, "Accept" + f);
                AssertFailed(Sock.Connect(fd, ep, 1000), Err.EBADF, "Connect" + f);
                AssertFailed(Sock.Shutdown(fd), Err.EBADF, "Shutdown" + f);
                Sock.SetLastError(0);
                Assert.False(new IoEvent(fd, IoEventType.Read).Wait(1000));
                Assert.Equal(Err.EBADF, Sock.Error());
                AssertFailed(Sock.Close(fd), Err.EBADF, "second Close" + f);
            }
        });
    }

    [Fact]
    public async Task ClosedFd_AsyncCalls_FailWithEbadf()
    {
        await CoRun.Async(async () =>
        {
            nint listener = Loop.Listen(AddressFamily.InterNetworkV6, out IPEndPoint ep);
            nint fd = Sock.TcpSocket(AddressFamily.InterNetworkV6);
            Assert.Equal(0, Sock.Close(fd));
            Assert.Equal(0, Sock.Close(listener));
            var buf = new byte[8];
            AssertFailed(await Sock.RecvAsync(fd, buf, 1000), Err.EBADF, "RecvAsync");
            AssertFailed(await Sock.RecvNAsync(fd, buf, 1000), Err.EBADF, "RecvNAsync");
            AssertFailed(await Sock.SendAsync(fd, buf, 1000), Err.EBADF, "SendAsync");
            AssertFailed(await Sock.ConnectAsync(fd, ep, 1000), Err.EBADF, "ConnectAsync");
            AssertFailed((int)await Sock.AcceptAsync(listener), Err.EBADF, "AcceptAsync");
            Sock.SetLastError(0);
            Assert.False(await new IoEvent(fd, IoEventType.Write).WaitAsync(1000));
            Assert.Equal(Err.EBADF, Sock.Error());
        });
    }

    // ------------------------------------------------------------------------------------------------------------
    // a descriptor closed by another coroutine while one waits on it

    public enum WaitKind
    {
        RecvSync, RecvAsync, RecvNSync, RecvNAsync, RecvFromSync, AcceptSync, AcceptAsync,
        SendSync, SendAsync, IoEventReadSync, IoEventReadAsync, IoEventWriteSync,
    }

    public static TheoryData<WaitKind, bool> CloseWhileWaitingCases()
    {
        var data = new TheoryData<WaitKind, bool>();
        foreach (WaitKind k in Enum.GetValues<WaitKind>())
        {
            data.Add(k, true);
            data.Add(k, false);
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(CloseWhileWaitingCases))]
    public async Task CloseByAnotherCoroutine_WakesTheWaiter_WithEbadf(WaitKind kind, bool closerOnSameScheduler)
    {
        const int FillBuffer = 16 * 1024;
        SockPair? pair = null;
        nint target;          // the descriptor the waiter waits on and the closer closes
        nint listener = -1;
        nint udp = -1;
        bool targetClosed = false;
        switch (kind)
        {
            case WaitKind.AcceptSync:
            case WaitKind.AcceptAsync:
                target = listener = Loop.Listen(AddressFamily.InterNetwork, out _);
                break;
            case WaitKind.RecvFromSync:
                target = udp = Sock.UdpSocket();
                Assert.Equal(0, Sock.Bind(udp, Loop.Ep(AddressFamily.InterNetwork)));
                break;
            default:
                pair = await Loop.Pair(AddressFamily.InterNetwork, l => Sock.SetRecvBufferSize(l, FillBuffer), c => Sock.SetSendBufferSize(c, FillBuffer));
                target = kind is WaitKind.SendSync or WaitKind.SendAsync or WaitKind.IoEventWriteSync ? pair.Client : pair.Server;
                break;
        }

        try
        {
            var waiting = new Event(manualReset: true);
            int result = int.MinValue;
            int errno = -1;
            bool timedOut = true;
            byte[] big = new byte[8 << 20]; // more than loopback buffers hold: Send must wait
            var buf = new byte[64];

            void Sync(Func<int> call)
            {
                waiting.Signal();
                result = call();
                errno = Sock.Error();
                timedOut = Coroutine.TimedOut;
            }

            async Task Async(Func<ValueTask<int>> call)
            {
                waiting.Signal();
                result = await call();
                errno = Sock.Error();
                timedOut = Coroutine.TimedOut;
            }

            Scheduler waiterScheduler = CoRun.S(0);
            Task waiter = kind switch
            {
                WaitKind.RecvSync => CoRun.Sync(() => Sync(() => Sock.Recv(target, buf)), waiterScheduler),
                WaitKind.RecvAsync => CoRun.Async(() => Async(() => Sock.RecvAsync(target, buf)), waiterScheduler),
                WaitKind.RecvNSync => CoRun.Sync(() => Sync(() => Sock.RecvN(target, buf)), waiterScheduler),
                WaitKind.RecvNAsync => CoRun.Async(() => Async(() => Sock.RecvNAsync(target, buf)), waiterScheduler),
                WaitKind.RecvFromSync => CoRun.Sync(() => Sync(() => Sock.RecvFrom(target, buf, out _)), waiterScheduler),
                WaitKind.AcceptSync => CoRun.Sync(() => Sync(() => (int)Sock.Accept(target)), waiterScheduler),
                WaitKind.AcceptAsync => CoRun.Async(() => Async(async () => (int)await Sock.AcceptAsync(target)), waiterScheduler),
                WaitKind.SendSync => CoRun.Sync(() => Sync(() => Sock.Send(target, big)), waiterScheduler),
                WaitKind.SendAsync => CoRun.Async(() => Async(() => Sock.SendAsync(target, big)), waiterScheduler),
                WaitKind.IoEventReadSync => CoRun.Sync(() => Sync(() => new IoEvent(target, IoEventType.Read).Wait() ? 0 : -1), waiterScheduler),
                WaitKind.IoEventReadAsync => CoRun.Async(() => Async(async () => await new IoEvent(target, IoEventType.Read).WaitAsync() ? 0 : -1), waiterScheduler),
                WaitKind.IoEventWriteSync => CoRun.Sync(() => Sync(() =>
                {
                    // fill the send buffer with raw sends, then wait for writability; space freed as the
                    // peer's kernel takes data is a true edge, so fill again until the wait really blocks
                    var ev = new IoEvent(target, IoEventType.Write);
                    for (int i = 0; i < 10_000; i++)
                    {
                        if (Native.RawSend(target, big.AsSpan(0, 65536), out int e) < 0)
                        {
                            if (e == Err.EBADF && Volatile.Read(ref targetClosed))
                            {
                                // The close landed between a writability edge and the next send, not during a wait:
                                // the descriptor is gone all the same, as the wait would have said.
                                Sock.SetLastError(e);
                                return -1;
                            }

                            Assert.Equal(Err.EAGAIN, e);
                            if (!ev.Wait()) return -1;
                        }
                    }
                    throw new InvalidOperationException("the send buffer never stayed full");
                }), waiterScheduler),
                _ => throw new ArgumentOutOfRangeException(nameof(kind)),
            };

            Scheduler closerScheduler = closerOnSameScheduler ? CoRun.S(0) : CoRun.S(1);
            int closeResult = await CoRun.Sync(() =>
            {
                Assert.True(waiting.Wait(10_000));
                Coroutine.Sleep(100); // let the waiter get into its wait
                targetClosed = true;
                if (pair is not null)
                {
                    return target == pair.Client ? pair.CloseClient() : pair.CloseServer();
                }
                return Sock.Close(target);
            }, closerScheduler);
            Assert.Equal(0, closeResult);

            await CoRun.Bound(waiter, TimeSpan.FromSeconds(10), $"{kind} waiter after its socket was closed");
            Assert.Equal(-1, result);
            Assert.Equal(Err.EBADF, errno);
            Assert.False(timedOut);
        }
        finally
        {
            pair?.Dispose();
            // the listener or UDP socket was the target: closed by the closer unless the test failed before that
            if (!targetClosed && (listener >= 0 || udp >= 0)) Sock.Close(target);
        }
    }

    [Fact]
    public async Task CloseWhileWaiting_Repeated_NoLeak_AndTheReusedNumberWorks()
    {
        // Warm-up so lazily created runtime descriptors (pollers, pipes) exist before the baseline.
        using (SockPair warm = await Loop.Pair()) { }
        int baseline = Native.OpenFdCount();
        int reusedNumbers = 0;
        await CoRun.Async(async () =>
        {
            nint lastClosed = -1;
            for (int i = 0; i < 200; i++)
            {
                SockPair p = await CoRun.Sync(() => Loop.PairHere(AddressFamily.InterNetwork), CoRun.S(1));
                try
                {
                    if (p.Server == lastClosed || p.Client == lastClosed) reusedNumbers++;

                    // The (possibly reused) number works normally: data flows, a wait is woken by data.
                    var one = new byte[1];
                    Task<int> early = CoRun.Async(async () => await Sock.RecvAsync(p.Server, one, 10_000), CoRun.S(1));
                    await Coroutine.SleepAsync(1);
                    Assert.Equal(1, await Sock.SendAsync(p.Client, new byte[] { (byte)i }));
                    Assert.Equal(1, await early);
                    Assert.Equal((byte)i, one[0]);

                    // A waiter on the server end; another coroutine closes it.
                    var started = new Event(manualReset: true);
                    Task<int> waiter = CoRun.Async(async () =>
                    {
                        started.Signal();
                        int r = await Sock.RecvAsync(p.Server, new byte[4]);
                        return r == -1 ? Sock.Error() : 1000 + r;
                    }, CoRun.S(i % 2));
                    await started.WaitAsync();
                    await Coroutine.YieldAsync();
                    lastClosed = p.Server;
                    Assert.Equal(0, p.CloseServer());
                    Assert.Equal(Err.EBADF, await waiter);
                }
                finally
                {
                    p.Dispose();
                }
            }
        }, timeout: TimeSpan.FromSeconds(60));

        Assert.True(reusedNumbers > 0, "no descriptor number was ever reused, so the reuse path was not exercised");
        int after = Native.OpenFdCount();
        Assert.True(after <= baseline + 10, $"descriptors leaked: {baseline} open before 200 close-while-waiting rounds, {after} after");
    }

    // ------------------------------------------------------------------------------------------------------------
    // bad buffer slices

    public static TheoryData<int, int> BadSlices => new()
    {
        { -1, 1 }, { 0, -1 }, { -5, -5 }, { 0, 17 }, { 16, 1 }, { 17, 0 }, { 8, 9 }, { 1, int.MaxValue },
        { int.MaxValue, 1 }, { int.MaxValue, int.MaxValue }, { int.MinValue, 4 },
    };

    [Theory]
    [MemberData(nameof(BadSlices))]
    public async Task ArrayOverloads_BadOffsetOrCount_ThrowArgumentException_AndTouchNothing(int offset, int count)
    {
        using SockPair p = await Loop.Pair();
        await CoRun.Sync(() =>
        {
            byte[] pending = Pattern.Make(1, 40);
            Assert.Equal(40, Sock.Send(p.Client, pending));
            Coroutine.Sleep(20);

            var buf = new byte[16];
            Array.Fill(buf, (byte)0xAB);
            Assert.ThrowsAny<ArgumentException>(() => Sock.Recv(p.Server, buf, offset, count));
            Assert.ThrowsAny<ArgumentException>(() => Sock.Recv(p.Server, buf, offset, count, 0));
            Assert.ThrowsAny<ArgumentException>(() => Sock.RecvN(p.Server, buf, offset, count));
            Assert.ThrowsAny<ArgumentException>(() => Sock.RecvN(p.Server, buf, offset, count, 100));
            Assert.ThrowsAny<ArgumentException>(() => Sock.Send(p.Server, buf, offset, count));
            Assert.ThrowsAny<ArgumentException>(() => Sock.Send(p.Server, buf, offset, count, 100));
            Assert.All(buf, b => Assert.Equal(0xAB, b));

            // nothing was consumed from the receive queue, nothing was sent
            var got = new byte[40];
            Assert.Equal(40, Sock.RecvN(p.Server, got, 5000));
            Assert.Equal(pending, got);
            Assert.Equal(-1, Sock.Recv(p.Client, got, 30));
            Assert.Equal(Err.ETIMEDOUT, Sock.Error());
        });
    }

    [Fact]
    public async Task ArrayOverloads_NullBuffer_ThrowArgumentNull()
    {
        using SockPair p = await Loop.Pair();
        await CoRun.Sync(() =>
        {
            Assert.Throws<ArgumentNullException>(() => Sock.Recv(p.Server, null!, 0, 0));
            Assert.Throws<ArgumentNullException>(() => Sock.RecvN(p.Server, null!, 0, 1));
            Assert.Throws<ArgumentNullException>(() => Sock.Send(p.Server, null!, 0, 1));
            Assert.Throws<ArgumentNullException>(() => Sock.Connect(p.Client, null!));
            Assert.Throws<ArgumentNullException>(() => Sock.Bind(p.Client, null!));
        });
        await CoRun.Async(async () =>
            await Assert.ThrowsAsync<ArgumentNullException>(async () => await Sock.ConnectAsync(p.Client, null!)));
    }

    [Fact]
    public async Task ArrayOverloads_ValidSlice_UsesExactlyThatSlice()
    {
        using SockPair p = await Loop.Pair();
        await CoRun.Sync(() =>
        {
            byte[] src = Pattern.Make(5, 100);
            Assert.Equal(30, Sock.Send(p.Client, src, 70, 30));
            var dst = new byte[100];
            Array.Fill(dst, (byte)0xCD);
            Assert.Equal(30, Sock.RecvN(p.Server, dst, 50, 30, 5000));
            Assert.Equal(src.AsSpan(70, 30).ToArray(), dst.AsSpan(50, 30).ToArray());
            Assert.All(dst.AsSpan(0, 50).ToArray(), b => Assert.Equal(0xCD, b));
            Assert.All(dst.AsSpan(80).ToArray(), b => Assert.Equal(0xCD, b));

            Assert.Equal(10, Sock.Send(p.Client, src, 0, 10));
            int r = Sock.Recv(p.Server, dst, 95, 5, 5000);
            Assert.Equal(5, r);
            Assert.Equal(src.AsSpan(0, 5).ToArray(), dst.AsSpan(95, 5).ToArray());
        });
    }

    // ------------------------------------------------------------------------------------------------------------
    // UDP payload limit

    [Fact]
    public async Task Udp_PayloadOver65507_FailsWithEmsgsize_V4()
    {
        var (a, _, b, epB) = Loop.UdpPair(AddressFamily.InterNetwork);
        try
        {
            await CoRun.Sync(() =>
            {
                var buf = new byte[70_000];
                Assert.Equal(-1, Sock.SendTo(a, new byte[65_508], epB));
                Assert.Equal(Err.EMSGSIZE, Sock.Error());
                Assert.False(Coroutine.TimedOut);
                Assert.Equal(-1, Sock.SendTo(a, new byte[100_000], epB, 1000));
                Assert.Equal(Err.EMSGSIZE, Sock.Error());

                // nothing arrived; the limit itself is fine
                Assert.Equal(-1, Sock.RecvFrom(b, buf, out _, 30));
                Assert.Equal(Err.ETIMEDOUT, Sock.Error());
                Assert.Equal(65_507, Sock.SendTo(a, Pattern.Make(4, 65_507), epB));
                Assert.Equal(65_507, Sock.RecvFrom(b, buf, out _, 5000));
                Assert.Equal(-1, Pattern.FirstMismatch(buf.AsSpan(0, 65_507), 4, 0));

                // connected UDP socket, address-less SendTo
                Assert.Equal(0, Sock.Connect(a, epB));
                Assert.Equal(-1, Sock.SendTo(a, new byte[65_508], null));
                Assert.Equal(Err.EMSGSIZE, Sock.Error());
            });
        }
        finally
        {
            Sock.Close(a);
            Sock.Close(b);
        }
    }

    [Fact]
    public async Task Udp_PayloadOverIpv6Maximum_FailsWithEmsgsize_V6()
    {
        var (a, _, b, epB) = Loop.UdpPair(AddressFamily.InterNetworkV6);
        try
        {
            await CoRun.Sync(() =>
            {
                Assert.Equal(-1, Sock.SendTo(a, new byte[65_528], epB)); // 65535 - 8: the IPv6 maximum is 65527
                Assert.Equal(Err.EMSGSIZE, Sock.Error());
                Assert.Equal(-1, Sock.SendTo(a, new byte[200_000], epB));
                Assert.Equal(Err.EMSGSIZE, Sock.Error());
                Assert.Equal(65_507, Sock.SendTo(a, new byte[65_507], epB));
                Assert.Equal(65_507, Sock.RecvFrom(b, new byte[70_000], out _, 5000));
            });
        }
        finally
        {
            Sock.Close(a);
            Sock.Close(b);
        }
    }

    // ------------------------------------------------------------------------------------------------------------
    // refused connections

    public static TheoryData<AddressFamily, bool> FamiliesAndForms => SockTransferTests.FamiliesAndForms;

    [Theory]
    [MemberData(nameof(FamiliesAndForms))]
    public async Task Connect_ToClosedPort_FailsWithEconnrefused(AddressFamily family, bool async)
    {
        nint refusing = Loop.RefusingPort(family, out IPEndPoint ep);
        nint fd = Sock.TcpSocket(family);
        try
        {
            if (async)
            {
                await CoRun.Async(async () =>
                {
                    AssertFailed(await Sock.ConnectAsync(fd, ep, 5000), Err.ECONNREFUSED, "ConnectAsync");
                    Assert.False(Coroutine.TimedOut);
                    Assert.Contains("refused", Sock.StrError(), StringComparison.OrdinalIgnoreCase);
                });
            }
            else
            {
                await CoRun.Sync(() =>
                {
                    AssertFailed(Sock.Connect(fd, ep), Err.ECONNREFUSED, "Connect");
                    Assert.False(Coroutine.TimedOut);
                    Assert.Contains("refused", Sock.StrError(), StringComparison.OrdinalIgnoreCase);
                });
            }
        }
        finally
        {
            Sock.Close(fd);
            Sock.Close(refusing);
        }
    }

    // ------------------------------------------------------------------------------------------------------------
    // peer reset mid-stream

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task PeerResetMidStream_Receiver_GetsTheDataThenEconnresetOrZero(bool async)
    {
        using SockPair p = await Loop.Pair();
        const int sent = 100_000;
        await CoRun.Sync(() =>
        {
            Assert.Equal(sent, Sock.Send(p.Client, Pattern.Make(2, sent)));
            Assert.Equal(0, p.ResetClient());
        });

        long received = 0;
        int last = int.MinValue, lastErr = 0, mismatch = -1;
        async Task ReadAllAsync()
        {
            var buf = new byte[7000];
            for (int i = 0; i < 1000; i++)
            {
                int r = async ? await Sock.RecvAsync(p.Server, buf, 5000) : Sock.Recv(p.Server, buf, 5000);
                if (r <= 0) { last = r; lastErr = Sock.Error(); return; }
                int m = Pattern.FirstMismatch(buf.AsSpan(0, r), 2, received);
                if (m >= 0 && mismatch < 0) mismatch = (int)received + m;
                received += r;
            }
        }
        if (async) await CoRun.Async(ReadAllAsync); else await CoRun.Sync(() => ReadAllAsync().GetAwaiter().GetResult());

        Assert.True(last == 0 || (last == -1 && lastErr == Err.ECONNRESET), $"stream ended with r={last} errno={lastErr}");
        Assert.True(received <= sent);
        Assert.Equal(-1, mismatch);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task PeerResetMidStream_BlockedSender_FailsWithEpipeOrEconnreset(bool async)
    {
        using SockPair p = await Loop.Pair(AddressFamily.InterNetwork, l => Sock.SetRecvBufferSize(l, 16 * 1024), c => Sock.SetSendBufferSize(c, 16 * 1024));
        byte[] big = new byte[16 << 20];
        var started = new Event(manualReset: true);
        int result = int.MinValue, errno = 0;
        Task sender = async
            ? CoRun.Async(async () => { started.Signal(); result = await Sock.SendAsync(p.Client, big); errno = Sock.Error(); }, CoRun.S(0))
            : CoRun.Sync(() => { started.Signal(); result = Sock.Send(p.Client, big); errno = Sock.Error(); }, CoRun.S(0));
        await CoRun.Sync(() =>
        {
            Assert.True(started.Wait(10_000));
            var buf = new byte[4096];
            Assert.Equal(4096, Sock.RecvN(p.Server, buf, 5000)); // a little of the stream is read, then reset
            Coroutine.Sleep(50);
            Assert.Equal(0, p.ResetServer());
        }, CoRun.S(1));
        await CoRun.Bound(sender, TimeSpan.FromSeconds(10), "sender after the peer reset");
        Assert.Equal(-1, result);
        Assert.Contains(errno, new[] { Err.EPIPE, Err.ECONNRESET });
    }

    // ------------------------------------------------------------------------------------------------------------
    // timeouts 0, -1, positive, < -1

    [Fact]
    public async Task Timeouts_Sync_ZeroDoesNotWait_MinusOneWaits_SuccessClearsTimedOut()
    {
        using SockPair p = await Loop.Pair(AddressFamily.InterNetwork, l => Sock.SetRecvBufferSize(l, 8192), c => Sock.SetSendBufferSize(c, 8192));
        await CoRun.Sync(() =>
        {
            var buf = new byte[64];
            // 0 with no data: fails at once with ETIMEDOUT
            Assert.Equal(-1, Sock.Recv(p.Server, buf, 0));
            Assert.Equal(Err.ETIMEDOUT, Sock.Error());
            Assert.True(Coroutine.TimedOut);
            Assert.Equal(-1, Sock.RecvN(p.Server, buf, 0));
            Assert.Equal(Err.ETIMEDOUT, Sock.Error());
            Assert.Equal(-1, Sock.Recv(p.Server, buf, 30));
            Assert.Equal(Err.ETIMEDOUT, Sock.Error());
            Assert.True(Coroutine.TimedOut);

            // 0 with data: returns it, and the success clears TimedOut
            Assert.Equal(3, Sock.Send(p.Client, "abc"u8, 0));
            Assert.False(Coroutine.TimedOut);
            Assert.Equal(-1, Sock.Recv(p.Client, buf, 0));
            Assert.True(Coroutine.TimedOut);
            Coroutine.Sleep(20);
            Assert.Equal(3, Sock.Recv(p.Server, buf, 0));
            Assert.False(Coroutine.TimedOut);

            // -1 waits until data comes (sent 100 ms later by another coroutine)
            Assert.Equal(-1, Sock.Recv(p.Server, buf, 0));
            Assert.True(Coroutine.TimedOut);
            Coroutine.Go(() => { Coroutine.Sleep(100); Sock.Send(p.Client, "late"u8); });
            Assert.Equal(4, Sock.RecvN(p.Server, buf.AsSpan(0, 4), -1));
            Assert.False(Coroutine.TimedOut);

            // RecvN times out part way: -1, ETIMEDOUT
            Assert.Equal(2, Sock.Send(p.Client, "xy"u8));
            Assert.Equal(-1, Sock.RecvN(p.Server, buf.AsSpan(0, 10), 50));
            Assert.Equal(Err.ETIMEDOUT, Sock.Error());
            Assert.True(Coroutine.TimedOut);

            // Send with a full buffer: ms 0 and a positive timeout fail with ETIMEDOUT
            Assert.Equal(-1, Sock.Send(p.Client, new byte[8 << 20], 0));
            Assert.Equal(Err.ETIMEDOUT, Sock.Error());
            Assert.True(Coroutine.TimedOut);
            Assert.Equal(-1, Sock.Send(p.Client, new byte[8 << 20], 50));
            Assert.Equal(Err.ETIMEDOUT, Sock.Error());
            Assert.True(Coroutine.TimedOut);

            // an unrelated successful call clears it
            Assert.Equal(0, Sock.Send(p.Server, ReadOnlySpan<byte>.Empty));
            Assert.False(Coroutine.TimedOut);

            // IoEvent
            Assert.False(new IoEvent(p.Client, IoEventType.Read).Wait(0));
            Assert.Equal(Err.ETIMEDOUT, Sock.Error());
            Assert.True(Coroutine.TimedOut);
            Assert.True(new IoEvent(p.Server, IoEventType.Read).Wait(5000)); // the rest of the earlier data is there
            Assert.False(Coroutine.TimedOut);
        });
    }

    [Fact]
    public async Task Timeouts_Async_ZeroDoesNotWait_MinusOneWaits_SuccessClearsTimedOut()
    {
        using SockPair p = await Loop.Pair(AddressFamily.InterNetworkV6, l => Sock.SetRecvBufferSize(l, 8192), c => Sock.SetSendBufferSize(c, 8192));
        await CoRun.Async(async () =>
        {
            var buf = new byte[64];
            Assert.Equal(-1, await Sock.RecvAsync(p.Server, buf, 0));
            Assert.Equal(Err.ETIMEDOUT, Sock.Error());
            Assert.True(Coroutine.TimedOut);
            Assert.Equal(-1, await Sock.RecvNAsync(p.Server, buf, 30));
            Assert.Equal(Err.ETIMEDOUT, Sock.Error());
            Assert.True(Coroutine.TimedOut);

            Assert.Equal(3, await Sock.SendAsync(p.Client, "abc"u8.ToArray(), 0));
            Assert.False(Coroutine.TimedOut);
            await Coroutine.SleepAsync(20);
            Assert.Equal(3, await Sock.RecvAsync(p.Server, buf, 0));
            Assert.False(Coroutine.TimedOut);

            Assert.Equal(-1, await Sock.RecvAsync(p.Server, buf, 0));
            Coroutine.Go(async () => { await Coroutine.SleepAsync(100); await Sock.SendAsync(p.Client, "late"u8.ToArray()); });
            Assert.Equal(4, await Sock.RecvNAsync(p.Server, buf.AsMemory(0, 4), -1));
            Assert.False(Coroutine.TimedOut);

            Assert.Equal(-1, await Sock.SendAsync(p.Client, new byte[8 << 20], 0));
            Assert.Equal(Err.ETIMEDOUT, Sock.Error());
            Assert.True(Coroutine.TimedOut);
            Assert.Equal(-1, await Sock.SendAsync(p.Client, new byte[8 << 20], 50));
            Assert.Equal(Err.ETIMEDOUT, Sock.Error());
            Assert.True(Coroutine.TimedOut);

            Assert.False(await new IoEvent(p.Client, IoEventType.Read).WaitAsync(0));
            Assert.Equal(Err.ETIMEDOUT, Sock.Error());
            Assert.True(Coroutine.TimedOut);
            Assert.False(await new IoEvent(p.Client, IoEventType.Read).WaitAsync(30));
            Assert.Equal(Err.ETIMEDOUT, Sock.Error());
            Assert.True(await new IoEvent(p.Server, IoEventType.Read).WaitAsync(5000));
            Assert.False(Coroutine.TimedOut);
        });
    }

    [Fact]
    public async Task Timeouts_BelowMinusOne_ThrowArgumentOutOfRange()
    {
        using SockPair p = await Loop.Pair();
        IPEndPoint ep = Loop.Ep(AddressFamily.InterNetwork, 9);
        await CoRun.Sync(() =>
        {
            var buf = new byte[4];
            Assert.Throws<ArgumentOutOfRangeException>(() => Sock.Recv(p.Server, buf, -2));
            Assert.Throws<ArgumentOutOfRangeException>(() => Sock.Recv(p.Server, buf, 0, 4, -100));
            Assert.Throws<ArgumentOutOfRangeException>(() => Sock.RecvN(p.Server, buf, -2));
            Assert.Throws<ArgumentOutOfRangeException>(() => Sock.RecvFrom(p.Server, buf, out _, -2));
            Assert.Throws<ArgumentOutOfRangeException>(() => Sock.Send(p.Server, buf, -2));
            Assert.Throws<ArgumentOutOfRangeException>(() => Sock.SendTo(p.Server, buf, null, int.MinValue));
            Assert.Throws<ArgumentOutOfRangeException>(() => Sock.Connect(p.Client, ep, -2));
            Assert.Throws<ArgumentOutOfRangeException>(() => new IoEvent(p.Server, IoEventType.Read).Wait(-2));
        });
        await CoRun.Async(async () =>
        {
            var buf = new byte[4];
            await Assert.ThrowsAsync<ArgumentOutOfRangeException>(async () => await Sock.RecvAsync(p.Server, buf, -2));
            await Assert.ThrowsAsync<ArgumentOutOfRangeException>(async () => await Sock.RecvNAsync(p.Server, buf, -2));
            await Assert.ThrowsAsync<ArgumentOutOfRangeException>(async () => await Sock.SendAsync(p.Server, buf, -2));
            await Assert.ThrowsAsync<ArgumentOutOfRangeException>(async () => await Sock.ConnectAsync(p.Client, ep, -2));
            await Assert.ThrowsAsync<ArgumentOutOfRangeException>(async () => await new IoEvent(p.Server, IoEventType.Read).WaitAsync(-2));
        });
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Connect_Timeout_WhenTheListenBacklogIsFull_ThenASuccessClearsTimedOut(bool async)
    {
        // A listener that never accepts, with backlog 0: Linux drops SYNs once its accept queue is full, so a
        // further connect can only time out.
        nint full = Loop.Listen(AddressFamily.InterNetwork, out IPEndPoint fullEp, backlog: 0);
        nint open = Loop.Listen(AddressFamily.InterNetwork, out IPEndPoint openEp);
        var fds = new List<nint>();
        bool sawTimeout = false;
        try
        {
            Func<Task> body = async () =>
            {
                for (int i = 0; i < 8 && !sawTimeout; i++)
                {
                    nint fd = Sock.TcpSocket();
                    fds.Add(fd);
                    int r = async ? await Sock.ConnectAsync(fd, fullEp, 300) : Sock.Connect(fd, fullEp, 300);
                    if (r == -1)
                    {
                        Assert.Equal(Err.ETIMEDOUT, Sock.Error());
                        Assert.True(Coroutine.TimedOut);
                        sawTimeout = true;
                    }
                    else
                    {
                        Assert.Equal(0, r);
                        Assert.False(Coroutine.TimedOut);
                    }
                }
                Assert.True(sawTimeout, "no connect timed out although the backlog was full");

                // a later successful call of the same coroutine clears TimedOut
                nint again = Sock.TcpSocket();
                fds.Add(again);
                Assert.Equal(0, async ? await Sock.ConnectAsync(again, openEp, 5000) : Sock.Connect(again, openEp, 5000));
                Assert.False(Coroutine.TimedOut);
            };
            if (async) await CoRun.Async(body);
            else await CoRun.Sync(() => body().GetAwaiter().GetResult());
        }
        finally
        {
            foreach (nint fd in fds) Sock.Close(fd);
            Sock.Close(full);
            Sock.Close(open);
        }
    }

    // ------------------------------------------------------------------------------------------------------------
    // coroutine-only calls on plain threads

    private static void AssertHelpful(InvalidOperationException e)
    {
        Assert.Contains("coroutine", e.Message, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("Coroutine.Go", e.Message, StringComparison.Ordinal);
    }

    private static async Task AssertCoroutineOnlyCallsThrow(nint fd, nint listener, IPEndPoint ep)
    {
        var buf = new byte[8];
        AssertHelpful(Assert.Throws<InvalidOperationException>(() => Sock.Recv(fd, buf)));
        AssertHelpful(Assert.Throws<InvalidOperationException>(() => Sock.Recv(fd, buf, 0, 8, 10)));
        AssertHelpful(Assert.Throws<InvalidOperationException>(() => Sock.RecvN(fd, buf)));
        AssertHelpful(Assert.Throws<InvalidOperationException>(() => Sock.RecvN(fd, buf, 0, 8)));
        AssertHelpful(Assert.Throws<InvalidOperationException>(() => Sock.RecvFrom(fd, buf, out _)));
        AssertHelpful(Assert.Throws<InvalidOperationException>(() => Sock.Send(fd, buf)));
        AssertHelpful(Assert.Throws<InvalidOperationException>(() => Sock.Send(fd, buf, 0, 8)));
        AssertHelpful(Assert.Throws<InvalidOperationException>(() => Sock.SendTo(fd, buf, ep)));
        AssertHelpful(Assert.Throws<InvalidOperationException>(() => Sock.Accept(listener)));
        AssertHelpful(Assert.Throws<InvalidOperationException>(() => Sock.Accept(listener, out _)));
        AssertHelpful(Assert.Throws<InvalidOperationException>(() => Sock.Connect(fd, ep)));
        AssertHelpful(Assert.Throws<InvalidOperationException>(() => new IoEvent(fd, IoEventType.Read).Wait()));
        AssertHelpful(await Assert.ThrowsAsync<InvalidOperationException>(async () => await Sock.RecvAsync(fd, buf)));
        AssertHelpful(await Assert.ThrowsAsync<InvalidOperationException>(async () => await Sock.RecvNAsync(fd, buf)));
        AssertHelpful(await Assert.ThrowsAsync<InvalidOperationException>(async () => await Sock.SendAsync(fd, buf)));
        AssertHelpful(await Assert.ThrowsAsync<InvalidOperationException>(async () => await Sock.AcceptAsync(listener)));
        AssertHelpful(await Assert.ThrowsAsync<InvalidOperationException>(async () => await Sock.ConnectAsync(fd, ep)));
        AssertHelpful(await Assert.ThrowsAsync<InvalidOperationException>(async () => await new IoEvent(fd, IoEventType.Write).WaitAsync()));
    }

    [Fact]
    public async Task CoroutineOnlyCalls_OnPlainThreadAndThreadPool_ThrowClearInvalidOperation()
    {
        nint listener = Loop.Listen(AddressFamily.InterNetwork, out IPEndPoint ep);
        nint fd = Sock.TcpSocket();
        try
        {
            await CoRun.Thread(() => AssertCoroutineOnlyCallsThrow(fd, listener, ep).GetAwaiter().GetResult());
            await CoRun.Bound(Task.Run(() => AssertCoroutineOnlyCallsThrow(fd, listener, ep)), "thread-pool misuse checks");
            await AssertCoroutineOnlyCallsThrow(fd, listener, ep); // the test's own thread

            // the socket was not disturbed: it still connects, from a coroutine
            await CoRun.Sync(() => Assert.Equal(0, Sock.Connect(fd, ep, 5000)));

            // calls that never wait work anywhere
            await CoRun.Thread(() =>
            {
                nint s = Sock.UdpSocket();
                Assert.True(s >= 0);
                Assert.Equal(0, Sock.Bind(s, Loop.Ep(AddressFamily.InterNetwork)));
                Assert.NotNull(Sock.LocalEndPoint(s));
                Assert.Equal(0, Sock.GetSockOpt(s, Opt.SolSocket, Opt.SoRcvbuf, out int v));
                Assert.True(v > 0);
                Assert.Equal(0, Sock.Close(s, 1)); // a delayed close sleeps the thread
                Assert.NotEqual("", Sock.Peer(fd));
            });
        }
        finally
        {
            Sock.Close(fd);
            Sock.Close(listener);
        }
    }

    // ------------------------------------------------------------------------------------------------------------
    // other errno paths

    [Fact]
    public async Task OtherErrors_ReturnMinusOneWithTheKernelErrno()
    {
        nint listener = Loop.Listen(AddressFamily.InterNetwork, out IPEndPoint ep);
        nint other = Sock.TcpSocket();
        nint udp = Sock.UdpSocket();
        nint unconnected = Sock.TcpSocket();
        try
        {
            // bind to a port in use (no SO_REUSEADDR on this one, and the listener is listening)
            AssertFailed(Sock.Bind(other, ep), Err.EADDRINUSE, "Bind in use");
            AssertFailed(Sock.Listen(udp), Err.EOPNOTSUPP, "Listen on UDP");
            await CoRun.Sync(() =>
            {
                AssertFailed((int)Sock.Accept(unconnected), Err.EINVAL, "Accept on a non-listening socket");
                AssertFailed(Sock.Recv(unconnected, new byte[4], 100), Err.ENOTCONN, "Recv unconnected");
                AssertFailed(Sock.SendTo(udp, new byte[4], null), Err.EDESTADDRREQ, "SendTo(null) unconnected UDP");
                AssertFailed(Sock.Send(unconnected, new byte[4], 100), Err.EPIPE, "Send unconnected");
                Assert.False(Coroutine.TimedOut);
            });
            await CoRun.Async(async () =>
            {
                AssertFailed((int)await Sock.AcceptAsync(unconnected), Err.EINVAL, "AcceptAsync on a non-listening socket");
                AssertFailed(await Sock.RecvAsync(unconnected, new byte[4], 100), Err.ENOTCONN, "RecvAsync unconnected");
            });
        }
        finally
        {
            Sock.Close(listener);
            Sock.Close(other);
            Sock.Close(udp);
            Sock.Close(unconnected);
        }
    }

    [Fact]
    public void IoEvent_RejectsOtherEventTypes()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new IoEvent(0, (IoEventType)3));
        Assert.Throws<ArgumentOutOfRangeException>(() => new IoEvent(0, (IoEventType)0));
    }

    // ------------------------------------------------------------------------------------------------------------
    // cancellation of async waits

    [Fact]
    public async Task RecvAsync_Cancelled_ThrowsPromptly_AndTheSocketStaysUsable()
    {
        using SockPair p = await Loop.Pair();
        await CoRun.Async(async () =>
        {
            var buf = new byte[16];
            for (int round = 0; round < 3; round++)
            {
                using var cts = new CancellationTokenSource(50);
                var sw = Stopwatch.StartNew();
                await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await Sock.RecvAsync(p.Server, buf, -1, cts.Token));
                Assert.True(sw.ElapsedMilliseconds < 5000, $"cancellation took {sw.ElapsedMilliseconds} ms");

                // nothing was consumed or lost: data sent now arrives whole and in order
                byte[] msg = Pattern.Make(round, 16);
                Assert.Equal(16, await Sock.SendAsync(p.Client, msg));
                Assert.Equal(16, await Sock.RecvNAsync(p.Server, buf, 5000));
                Assert.Equal(msg, buf);
            }

            // a pre-cancelled token throws without touching the socket
            Assert.Equal(3, await Sock.SendAsync(p.Client, "abc"u8.ToArray()));
            await Coroutine.SleepAsync(20);
            using var cancelled = new CancellationTokenSource();
            cancelled.Cancel();
            await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await Sock.RecvAsync(p.Server, buf, -1, cancelled.Token));
            await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await Sock.RecvNAsync(p.Server, buf, -1, cancelled.Token));
            Assert.Equal(3, await Sock.RecvAsync(p.Server, buf, 1000));
            Assert.Equal("abc"u8.ToArray(), buf.AsSpan(0, 3).ToArray());

            // cancelling after the data arrived does not lose it either
            using var late = new CancellationTokenSource();
            Task<int> pending = Sock.RecvAsync(p.Server, buf, -1, late.Token).AsTask();
            Assert.Equal(2, await Sock.SendAsync(p.Client, "zz"u8.ToArray()));
            int got = await pending;
            late.Cancel();
            Assert.Equal(2, got);
        }, CoRun.S(0));
    }

    [Fact]
    public async Task RecvNAsync_CancelledPartWay_Throws_AndLaterDataStillArrives()
    {
        using SockPair p = await Loop.Pair();
        await CoRun.Async(async () =>
        {
            Assert.Equal(4, await Sock.SendAsync(p.Client, "abcd"u8.ToArray()));
            using var cts = new CancellationTokenSource(100);
            await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await Sock.RecvNAsync(p.Server, new byte[10], -1, cts.Token));
            // the socket still works: what is sent afterwards arrives in order
            Assert.Equal(3, await Sock.SendAsync(p.Client, "xyz"u8.ToArray()));
            var rest = new byte[64];
            int total = 0;
            for (int i = 0; i < 10 && total < 3; i++)
            {
                int r = await Sock.RecvAsync(p.Server, rest.AsMemory(total), 2000);
                Assert.True(r > 0);
                total += r;
            }
            // the 4 bytes read before the cancellation may or may not be reported again; what follows must be "xyz"
            Assert.EndsWith("xyz", System.Text.Encoding.ASCII.GetString(rest, 0, total));
        });
    }

    [Fact]
    public async Task AcceptAsync_And_IoEventWaitAsync_Cancelled_ThrowPromptly_AndStayUsable()
    {
        nint listener = Loop.Listen(AddressFamily.InterNetwork, out IPEndPoint ep);
        try
        {
            await CoRun.Async(async () =>
            {
                using (var cts = new CancellationTokenSource(50))
                {
                    await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await Sock.AcceptAsync(listener, cts.Token));
                }
                using (var cts = new CancellationTokenSource(50))
                {
                    await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await new IoEvent(listener, IoEventType.Read).WaitAsync(-1, cts.Token));
                }

                // still accepts
                nint c = Sock.TcpSocket();
                Assert.Equal(0, await Sock.ConnectAsync(c, ep, 5000));
                nint a = await Sock.AcceptAsync(listener);
                Assert.True(a >= 0);
                Assert.Equal(Sock.Peer(a), Sock.ToString(Sock.LocalEndPoint(c)!));
                Sock.Close(a);
                Sock.Close(c);
            });
        }
        finally
        {
            Sock.Close(listener);
        }
    }

    [Fact]
    public async Task SendAsync_CancelledWhileBlocked_Throws_AndTheStreamStaysConsistent()
    {
        using SockPair p = await Loop.Pair(AddressFamily.InterNetwork, l => Sock.SetRecvBufferSize(l, 8192), c => Sock.SetSendBufferSize(c, 8192));
        byte[] big = Pattern.Make(6, 4 << 20);
        await CoRun.Async(async () =>
        {
            using var cts = new CancellationTokenSource(100);
            var sw = Stopwatch.StartNew();
            await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await Sock.SendAsync(p.Client, big, -1, cts.Token));
            Assert.True(sw.ElapsedMilliseconds < 5000, $"cancellation took {sw.ElapsedMilliseconds} ms");

            // the reader drains everything: a prefix of big, then the trailer sent after the cancellation
            Task<(long Total, byte[] Tail, int Mismatch)> reader = CoRun.Async(async () =>
            {
                var buf = new byte[64 * 1024];
                long total = 0;
                var all = new MemoryStream();
                for (int i = 0; i < 100_000; i++)
                {
                    int r = await Sock.RecvAsync(p.Server, buf, 5000);
                    Assert.True(r >= 0, $"reader: {Sock.StrError()}");
                    if (r == 0) break;
                    all.Write(buf, 0, r);
                    total += r;
                }
                byte[] data = all.ToArray();
                int mismatch = data.Length >= 8 ? Pattern.FirstMismatch(data.AsSpan(0, data.Length - 8), 6, 0) : -2;
                return (total, data.AsSpan(Math.Max(0, data.Length - 8)).ToArray(), mismatch);
            }, CoRun.S(1));
            byte[] trailer = "TRAILER!"u8.ToArray();
            Assert.Equal(8, await Sock.SendAsync(p.Client, trailer, 10_000));
            Assert.Equal(0, Sock.Shutdown(p.Client, 'w'));
            var (total, tail, mismatch) = await reader;
            Assert.Equal(trailer, tail);
            Assert.Equal(-1, mismatch);
            Assert.True(total < big.Length + 8, "the cancelled send must not have sent everything");
        }, CoRun.S(0));
    }

    [Fact]
    public async Task ConnectAsync_CancelledWhileTheBacklogIsFull_Throws()
    {
        nint listener = Loop.Listen(AddressFamily.InterNetwork, out IPEndPoint ep, backlog: 0);
        var fds = new List<nint>();
        try
        {
            await CoRun.Async(async () =>
            {
                bool cancelled = false;
                for (int i = 0; i < 8 && !cancelled; i++)
                {
                    nint fd = Sock.TcpSocket();
                    fds.Add(fd);
                    using var cts = new CancellationTokenSource(300);
                    try
                    {
                        Assert.Equal(0, await Sock.ConnectAsync(fd, ep, -1, cts.Token));
                    }
                    catch (OperationCanceledException)
                    {
                        cancelled = true;
                    }
                }
                Assert.True(cancelled, "no connect was pending long enough to be cancelled");
            });
        }
        finally
        {
            foreach (nint fd in fds) Sock.Close(fd);
            Sock.Close(listener);
        }
    }
}
