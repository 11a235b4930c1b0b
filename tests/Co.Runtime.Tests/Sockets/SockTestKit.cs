using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using Xunit;

namespace Co.Tests.Sockets;

/// <summary>Linux errno values the socket tests expect (the spec promises these exact codes).</summary>
internal static class Err
{
    public const int EINTR = 4;
    public const int EBADF = 9;
    public const int EAGAIN = 11;
    public const int EINVAL = 22;
    public const int EPIPE = 32;
    public const int EDESTADDRREQ = 89;
    public const int EMSGSIZE = 90;
    public const int ENOPROTOOPT = 92;
    public const int EOPNOTSUPP = 95;
    public const int EAFNOSUPPORT = 97;
    public const int EADDRINUSE = 98;
    public const int ECONNRESET = 104;
    public const int ENOTCONN = 107;
    public const int ETIMEDOUT = 110;
    public const int ECONNREFUSED = 111;
}

/// <summary>Socket option numbers (Linux) used to read back what the Sock option setters did.</summary>
internal static class Opt
{
    public const int SolSocket = 1;
    public const int SoReuseaddr = 2;
    public const int SoSndbuf = 7;
    public const int SoRcvbuf = 8;
    public const int SoKeepalive = 9;
    public const int SoLinger = 13;
    public const int IpprotoTcp = 6;
    public const int TcpNodelay = 1;
}

/// <summary>The tests' own libc calls: raw non-blocking I/O for IoEvent, descriptor flags, RLIMIT_NOFILE.</summary>
internal static unsafe partial class Native
{
    public const int FGetfd = 1;
    public const int FGetfl = 3;
    public const int FdCloexec = 1;
    public const int ONonblock = 0x800;
    public const int MsgDontwait = 0x40;
    public const int MsgNosignal = 0x4000;
    private const int RlimitNofile = 7;

    [StructLayout(LayoutKind.Sequential)]
    public struct RLimit
    {
        public ulong Cur;
        public ulong Max;
    }

    [LibraryImport("libc", EntryPoint = "recv", SetLastError = true)]
    public static partial nint Recv(int fd, byte* buffer, nint length, int flags);

    [LibraryImport("libc", EntryPoint = "send", SetLastError = true)]
    public static partial nint Send(int fd, byte* buffer, nint length, int flags);

    [LibraryImport("libc", EntryPoint = "socket", SetLastError = true)]
    public static partial int Socket(int domain, int type, int protocol);

    [LibraryImport("libc", EntryPoint = "fcntl", SetLastError = true)]
    public static partial int Fcntl(int fd, int command, int argument);

    [LibraryImport("libc", EntryPoint = "getrlimit", SetLastError = true)]
    private static partial int GetRLimit(int resource, RLimit* limit);

    [LibraryImport("libc", EntryPoint = "setrlimit", SetLastError = true)]
    private static partial int SetRLimit(int resource, RLimit* limit);

    /// <summary>One raw recv (flags 0) on a non-blocking socket: bytes, or -1 with the errno.</summary>
    public static int RawRecv(nint fd, Span<byte> buffer, out int errno)
    {
        fixed (byte* p = buffer)
        {
            nint r = Recv((int)fd, p, buffer.Length, 0);
            errno = r < 0 ? Marshal.GetLastPInvokeError() : 0;
            return (int)r;
        }
    }

    /// <summary>One raw send (MSG_NOSIGNAL) on a non-blocking socket: bytes, or -1 with the errno.</summary>
    public static int RawSend(nint fd, ReadOnlySpan<byte> buffer, out int errno)
    {
        fixed (byte* p = buffer)
        {
            nint r = Send((int)fd, p, buffer.Length, MsgNosignal);
            errno = r < 0 ? Marshal.GetLastPInvokeError() : 0;
            return (int)r;
        }
    }

    public static bool IsOpen(nint fd) => Fcntl((int)fd, FGetfd, 0) != -1;

    public static bool IsNonBlocking(nint fd)
    {
        int flags = Fcntl((int)fd, FGetfl, 0);
        Assert.True(flags >= 0, $"fcntl(F_GETFL) on {fd} failed: errno {Marshal.GetLastPInvokeError()}");
        return (flags & ONonblock) != 0;
    }

