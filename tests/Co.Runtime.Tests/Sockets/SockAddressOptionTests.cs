using System.Net;
using System.Net.Sockets;
using Xunit;

namespace Co.Tests.Sockets;

/// <summary>Addresses (InitIpAddr, IpStr, ToString, Peer, LocalEndPoint), options, socket creation, errors
/// (Error, SetLastError, StrError).</summary>
public class SockAddressOptionTests
{
    [Fact]
    public void InitIpAddr_IpStr_ToString_V4()
    {
        Assert.True(Sock.InitIpAddr("127.0.0.1", 7777, out IPEndPoint? a));
        Assert.Equal(AddressFamily.InterNetwork, a!.AddressFamily);
        Assert.Equal(7777, a!.Port);
        Assert.Equal(IPAddress.Loopback, a!.Address);
        Assert.Equal("127.0.0.1", Sock.IpStr(a!));
        Assert.Equal("127.0.0.1:7777", Sock.ToString(a!));

        Assert.True(Sock.InitIpAddr("0.0.0.0", 0, out IPEndPoint? any));
        Assert.Equal("0.0.0.0:0", Sock.ToString(any!));
        Assert.True(Sock.InitIpAddr("255.255.255.255", 65535, out IPEndPoint? max));
        Assert.Equal("255.255.255.255:65535", Sock.ToString(max!));
    }

    [Fact]
    public void InitIpAddr_IpStr_ToString_V6()
    {
        Assert.True(Sock.InitIpAddr("::1", 7777, out IPEndPoint? a));
        Assert.Equal(AddressFamily.InterNetworkV6, a!.AddressFamily);
        Assert.Equal(IPAddress.IPv6Loopback, a!.Address);
        Assert.Equal("::1", Sock.IpStr(a!));
        Assert.Equal("[::1]:7777", Sock.ToString(a!));

        Assert.True(Sock.InitIpAddr("::", 7777, out IPEndPoint? any)); // the seed's example
        Assert.Equal("::", Sock.IpStr(any!));
        Assert.Equal("[::]:7777", Sock.ToString(any!));

        Assert.True(Sock.InitIpAddr("fe80::1:2", 80, out IPEndPoint? ll));
        Assert.Equal("fe80::1:2", Sock.IpStr(ll!));
        Assert.True(Sock.InitIpAddr("::ffff:1.2.3.4", 1, out IPEndPoint? mapped));
        Assert.Equal("[::ffff:1.2.3.4]:1", Sock.ToString(mapped!));
    }

    [Theory]
    [InlineData("", 80)]
    [InlineData("not-an-ip", 80)]
    [InlineData("256.1.1.1", 80)]
    [InlineData("1.2.3.4.5", 80)]
    [InlineData("::g", 80)]
    [InlineData("127.0.0.1:80", 80)]
    [InlineData(" 127.0.0.1", 80)]
    [InlineData("127.0.0.1", -1)]
    [InlineData("127.0.0.1", 65536)]
    [InlineData("::1", 70000)]
    public void InitIpAddr_RejectsBadIpOrPort(string ip, int port)
    {
        Assert.False(Sock.InitIpAddr(ip, port, out _));
    }

    /// <summary>co's init_ip_addr is inet_pton: only the dotted-quad form for IPv4 and the plain text form for IPv6.
    /// Shorthand, hex and octal forms that IPAddress.TryParse accepts ("127.1", "1.2.3", "0x7f000001", "1",
    /// "0x7f.0.0.1", "010.0.0.1" which .NET reads as 8.0.0.1) and a bracketed IPv6 address with a port
    /// ("[::1]:80", whose port would be silently dropped) are not addresses there.</summary>
    [Theory]
    [InlineData("1.2.3")]
    [InlineData("127.1")]
    [InlineData("0x7f000001")]
    [InlineData("1")]
    [InlineData("[::1]:80")]
    [InlineData("0x7f.0.0.1")]
    [InlineData("010.0.0.1")]
    public void InitIpAddr_RejectsWhatInetPtonRejects(string ip)
    {
        bool ok = Sock.InitIpAddr(ip, 7777, out IPEndPoint? address);
        Assert.False(ok, $"InitIpAddr(\"{ip}\") accepted it as {(ok ? Sock.ToString(address!) : "")}; inet_pton rejects it");
    }

