using System.Net.Sockets;
using Xunit;

namespace Co.Tests.Sockets;

/// <summary>IoEvent coroutineizing raw non-blocking calls (libc recv/send called by the test itself), as in the
/// seed's example: try the call, and on EAGAIN wait for the event and try again.</summary>
public class IoEventTests
{
    /// <summary>co::recv written on top of IoEvent, exactly as the seed's example, with the test's own raw recv.</summary>
    private static int CoRecv(nint fd, Span<byte> buffer, int ms, ref int waits)
    {
        var ev = new IoEvent(fd, IoEventType.Read);
        for (int i = 0; i < 100_000; i++)
        {
            int r = Native.RawRecv(fd, buffer, out int errno);
            if (r != -1) return r;
            if (errno == Err.EAGAIN)
            {
                waits++;
                if (!ev.Wait(ms)) return -1;
            }
            else if (errno != Err.EINTR)
            {
                Sock.SetLastError(errno);
                return -1;
            }
        }
        throw new InvalidOperationException("CoRecv looped 100000 times");
    }

    private static async ValueTask<(int Result, int Waits)> CoRecvAsync(nint fd, Memory<byte> buffer, int ms)
    {
        var ev = new IoEvent(fd, IoEventType.Read);
        int waits = 0;
        for (int i = 0; i < 100_000; i++)
        {
            int r = Native.RawRecv(fd, buffer.Span, out int errno);
            if (r != -1) return (r, waits);
            if (errno == Err.EAGAIN)
            {
                waits++;
                if (!await ev.WaitAsync(ms)) return (-1, waits);
            }
            else if (errno != Err.EINTR)
            {
                Sock.SetLastError(errno);
                return (-1, waits);
            }
        }
        throw new InvalidOperationException("CoRecvAsync looped 100000 times");
    }

    [Theory]
    [InlineData(AddressFamily.InterNetwork)]
    [InlineData(AddressFamily.InterNetworkV6)]
    public async Task Sync_IoEventRead_CoroutineizesRawRecv(AddressFamily family)
    {
        using SockPair p = await Loop.Pair(family);
        var firstTryFailed = new Event(manualReset: true);
        const int total = 1 << 20;
        Task reader = CoRun.Sync(() =>
        {
            var buf = new byte[8192];
            // the first raw call finds nothing: EAGAIN, then the event is what wakes us
            Assert.Equal(-1, Native.RawRecv(p.Server, buf, out int errno));
            Assert.Equal(Err.EAGAIN, errno);
            firstTryFailed.Signal();
            Assert.True(new IoEvent(p.Server, IoEventType.Read).Wait(10_000));
            Assert.False(Coroutine.TimedOut);

            long got = 0;
            int waits = 0;
            for (int i = 0; i < 100_000 && got < total; i++)
            {
                int r = CoRecv(p.Server, buf, 10_000, ref waits);
                Assert.True(r > 0, $"CoRecv returned {r}, errno {Sock.Error()}");
                Assert.Equal(-1, Pattern.FirstMismatch(buf.AsSpan(0, r), 11, got));
                got += r;
            }
            Assert.Equal(total, got);

            // end of stream through the same path
            Assert.Equal(0, CoRecv(p.Server, buf, 10_000, ref waits));
        }, CoRun.S(0));

        await CoRun.Sync(() =>
        {
            Assert.True(firstTryFailed.Wait(10_000));
            byte[] data = Pattern.Make(11, total);
            for (int pos = 0; pos < total; pos += 32 * 1024)
            {
                Assert.Equal(32 * 1024, Sock.Send(p.Client, data.AsSpan(pos, 32 * 1024)));
                if (pos % (256 * 1024) == 0) Coroutine.Sleep(2);
            }
            Assert.Equal(0, Sock.Shutdown(p.Client, 'w'));
        }, CoRun.S(1));
        await reader;
    }

    /// <summary>
    /// A socket that is ready already — writable from the start, with nothing written yet, as libpq's connect asks —
    /// is reported at once by every wait, sync and async, not only by the first (the poller's edge is spent by then).
    /// </summary>
    [Fact]
    public async Task IoEvent_OnASocketReadyAlready_ReturnsAtOnce_EveryTime()
    {
        using SockPair p = await Loop.Pair();
        (bool Sync1, bool Sync2, bool Async1, bool Async2) results = await CoRun.Async(async () =>
        {
            var writable = new IoEvent(p.Client, IoEventType.Write);
            bool sync1 = writable.Wait(2_000);
            bool sync2 = writable.Wait(2_000);
            bool async1 = await writable.WaitAsync(2_000);
            bool async2 = await writable.WaitAsync(2_000);
            return (sync1, sync2, async1, async2);
        });
        Assert.Equal((true, true, true, true), results);
    }