    public static bool IsCloseOnExec(nint fd)
    {
        int flags = Fcntl((int)fd, FGetfd, 0);
        Assert.True(flags >= 0, $"fcntl(F_GETFD) on {fd} failed: errno {Marshal.GetLastPInvokeError()}");
        return (flags & FdCloexec) != 0;
    }

    /// <summary>Open descriptors of this process.</summary>
    public static int OpenFdCount() => Directory.GetFileSystemEntries("/proc/self/fd").Length;

    /// <summary>Raises the soft RLIMIT_NOFILE to at least <paramref name="needed"/> (up to the hard limit) and
    /// returns the soft limit in force afterwards.</summary>
    public static long EnsureFdLimit(long needed)
    {
        RLimit limit;
        if (GetRLimit(RlimitNofile, &limit) != 0)
        {
            return -1;
        }

        if (limit.Cur < (ulong)needed)
        {
            RLimit raised = limit;
            raised.Cur = Math.Min((ulong)needed, limit.Max);
            if (SetRLimit(RlimitNofile, &raised) == 0)
            {
                limit = raised;
            }
        }

        return limit.Cur > long.MaxValue ? long.MaxValue : (long)limit.Cur;
    }
}

/// <summary>Loopback addresses and socket set-up shared by the socket tests.</summary>
internal static class Loop
{
    public static readonly AddressFamily V4 = AddressFamily.InterNetwork;
    public static readonly AddressFamily V6 = AddressFamily.InterNetworkV6;

    public static IPAddress Ip(AddressFamily family) =>
        family == AddressFamily.InterNetwork ? IPAddress.Loopback : IPAddress.IPv6Loopback;

    public static IPEndPoint Ep(AddressFamily family, int port = 0) => new(Ip(family), port);

    /// <summary>A listening TCP socket on loopback, on an ephemeral port (works on any thread).</summary>
    public static nint Listen(AddressFamily family, out IPEndPoint endPoint, int backlog = 1024, Action<nint>? configure = null)
    {
        nint fd = Sock.TcpSocket(family);
        Assert.True(fd >= 0, $"TcpSocket failed: {Sock.StrError()}");
        Sock.SetReuseAddr(fd);
        configure?.Invoke(fd);
        Assert.True(Sock.Bind(fd, Ep(family)) == 0, $"Bind failed: {Sock.StrError()}");
        Assert.True(Sock.Listen(fd, backlog) == 0, $"Listen failed: {Sock.StrError()}");
        endPoint = Sock.LocalEndPoint(fd)!;
        Assert.NotNull(endPoint);
        Assert.NotEqual(0, endPoint.Port);
        return fd;
    }

    /// <summary>A TCP port that refuses connections: a bound socket that does not listen (so nobody else can take the
    /// port while the test uses it). Close the returned socket afterwards.</summary>
    public static nint RefusingPort(AddressFamily family, out IPEndPoint endPoint)
    {
        nint fd = Sock.TcpSocket(family);
        Assert.True(fd >= 0, $"TcpSocket failed: {Sock.StrError()}");
        Assert.True(Sock.Bind(fd, Ep(family)) == 0, $"Bind failed: {Sock.StrError()}");
        endPoint = Sock.LocalEndPoint(fd)!;
        Assert.NotNull(endPoint);
        return fd;
    }

    /// <summary>Makes a connected pair inside the current (sync) coroutine: connect, then accept.</summary>
    public static SockPair PairHere(AddressFamily family, Action<nint>? configureListener = null, Action<nint>? configureClient = null)
    {
        nint listener = Listen(family, out IPEndPoint ep, 16, configureListener);
        try
        {
            nint client = Sock.TcpSocket(family);
            Assert.True(client >= 0, $"TcpSocket failed: {Sock.StrError()}");
            configureClient?.Invoke(client);
            Assert.True(Sock.Connect(client, ep, 10_000) == 0, $"Connect failed: {Sock.StrError()}");
            nint server = Sock.Accept(listener);
            Assert.True(server >= 0, $"Accept failed: {Sock.StrError()}");
            return new SockPair(client, server);
        }
        finally
        {
            Sock.Close(listener);
        }
    }

    /// <summary>Makes a connected pair from the test thread (in a sync coroutine).</summary>
    public static Task<SockPair> Pair(AddressFamily family, Action<nint>? configureListener = null, Action<nint>? configureClient = null) =>
        CoRun.Sync(() => PairHere(family, configureListener, configureClient));