    [Fact]
    public void IpStr_ToString_NullAddress_Throws()
    {
        Assert.Throws<ArgumentNullException>(() => Sock.IpStr(null!));
        Assert.Throws<ArgumentNullException>(() => Sock.ToString((IPEndPoint)null!));
        Assert.False(Sock.InitIpAddr(null!, 1, out _));
    }

    [Fact]
    public async Task Peer_And_LocalEndPoint_V4_V6()
    {
        foreach (AddressFamily family in new[] { AddressFamily.InterNetwork, AddressFamily.InterNetworkV6 })
        {
            using SockPair p = await Loop.Pair(family);
            IPEndPoint client = Sock.LocalEndPoint(p.Client)!;
            IPEndPoint server = Sock.LocalEndPoint(p.Server)!;
            Assert.Equal(Loop.Ip(family), client.Address);
            Assert.Equal(Loop.Ip(family), server.Address);
            Assert.NotEqual(0, client.Port);
            Assert.Equal(Sock.ToString(server), Sock.Peer(p.Client));
            Assert.Equal(Sock.ToString(client), Sock.Peer(p.Server));
            string expected = family == AddressFamily.InterNetwork
                ? $"127.0.0.1:{server.Port}"
                : $"[::1]:{server.Port}";
            Assert.Equal(expected, Sock.Peer(p.Client));
        }
    }

    [Fact]
    public void Peer_And_LocalEndPoint_Errors()
    {
        nint fd = Sock.TcpSocket();
        try
        {
            Assert.Equal("", Sock.Peer(fd)); // not connected
            Assert.Equal(Err.ENOTCONN, Sock.Error());
            Assert.Equal(0, Sock.Bind(fd, Loop.Ep(AddressFamily.InterNetwork)));
            IPEndPoint? local = Sock.LocalEndPoint(fd);
            Assert.NotNull(local);
            Assert.Equal(IPAddress.Loopback, local!.Address);
            Assert.InRange(local.Port, 1, 65535);
        }
        finally
        {
            Sock.Close(fd);
        }

        Assert.Equal("", Sock.Peer(-1));
        Assert.Equal(Err.EBADF, Sock.Error());
        Sock.SetLastError(0);
        Assert.Null(Sock.LocalEndPoint(-1));
        Assert.Equal(Err.EBADF, Sock.Error());
    }

    [Fact]
    public void CreatedSockets_AreNonBlocking_AndCloseOnExec()
    {
        var fds = new List<nint>
        {
            Sock.TcpSocket(),
            Sock.TcpSocket(AddressFamily.InterNetworkV6),
            Sock.UdpSocket(),
            Sock.UdpSocket(AddressFamily.InterNetworkV6),
            Sock.Socket(2, 1, 0),  // AF_INET, SOCK_STREAM
            Sock.Socket(10, 2, 0), // AF_INET6, SOCK_DGRAM
        };
        try
        {
            foreach (nint fd in fds)
            {
                Assert.True(fd >= 0, $"socket creation failed: {Sock.StrError()}");
                Assert.True(Native.IsNonBlocking(fd), $"fd {fd} is blocking");
                Assert.True(Native.IsCloseOnExec(fd), $"fd {fd} is not close-on-exec");
            }
        }
        finally
        {
            foreach (nint fd in fds) if (fd >= 0) Sock.Close(fd);
        }
    }

    [Fact]
    public void SetNonblock_MakesABlockingSocketNonBlocking()
    {
        int fd = Native.Socket(2, 1, 0); // plain blocking socket from libc
        Assert.True(fd >= 0);
        try
        {
            Assert.False(Native.IsNonBlocking(fd));
            Sock.SetNonblock(fd);
            Assert.True(Native.IsNonBlocking(fd));
        }
        finally
        {
            Sock.Close(fd);
        }

        Sock.SetLastError(0);
        Sock.SetNonblock(-1);
        Assert.Equal(Err.EBADF, Sock.Error());
    }

