using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using Xunit;

namespace Co.Tests.Sockets;

/// <summary>
/// A socket closed past Sock.Close (a raw close, a library's own close on a plain thread) leaves the runtime's record
/// of its poller registration behind, while the kernel drops the registration itself. A new socket that gets the same
/// number must still be waited on correctly: socket() and accept() forget such stale records.
/// </summary>
public partial class SockStaleDescriptorTests
{
    [Fact]
    public async Task NewSocketWithTheNumberOfOneClosedPastSockClose_IsWaitedOnCorrectly()
    {
        bool sameNumberSeen = false;
        for (int attempt = 0; attempt < 5 && !sameNumberSeen; attempt++)
        {
            nint first = Sock.TcpSocket();
            Assert.True(first >= 0);
            Assert.Equal(0, Sock.Bind(first, new IPEndPoint(IPAddress.Loopback, 0)));
            Assert.Equal(0, Sock.Listen(first)); // an idle listener: not readable (an unconnected socket reports a hang-up)
            bool firstWaitTimedOut = await CoRun.Sync(() => !new IoEvent(first, IoEventType.Read).Wait(30)); // registers it
            Assert.True(firstWaitTimedOut);
            Assert.Equal(0, CloseNative((int)first)); // past Sock.Close: the runtime is not told

            nint second = Sock.TcpSocket();
            Assert.True(second >= 0);
            try
            {
                if (second != first)
                {
                    continue; // another test took the number meanwhile: try again
                }

                sameNumberSeen = true;
                Assert.Equal(0, Sock.Bind(second, new IPEndPoint(IPAddress.Loopback, 0)));
                Assert.Equal(0, Sock.Listen(second));
                using var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
                await client.ConnectAsync(Sock.LocalEndPoint(second)!);
                bool ready = await CoRun.Sync(() => new IoEvent(second, IoEventType.Read).Wait(5_000));
                Assert.True(ready, "a pending connection on the new socket was never reported: it waited on the old socket's registration");
            }
            finally
            {
                Sock.Close(second);
            }
        }

        Assert.True(sameNumberSeen, "the new socket never got the closed socket's number in 5 attempts");
    }

    /// <summary>
    /// A coroutine that starts waiting on a socket while another closes it must not sleep for good. The close forgets
    /// the runtime's record and then closes the number; a waiter that registered the number afresh in between would
    /// be dropped by the kernel along with the closed socket and never woken. Here the close is held open for 200 ms
    /// after the forget while the waiter starts: it must still finish, with an error. The close is a dup2 of /dev/null
    /// over the number, which closes the socket and keeps the number taken, so no socket of another test running in
    /// parallel can get it meanwhile (the waiter's receive then fails on /dev/null instead of waiting on a stranger).
    /// </summary>
    [Fact]
    public async Task AWaitStartedWhileTheSocketIsBeingClosed_EndsWithAnError()
    {
        using SockPair p = await Loop.Pair();
        nint server = p.Server;
        int devNull = OpenNative("/dev/null", 0);
        Assert.True(devNull >= 0, "open /dev/null failed");
        Task<int>? waiter = null;
        try
        {
            int closeResult = await CoRun.Sync(() => Net.PollDescriptorTable.Instance.ForgetAndClose((int)server, fd =>
            {
                waiter = CoRun.Async(async () => await Sock.RecvAsync(server, new byte[4]), CoRun.S(1));
                System.Threading.Thread.Sleep(200); // the waiter starts (and would register) while the socket is still open
                return Dup2Native(devNull, fd) == fd ? 0 : -1;
            }, out _), CoRun.S(0));
            p.ForgetServer();

            Assert.Equal(0, closeResult);
            Assert.NotNull(waiter);
            await CoRun.Bound(waiter, TimeSpan.FromSeconds(10), "a wait started while its socket was being closed");
            Assert.Equal(-1, await waiter);
        }
        finally
        {
            CloseNative((int)server); // the /dev/null copy now under the number
            CloseNative(devNull);
        }
    }

    [LibraryImport("libc", EntryPoint = "open", StringMarshalling = StringMarshalling.Utf8)]
    private static partial int OpenNative(string path, int flags);

    [LibraryImport("libc", EntryPoint = "dup2")]
    private static partial int Dup2Native(int from, int to);

    [LibraryImport("libc", EntryPoint = "close")]
    private static partial int CloseNative(int fd);
}