    [Fact]
    public async Task Async_IoEventRead_CoroutineizesRawRecv()
    {
        using SockPair p = await Loop.Pair();
        var firstTryFailed = new Event(manualReset: true);
        const int total = 1 << 20;
        Task reader = CoRun.Async(async () =>
        {
            var buf = new byte[8192];
            Assert.Equal(-1, Native.RawRecv(p.Server, buf, out int errno));
            Assert.Equal(Err.EAGAIN, errno);
            firstTryFailed.Signal();
            Assert.True(await new IoEvent(p.Server, IoEventType.Read).WaitAsync(10_000));

            long got = 0;
            int waits = 0;
            for (int i = 0; i < 100_000 && got < total; i++)
            {
                var (r, w) = await CoRecvAsync(p.Server, buf, 10_000);
                waits += w;
                Assert.True(r > 0, $"CoRecvAsync returned {r}, errno {Sock.Error()}");
                Assert.Equal(-1, Pattern.FirstMismatch(buf.AsSpan(0, r), 12, got));
                got += r;
            }
            Assert.Equal(total, got);
            Assert.Equal(0, (await CoRecvAsync(p.Server, buf, 10_000)).Result);
        }, CoRun.S(1));

        await CoRun.Async(async () =>
        {
            await firstTryFailed.WaitAsync();
            byte[] data = Pattern.Make(12, total);
            for (int pos = 0; pos < total; pos += 16 * 1024)
            {
                Assert.Equal(16 * 1024, await Sock.SendAsync(p.Client, data.AsMemory(pos, 16 * 1024)));
                if (pos % (256 * 1024) == 0) await Coroutine.SleepAsync(2);
            }
            Assert.Equal(0, Sock.Shutdown(p.Client, 'w'));
        }, CoRun.S(0));
        await reader;
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task IoEventWrite_CoroutineizesRawSend_UntilTheReaderDrains(bool async)
    {
        using SockPair p = await Loop.Pair(AddressFamily.InterNetwork, l => Sock.SetRecvBufferSize(l, 16 * 1024), c => Sock.SetSendBufferSize(c, 16 * 1024));
        const int total = 2 << 20;
        byte[] data = Pattern.Make(13, total);
        int writeWaits = 0;

        // co::send on top of IoEvent(Write), with the test's raw send
        async Task WriterAsync()
        {
            var ev = new IoEvent(p.Client, IoEventType.Write);
            int pos = 0;
            for (int i = 0; i < 1_000_000 && pos < total; i++)
            {
                int r = Native.RawSend(p.Client, data.AsSpan(pos), out int errno);
                if (r >= 0) { pos += r; continue; }
                Assert.Equal(Err.EAGAIN, errno);
                writeWaits++;
                bool ready = async ? await ev.WaitAsync(10_000) : ev.Wait(10_000);
                Assert.True(ready, $"write wait failed: {Sock.StrError()}");
            }
            Assert.Equal(total, pos);
            Assert.Equal(0, Sock.Shutdown(p.Client, 'w'));
        }

        Task writer = async ? CoRun.Async(WriterAsync, CoRun.S(0)) : CoRun.Sync(() => WriterAsync().GetAwaiter().GetResult(), CoRun.S(0));
        await CoRun.Sync(() =>
        {
            Coroutine.Sleep(100); // the writer fills the buffers and must wait
            var buf = new byte[4096];
            long got = 0;
            for (int i = 0; i < 100_000; i++)
            {
                int r = Sock.Recv(p.Server, buf, 10_000);
                Assert.True(r >= 0, $"Recv: {Sock.StrError()}");
                if (r == 0) break;
                Assert.Equal(-1, Pattern.FirstMismatch(buf.AsSpan(0, r), 13, got));
                got += r;
            }
            Assert.Equal(total, got);
        }, CoRun.S(1));
        await writer;
        Assert.True(writeWaits > 0, "the writer never waited for writability");
    }

    [Fact]
    public async Task IoEventWait_Timeout_SetsEtimedout_AndALaterSuccessClearsIt()
    {
        using SockPair p = await Loop.Pair();
        await CoRun.Sync(() =>
        {
            var ev = new IoEvent(p.Server, IoEventType.Read);
            Assert.False(ev.Wait(30));
            Assert.Equal(Err.ETIMEDOUT, Sock.Error());
            Assert.True(Coroutine.TimedOut);
            Assert.Contains("timed out", Sock.StrError(), StringComparison.OrdinalIgnoreCase);
            Assert.False(ev.Wait(0));
            Assert.Equal(Err.ETIMEDOUT, Sock.Error());

            Coroutine.Go(() => { Coroutine.Sleep(50); Sock.Send(p.Client, "x"u8); });
            Assert.True(ev.Wait(-1));
            Assert.False(Coroutine.TimedOut);
            Assert.Equal(1, Native.RawRecv(p.Server, new byte[4], out _));

            // the same event object waits again
            Assert.False(ev.Wait(20));
            Assert.True(Coroutine.TimedOut);
        });
        await CoRun.Async(async () =>
        {
            var ev = new IoEvent(p.Client, IoEventType.Read);
            Assert.False(await ev.WaitAsync(30));
            Assert.Equal(Err.ETIMEDOUT, Sock.Error());
            Assert.True(Coroutine.TimedOut);
            Coroutine.Go(() => { Coroutine.Sleep(50); Sock.Send(p.Server, "y"u8); });
            Assert.True(await ev.WaitAsync());
            Assert.False(Coroutine.TimedOut);
            Assert.Equal(1, Native.RawRecv(p.Client, new byte[4], out _));
        });
    }
}