    [Fact]
    public void Socket_BadArguments()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => Sock.TcpSocket(AddressFamily.Unix));
        Assert.Throws<ArgumentOutOfRangeException>(() => Sock.UdpSocket(AddressFamily.AppleTalk));
        Assert.Equal(-1, Sock.Socket(12345, 1, 0));
        Assert.Equal(Err.EAFNOSUPPORT, Sock.Error());
    }

    [Fact]
    public void Options_SettersAreReadableThroughGetSockOpt()
    {
        nint fd = Sock.TcpSocket();
        try
        {
            Assert.Equal(0, Sock.GetSockOpt(fd, Opt.IpprotoTcp, Opt.TcpNodelay, out int nodelay));
            Assert.Equal(0, nodelay);
            Sock.SetTcpNodelay(fd);
            Assert.Equal(0, Sock.GetSockOpt(fd, Opt.IpprotoTcp, Opt.TcpNodelay, out nodelay));
            Assert.NotEqual(0, nodelay);

            Assert.Equal(0, Sock.GetSockOpt(fd, Opt.SolSocket, Opt.SoKeepalive, out int keepalive));
            Assert.Equal(0, keepalive);
            Sock.SetTcpKeepalive(fd);
            Assert.Equal(0, Sock.GetSockOpt(fd, Opt.SolSocket, Opt.SoKeepalive, out keepalive));
            Assert.NotEqual(0, keepalive);

            Assert.Equal(0, Sock.GetSockOpt(fd, Opt.SolSocket, Opt.SoReuseaddr, out int reuse));
            Assert.Equal(0, reuse);
            Sock.SetReuseAddr(fd);
            Assert.Equal(0, Sock.GetSockOpt(fd, Opt.SolSocket, Opt.SoReuseaddr, out reuse));
            Assert.NotEqual(0, reuse);

            // Linux doubles the requested buffer size (bookkeeping overhead) and reports the doubled value.
            Sock.SetRecvBufferSize(fd, 48 * 1024);
            Assert.Equal(0, Sock.GetSockOpt(fd, Opt.SolSocket, Opt.SoRcvbuf, out int rcv));
            Assert.Equal(96 * 1024, rcv);
            Sock.SetSendBufferSize(fd, 40 * 1024);
            Assert.Equal(0, Sock.GetSockOpt(fd, Opt.SolSocket, Opt.SoSndbuf, out int snd));
            Assert.Equal(80 * 1024, snd);

            // raw forms
            Assert.Equal(0, Sock.SetSockOpt(fd, Opt.SolSocket, Opt.SoRcvbuf, 20_000));
            Assert.Equal(0, Sock.GetSockOpt(fd, Opt.SolSocket, Opt.SoRcvbuf, out rcv));
            Assert.Equal(40_000, rcv);

            Span<byte> linger = stackalloc byte[8];
            BitConverter.TryWriteBytes(linger, 1);
            BitConverter.TryWriteBytes(linger[4..], 7);
            Assert.Equal(0, Sock.SetSockOpt(fd, Opt.SolSocket, Opt.SoLinger, linger));
            Span<byte> read = stackalloc byte[16];
            int length = 8;
            Assert.Equal(0, Sock.GetSockOpt(fd, Opt.SolSocket, Opt.SoLinger, read, ref length));
            Assert.Equal(8, length);
            Assert.Equal(1, BitConverter.ToInt32(read));
            Assert.Equal(7, BitConverter.ToInt32(read[4..]));
        }
        finally
        {
            Sock.Close(fd);
        }
    }

    [Fact]
    public void Options_Errors()
    {
        nint fd = Sock.TcpSocket();
        try
        {
            var buf = new byte[4];
            int tooLong = 5;
            Assert.Throws<ArgumentOutOfRangeException>(() => Sock.GetSockOpt(fd, Opt.SolSocket, Opt.SoRcvbuf, buf, ref tooLong));
            int negative = -1;
            Assert.Throws<ArgumentOutOfRangeException>(() => Sock.GetSockOpt(fd, Opt.SolSocket, Opt.SoRcvbuf, buf, ref negative));

            Assert.Equal(-1, Sock.GetSockOpt(fd, Opt.SolSocket, 12345, out _));
            Assert.Equal(Err.ENOPROTOOPT, Sock.Error());
            Assert.Equal(-1, Sock.SetSockOpt(fd, Opt.SolSocket, Opt.SoLinger, new byte[1]));
            Assert.Equal(Err.EINVAL, Sock.Error());
        }
        finally
        {
            Sock.Close(fd);
        }

        Assert.Equal(-1, Sock.GetSockOpt(-1, Opt.SolSocket, Opt.SoRcvbuf, out _));
        Assert.Equal(Err.EBADF, Sock.Error());
        Sock.SetLastError(0);
        Assert.Equal(-1, Sock.SetSockOpt(-1, Opt.SolSocket, Opt.SoRcvbuf, 1));
        Assert.Equal(Err.EBADF, Sock.Error());
        Sock.SetLastError(0);
        Sock.SetTcpNodelay(-1);
        Assert.Equal(Err.EBADF, Sock.Error());
    }

    [Fact]
    public void StrError_GivesTheSystemMessages()
    {
        Assert.Contains("refused", Sock.StrError(Err.ECONNREFUSED), StringComparison.OrdinalIgnoreCase);
        Assert.Contains("timed out", Sock.StrError(Err.ETIMEDOUT), StringComparison.OrdinalIgnoreCase);
        Assert.Contains("reset", Sock.StrError(Err.ECONNRESET), StringComparison.OrdinalIgnoreCase);
        Assert.Contains("bad file descriptor", Sock.StrError(Err.EBADF), StringComparison.OrdinalIgnoreCase);
        Assert.Contains("broken pipe", Sock.StrError(Err.EPIPE), StringComparison.OrdinalIgnoreCase);
        Assert.Contains("too long", Sock.StrError(Err.EMSGSIZE), StringComparison.OrdinalIgnoreCase);
        Assert.NotEqual(Sock.StrError(Err.ECONNREFUSED), Sock.StrError(Err.ECONNRESET));

        Assert.Equal(-1, Sock.Listen(-1));
        Assert.Equal(Err.EBADF, Sock.Error());
        Assert.Equal(Sock.StrError(Err.EBADF), Sock.StrError());
    }

    [Fact]
    public async Task StrError_IsThreadSafe()
    {
        var tasks = Enumerable.Range(0, 4).Select(t => Task.Run(() =>
        {
            for (int i = 0; i < 2000; i++)
            {
                int e = i % 2 == 0 ? Err.ECONNREFUSED : Err.ETIMEDOUT;
                string s = Sock.StrError(e);
                Assert.Contains(e == Err.ECONNREFUSED ? "refused" : "timed out", s, StringComparison.OrdinalIgnoreCase);
            }
        }));
        await CoRun.Bound(Task.WhenAll(tasks), "StrError on 4 threads");
    }

    [Fact]
    public async Task Error_And_TimedOut_ArePerCoroutine_EvenOnOneThread()
    {
        using SockPair p = await Loop.Pair();
        var aWaits = new Event();
        var bDone = new Event();
        int aError = 0;
        bool aTimedOut = false;
        bool bTimedOut = true;
        Task a = CoRun.Async(async () =>
        {
            Assert.Equal(-1, await Sock.RecvAsync(p.Server, new byte[1], 10));
            Assert.True(Coroutine.TimedOut);
            Sock.SetLastError(1111);
            aWaits.Signal();
            await bDone.WaitAsync();
            aError = Sock.Error();
            aTimedOut = Coroutine.TimedOut;
        }, CoRun.S(0));
        Task b = CoRun.Async(async () =>
        {
            await aWaits.WaitAsync();
            Sock.SetLastError(2222);
            Assert.Equal(2222, Sock.Error());
            bTimedOut = Coroutine.TimedOut; // b never timed out
            bDone.Signal();
        }, CoRun.S(0));
        await Task.WhenAll(a, b);
        Assert.Equal(1111, aError);
        Assert.True(aTimedOut);
        Assert.False(bTimedOut);

        // plain threads keep their own error too
        await CoRun.Thread(() =>
        {
            Sock.SetLastError(3333);
            Assert.Equal(3333, Sock.Error());
            Assert.Equal(-1, Sock.Bind(-1, Loop.Ep(AddressFamily.InterNetwork)));
            Assert.Equal(Err.EBADF, Sock.Error());
        });
    }
}