    public static Task<SockPair> Pair() => Pair(AddressFamily.InterNetwork);

    /// <summary>Two UDP sockets bound on loopback.</summary>
    public static (nint A, IPEndPoint EpA, nint B, IPEndPoint EpB) UdpPair(AddressFamily family)
    {
        nint a = Sock.UdpSocket(family);
        nint b = Sock.UdpSocket(family);
        Assert.True(a >= 0 && b >= 0, $"UdpSocket failed: {Sock.StrError()}");
        Sock.SetRecvBufferSize(a, 1 << 20);
        Sock.SetRecvBufferSize(b, 1 << 20);
        Assert.Equal(0, Sock.Bind(a, Ep(family)));
        Assert.Equal(0, Sock.Bind(b, Ep(family)));
        return (a, Sock.LocalEndPoint(a)!, b, Sock.LocalEndPoint(b)!);
    }
}

/// <summary>A connected TCP pair. Close the ends through this object so Dispose never closes a reused number.</summary>
internal sealed class SockPair : IDisposable
{
    private nint _client;
    private nint _server;

    public SockPair(nint client, nint server)
    {
        _client = client;
        _server = server;
    }

    public nint Client => _client;
    public nint Server => _server;

    /// <summary>Closes the client end (once); returns Sock.Close's result.</summary>
    public int CloseClient(int ms = 0) => CloseOnce(ref _client, fd => Sock.Close(fd, ms));

    public int CloseServer(int ms = 0) => CloseOnce(ref _server, fd => Sock.Close(fd, ms));

    public int ResetClient(int ms = 0) => CloseOnce(ref _client, fd => Sock.ResetTcpSocket(fd, ms));

    public int ResetServer(int ms = 0) => CloseOnce(ref _server, fd => Sock.ResetTcpSocket(fd, ms));

    /// <summary>Forget an end that the test closed some other way (it must not be closed again).</summary>
    public void ForgetServer() => _server = -1;

    public void ForgetClient() => _client = -1;

    public void Dispose()
    {
        CloseClient();
        CloseServer();
    }

    private static int CloseOnce(ref nint fd, Func<nint, int> close)
    {
        nint f = Interlocked.Exchange(ref fd, -1);
        return f >= 0 ? close(f) : 0;
    }
}

/// <summary>A deterministic byte stream per stream id: any loss, duplication, reordering or corruption shows up as a
/// mismatch at a known position.</summary>
internal static class Pattern
{
    public static byte At(int stream, long position)
    {
        ulong x = ((ulong)position * 0x9E3779B97F4A7C15UL) ^ ((ulong)(stream + 1) * 0xC2B2AE3D27D4EB4FUL);
        x ^= x >> 29;
        x *= 0xBF58476D1CE4E5B9UL;
        x ^= x >> 32;
        return (byte)x;
    }

    public static void Fill(Span<byte> destination, int stream, long position)
    {
        for (int i = 0; i < destination.Length; i++)
        {
            destination[i] = At(stream, position + i);
        }
    }

    public static byte[] Make(int stream, int length)
    {
        var data = new byte[length];
        Fill(data, stream, 0);
        return data;
    }

    /// <summary>Index of the first byte of <paramref name="data"/> that differs from the stream at
    /// <paramref name="position"/>, or -1.</summary>
    public static int FirstMismatch(ReadOnlySpan<byte> data, int stream, long position)
    {
        for (int i = 0; i < data.Length; i++)
        {
            if (data[i] != At(stream, position + i))
            {
                return i;
            }
        }

        return -1;
    }
}

/// <summary>FNV-1a 64-bit checksum.</summary>
internal struct Fnv64
{
    private ulong _hash;
    private bool _started;

    public ulong Value => _started ? _hash : 14695981039346656037UL;

    public void Add(ReadOnlySpan<byte> data)
    {
        if (!_started)
        {
            _hash = 14695981039346656037UL;
            _started = true;
        }

        foreach (byte b in data)
        {
            _hash = (_hash ^ b) * 1099511628211UL;
        }
    }

    public static ulong Of(ReadOnlySpan<byte> data)
    {
        var f = default(Fnv64);
        f.Add(data);
        return f.Value;
    }
}
