using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Co.TestHost;
using Co.Testing;
using Xunit;

namespace Co.Tests.Sockets;

/// <summary>
/// Faults that need another process: a peer process SIGKILLed in the middle of a transfer (Co.TestHost
/// `peer-killed`), and running out of descriptors under a lowered RLIMIT_NOFILE (`descriptor-limit`, which lowers the
/// limit in its own process).
/// </summary>
[Trait(AdversarialSuite.Trait, AdversarialSuite.Name)]
public class SockPeerProcessTests
{
    /// <summary>
    /// The peer sends without end and is SIGKILLed while it is blocked in a send (the receiver here stops reading after
    /// the first MiB, so the peer's buffers fill). The waits here end in bounded time: the receiver gets a correct
    /// prefix of the stream, at least every byte the peer's kernel took before it died, then the end of the stream; a
    /// coroutine blocked sending to the peer (which never read) fails with EPIPE or ECONNRESET, and then the receiver
    /// may end with ECONNRESET instead (the peer's close with unread data is a reset).
    /// </summary>
    [Theory]
    [InlineData(false, false)]
    [InlineData(true, false)]
    [InlineData(false, true)]
    [InlineData(true, true)]
    public async Task PeerProcessKilledMidTransfer_EndsEveryWait_WithAnIntactPrefix(bool async, bool alsoSending)
    {
        nint listener = Loop.Listen(AddressFamily.InterNetwork, out IPEndPoint endPoint);
        long received = 0;
        long firstMismatch = -1;
        int end = int.MinValue, endErrno = 0, sendEnd = int.MinValue, sendErrno = 0;
        var paused = new TaskCompletionSource();
        Task server = CoRun.Async(async () =>
        {
            nint fd = async ? await Sock.AcceptAsync(listener) : Sock.Accept(listener);
            Assert.True(fd >= 0, $"accept: {Sock.StrError()}");
            if (alsoSending)
            {
                Coroutine.Go(async () =>
                {
                    var junk = new byte[64 * 1024];
                    int r;
                    while ((r = async ? await Sock.SendAsync(fd, junk, 20_000) : Sock.Send(fd, junk, 20_000)) == junk.Length) { }
                    (sendEnd, sendErrno) = (r, Sock.Error());
                });
            }

            var buffer = new byte[32 * 1024];
            while (true)
            {
                int r = async ? await Sock.RecvAsync(fd, buffer, 20_000) : Sock.Recv(fd, buffer, 20_000);
                if (r <= 0)
                {
                    (end, endErrno) = (r, Sock.Error());
                    break;
                }

                for (int i = 0; i < r && firstMismatch < 0; i++)
                {
                    if (buffer[i] != PeerKilledScenario.PatternAt(received + i))
                    {
                        firstMismatch = received + i;
                    }
                }

                received += r;
                if (received >= 1 << 20 && !paused.Task.IsCompleted)
                {
                    paused.SetResult();
                    await Coroutine.SleepAsync(1_500); // the peer blocks in send and is killed meanwhile
                }
            }

            while (alsoSending && Volatile.Read(ref sendEnd) == int.MinValue)
            {
                await Coroutine.SleepAsync(10);
            }

            Sock.Close(fd);
        }, timeout: TimeSpan.FromSeconds(60));

        HostResult peer;
        try
        {
            peer = await TestHost.RunAsync(PeerKilledScenario.PeerKilled, null, 60_000,
                "127.0.0.1", endPoint.Port.ToString(CultureInfo.InvariantCulture), "800");
            await server;
        }
        finally
        {
            Sock.Close(listener);
        }

        Assert.False(peer.TimedOut, peer.Describe());
        Assert.True(peer.ExitCode is 137 or -9, $"the peer was to die of SIGKILL: {peer.Describe()}");
        long peerSent = peer.LinesStartingWith("PROGRESS sent=").Select(line => long.Parse(line["PROGRESS sent=".Length..], CultureInfo.InvariantCulture)).DefaultIfEmpty(0).Max();
        Assert.True(paused.Task.IsCompleted, $"the peer died before the receiver had 1 MiB ({received} bytes)");
        Assert.Equal(-1, firstMismatch);
        if (alsoSending)
        {
            Assert.True(sendEnd == -1 && sendErrno is Err.EPIPE or Err.ECONNRESET, $"the blocked sender ended with {sendEnd}, errno {sendErrno}");
            Assert.True(end == 0 || (end == -1 && endErrno == Err.ECONNRESET), $"the receiver ended with {end}, errno {endErrno}");
        }
        else
        {
            Assert.Equal(0, end); // the peer only sent: its kernel closes the stream with a FIN after the data
            Assert.True(received >= peerSent, $"received {received} bytes, the peer's kernel had taken {peerSent}");
        }
    }

    /// <summary>
    /// Out of descriptors: socket creation and accept (sync and async) fail with EMFILE instead of waiting or crashing,
    /// the connection the kernel had queued is not lost — it is accepted, with its bytes, once a descriptor is free —
    /// and sockets can be made again afterwards. In a child process, whose RLIMIT_NOFILE it lowers.
    /// </summary>
    [Fact]
    public async Task OutOfDescriptors_SocketAndAcceptFailWithEmfile_NothingIsLost_AndItRecovers()
    {
        HostResult r = await TestHost.RunAsync(DescriptorLimitScenario.DescriptorLimit, null, 60_000);
        r.AssertSuccess();
        Assert.Equal("24", r.Result("socket_error"));
        Assert.Equal("EMFILE", r.Result("accept_error"));
        Assert.Equal("EMFILE", r.Result("accept_async_error"));
        Assert.Equal("31", r.Result("recovered_bytes"));
        Assert.Equal("31", r.Result("recovered_async_bytes"));
        Assert.Equal("ok", r.Result("after"));
    }
}
