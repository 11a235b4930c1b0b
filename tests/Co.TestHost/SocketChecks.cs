using System.Net;
using System.Net.Sockets;
using Co.Testing;
using static Co.TestHost.ScenarioSupport;

namespace Co.TestHost;

/// <summary>
/// The coroutine sockets' acceptance on every platform, in one process as <see cref="PortableScenarios"/> does for the
/// runtime (a start under Wine costs seconds): <c>socket-checks [check...]</c>, the same output and bounds. Error codes
/// are checked against the platform's own numbers: errno on Linux, WSA codes on Windows.
/// </summary>
internal static class SocketChecks
{
    private static readonly (string Name, Action Check)[] s_checks =
    [
        ("echo-sync", EchoSync),
        ("echo-async", EchoAsync),
        ("bulk-64k", BulkWithChecksums),
        ("ipv6", Ipv6Echo),
        ("udp", Udp),
        ("connect-refused", ConnectRefused),
        ("timeouts", Timeouts),
        ("connect-timeout", ConnectTimeout),
        ("peer-close", PeerClose),
        ("close-while-waiting", CloseWhileWaiting),
        ("bad-socket", BadSocket),
        ("many-connections", ManyConnections),
        ("two-schedulers", TwoSchedulersOneSocket),
        ("ioevent-library-socket", IoEventOnALibrarySocket),
        ("error-text", ErrorText),
    ];

    /// <summary>The names of every check, in the order they run.</summary>
    internal static IReadOnlyList<string> CheckNames { get; } = [.. s_checks.Select(c => c.Name)];

    private static readonly bool s_windows = OperatingSystem.IsWindows();
    private static int ConnectionRefused => s_windows ? 10061 : 111;
    private static int TimedOutCode => s_windows ? 10060 : 110;
    private static int NotASocket => s_windows ? 10038 : 9; // WSAENOTSOCK; EBADF

    [Scenario("socket-checks")]
    internal static void Run(string[] args) => PortableScenarios.RunChecks(s_checks, args);

    private static void Require(bool condition, string what)
    {
        if (!condition)
        {
            throw Fail(what);
        }
    }

    /// <summary>A listening TCP socket on loopback at an ephemeral port.</summary>
    private static nint Listen(AddressFamily family, out IPEndPoint endPoint, int backlog = 1024)
    {
        nint fd = Sock.TcpSocket(family);
        Require(fd >= 0, $"TcpSocket: {Sock.StrError()}");
        IPAddress loopback = family == AddressFamily.InterNetwork ? IPAddress.Loopback : IPAddress.IPv6Loopback;
        Require(Sock.Bind(fd, new IPEndPoint(loopback, 0)) == 0, $"Bind: {Sock.StrError()}");
        Require(Sock.Listen(fd, backlog) == 0, $"Listen: {Sock.StrError()}");
        endPoint = Sock.LocalEndPoint(fd) ?? throw Fail($"LocalEndPoint: {Sock.StrError()}");
        return fd;
    }

    /// <summary>A sync echo server on <paramref name="listener"/>: a coroutine per connection, until the listener closes.</summary>
    private static void ServeEchoSync(nint listener) => Coroutine.Go(() =>
    {
        while (true)
        {
            nint connection = Sock.Accept(listener);
            if (connection < 0)
            {
                return;
            }

            Coroutine.Go(() =>
            {
                var buffer = new byte[4096];
                int n;
                while ((n = Sock.Recv(connection, buffer)) > 0 && Sock.Send(connection, buffer.AsSpan(0, n)) == n)
                {
                }

                Sock.Close(connection);
            });
        }
    });

    /// <summary>As <see cref="ServeEchoSync"/>, in async coroutines.</summary>
    private static void ServeEchoAsync(nint listener) => Coroutine.Go(async () =>
    {
        while (true)
        {
            nint connection = await Sock.AcceptAsync(listener);
            if (connection < 0)
            {
                return;
            }

            Coroutine.Go(async () =>
            {
                var buffer = new byte[4096];
                int n;
                while ((n = await Sock.RecvAsync(connection, buffer)) > 0 && await Sock.SendAsync(connection, buffer.AsMemory(0, n)) == n)
                {
                }

                Sock.Close(connection);
            });
        }
    });

    /// <summary>Connects (sync), sends <paramref name="payload"/> and reads it back; the echo must match.</summary>
    private static void EchoOnce(IPEndPoint server, byte[] payload)
    {
        nint fd = Sock.TcpSocket(server.AddressFamily);
        try
        {
            Require(Sock.Connect(fd, server, 10_000) == 0, $"Connect: {Sock.StrError()}");
            var echoed = new byte[payload.Length];
            int sent = 0;
            var sending = new WaitGroup(1);
            Coroutine.Go(() => { sent = Sock.Send(fd, payload); sending.Done(); });
            Require(Sock.RecvN(fd, echoed, 20_000) == payload.Length, $"RecvN: {Sock.StrError()}");
            sending.Wait(); // the sender may be on another scheduler, still returning from its last chunk
            Require(sent == payload.Length, $"Send returned {sent}");
            Require(echoed.AsSpan().SequenceEqual(payload), "the echo differs from what was sent");
        }
        finally
        {
            Sock.Close(fd);
        }
    }

    /// <summary>As <see cref="EchoOnce"/>, with the async forms.</summary>
    private static async Task EchoOnceAsync(IPEndPoint server, byte[] payload)
    {
        nint fd = Sock.TcpSocket(server.AddressFamily);
        try
        {
            Require(await Sock.ConnectAsync(fd, server, 10_000) == 0, $"ConnectAsync: {Sock.StrError()}");
            var echoed = new byte[payload.Length];
            ValueTask<int> send = Sock.SendAsync(fd, payload);
            int received = await Sock.RecvNAsync(fd, echoed, 20_000);
            Require(received == payload.Length, $"RecvNAsync returned {received}: {Sock.StrError()}");
            Require(await send == payload.Length, "SendAsync did not send everything");
            Require(echoed.AsSpan().SequenceEqual(payload), "the echo differs from what was sent");
        }
        finally
        {
            Sock.Close(fd);
        }
    }

    private static byte[] Payload(int length, int seed)
    {
        var bytes = new byte[length];
        new Random(seed).NextBytes(bytes);
        return bytes;
    }

    /// <summary>Runs <paramref name="count"/> clients at once, each <paramref name="client"/>(i) in a coroutine of
    /// its own (sync or async), and fails with the first failure.</summary>
    private static void Clients(int count, Func<int, Task>? asyncClient = null, Action<int>? syncClient = null)
    {
        var done = new WaitGroup(count);
        string? failure = null;
        for (int i = 0; i < count; i++)
        {
            int index = i;
            if (asyncClient is not null)
            {
                Coroutine.Go(async () =>
                {
                    try { await asyncClient(index); }
                    catch (Exception e) { failure ??= $"client {index}: {e.Message}"; }
                    finally { done.Done(); }
                });
            }
            else
            {
                Coroutine.Go(() =>
                {
                    try { syncClient!(index); }
                    catch (Exception e) { failure ??= $"client {index}: {e.Message}"; }
                    finally { done.Done(); }
                });
            }
        }

        Require(WaitBounded(done), $"{done.Count} of {count} clients not done within {Bound.TotalSeconds} s");
        Require(failure is null, failure ?? "");
    }

    // Sync coroutines on both ends: 20 clients, 3 KiB each, through a server of sync coroutines.
    private static void EchoSync()
    {
        nint listener = Listen(AddressFamily.InterNetwork, out IPEndPoint server);
        ServeEchoSync(listener);
        Clients(20, syncClient: i => EchoOnce(server, Payload(3000, i)));
        Sock.Close(listener);
    }

    // The same with async coroutines on both ends.
    private static void EchoAsync()
    {
        nint listener = Listen(AddressFamily.InterNetwork, out IPEndPoint server);
        ServeEchoAsync(listener);
        Clients(20, asyncClient: i => EchoOnceAsync(server, Payload(3000, i)));
        Sock.Close(listener);
    }

    // 100 connections at once, each 64 KiB of random bytes echoed back and compared (half sync, half async).
    private static void BulkWithChecksums()
    {
        nint listener = Listen(AddressFamily.InterNetwork, out IPEndPoint server);
        ServeEchoAsync(listener);
        Clients(50, syncClient: i => EchoOnce(server, Payload(64 * 1024, i)));
        Clients(50, asyncClient: i => EchoOnceAsync(server, Payload(64 * 1024, 1000 + i)));
        Sock.Close(listener);
    }

    // Over ::1, sync server and async clients.
    private static void Ipv6Echo()
    {
        nint listener = Listen(AddressFamily.InterNetworkV6, out IPEndPoint server);
        Require(server.AddressFamily == AddressFamily.InterNetworkV6 && server.Address.Equals(IPAddress.IPv6Loopback), $"bound to {server}");
        ServeEchoSync(listener);
        Clients(10, asyncClient: i => EchoOnceAsync(server, Payload(2000, i)));
        Sock.Close(listener);
    }

    // Datagrams both ways with the sender's address; a datagram longer than the buffer is truncated to it.
    private static void Udp()
    {
        Require(RunSyncBounded(() =>
        {
            nint a = Sock.UdpSocket();
            nint b = Sock.UdpSocket();
            Require(Sock.Bind(a, new IPEndPoint(IPAddress.Loopback, 0)) == 0 && Sock.Bind(b, new IPEndPoint(IPAddress.Loopback, 0)) == 0, $"Bind: {Sock.StrError()}");
            IPEndPoint aEnd = Sock.LocalEndPoint(a)!, bEnd = Sock.LocalEndPoint(b)!;
            Coroutine.Go(() =>
            {
                var buffer = new byte[100];
                int n = Sock.RecvFrom(b, buffer, out IPEndPoint? from, 10_000);
                if (n > 0)
                {
                    Sock.SendTo(b, buffer.AsSpan(0, n), from);
                }
            });
            byte[] datagram = Payload(100, 7);
            Require(Sock.SendTo(a, datagram, bEnd) == 100, $"SendTo: {Sock.StrError()}");
            var back = new byte[100];
            int received = Sock.RecvFrom(a, back, out IPEndPoint? sender, 10_000);
            Require(received == 100 && back.AsSpan().SequenceEqual(datagram), $"RecvFrom returned {received}: {Sock.StrError()}");
            Require(bEnd.Equals(sender), $"the reply came from {sender}, not {bEnd}");

            Require(Sock.SendTo(b, datagram, aEnd) == 100, $"SendTo: {Sock.StrError()}");
            var small = new byte[10];
            Require(Sock.RecvFrom(a, small, out _, 10_000) == 10 && small.AsSpan().SequenceEqual(datagram.AsSpan(0, 10)),
                $"a 100-byte datagram into 10 bytes: {Sock.StrError()}");
            Sock.Close(a);
            Sock.Close(b);
        }), "udp hung");
    }

    // A port nobody listens on: -1 with the platform's "connection refused", sync and async.
    private static void ConnectRefused()
    {
        nint probe = Listen(AddressFamily.InterNetwork, out IPEndPoint closed);
        Sock.Close(probe);
        Require(RunSyncBounded(() =>
        {
            nint fd = Sock.TcpSocket();
            Require(Sock.Connect(fd, closed, 10_000) == -1 && Sock.Error() == ConnectionRefused && !Coroutine.TimedOut,
                $"sync connect to a closed port: error {Sock.Error()} ({Sock.StrError()})");
            Sock.Close(fd);
        }), "sync connect hung");
        Require(RunAsyncBounded(async () =>
        {
            nint fd = Sock.TcpSocket();
            int result = await Sock.ConnectAsync(fd, closed, 10_000);
            Require(result == -1 && Sock.Error() == ConnectionRefused, $"async connect to a closed port: error {Sock.Error()} ({Sock.StrError()})");
            Sock.Close(fd);
        }), "async connect hung");
    }

    /// <summary>A connected pair: a client socket and the server's side of it.</summary>
    private static (nint Client, nint Server, nint Listener) Pair()
    {
        nint listener = Listen(AddressFamily.InterNetwork, out IPEndPoint server);
        nint client = Sock.TcpSocket();
        nint accepted = -1;
        Coroutine.Go(() => accepted = Sock.Accept(listener));
        Require(Sock.Connect(client, server, 10_000) == 0, $"Connect: {Sock.StrError()}");
        for (int i = 0; i < 1000 && accepted == -1; i++)
        {
            Coroutine.Sleep(5);
        }

        Require(accepted >= 0, "the connection was not accepted");
        return (client, accepted, listener);
    }

    private static void ClosePair((nint Client, nint Server, nint Listener) pair)
    {
        Sock.Close(pair.Client);
        Sock.Close(pair.Server);
        Sock.Close(pair.Listener);
    }

    // Recv, RecvAsync and IoEvent on an idle connection time out with the platform's ETIMEDOUT and co::timeout; a
    // later success clears the flag.
    private static void Timeouts()
    {
        Require(RunSyncBounded(() =>
        {
            var pair = Pair();
            var buffer = new byte[16];
            Require(Sock.Recv(pair.Client, buffer, 100) == -1 && Sock.Error() == TimedOutCode && Coroutine.TimedOut,
                $"Recv: error {Sock.Error()}, timed out {Coroutine.TimedOut}");
            Require(!new IoEvent(pair.Client, IoEventType.Read).Wait(100) && Sock.Error() == TimedOutCode && Coroutine.TimedOut,
                $"IoEvent.Wait: error {Sock.Error()}");
            Require(new IoEvent(pair.Client, IoEventType.Write).Wait(1000), $"IoEvent write on a fresh connection: {Sock.StrError()}");
            Require(!Coroutine.TimedOut, "a successful wait left co::timeout set");
            Require(Sock.Send(pair.Server, buffer) == 16 && Sock.Recv(pair.Client, buffer, 5000) == 16, $"echo after the timeouts: {Sock.StrError()}");
            ClosePair(pair);
        }), "sync timeouts hung");
        Require(RunAsyncBounded(async () =>
        {
            var pair = Pair();
            var buffer = new byte[16];
            Require(await Sock.RecvAsync(pair.Client, buffer, 100) == -1 && Sock.Error() == TimedOutCode && Coroutine.TimedOut,
                $"RecvAsync: error {Sock.Error()}");
            Require(!await new IoEvent(pair.Client, IoEventType.Read).WaitAsync(100) && Sock.Error() == TimedOutCode,
                $"IoEvent.WaitAsync: error {Sock.Error()}");
            ClosePair(pair);
        }), "async timeouts hung");
    }

    // A listener that never accepts, with its backlog full: further connects can only time out.
    private static void ConnectTimeout()
    {
        nint full = Listen(AddressFamily.InterNetwork, out IPEndPoint fullEnd, backlog: 0);
        var sockets = new List<nint>();
        bool sawTimeout = false;
        Require(RunSyncBounded(() =>
        {
            for (int i = 0; i < 8 && !sawTimeout; i++)
            {
                nint fd = Sock.TcpSocket();
                sockets.Add(fd);
                if (Sock.Connect(fd, fullEnd, 300) == -1)
                {
                    Require(Sock.Error() == TimedOutCode && Coroutine.TimedOut, $"connect failed with {Sock.Error()} ({Sock.StrError()}), not a timeout");
                    sawTimeout = true;
                }
            }
        }), "connects hung");
        Require(sawTimeout, "no connect timed out although the backlog was full");
        sockets.ForEach(fd => Sock.Close(fd));
        Sock.Close(full);
    }

    // The peer's close: the receiver gets 0, sync and async.
    private static void PeerClose()
    {
        Require(RunSyncBounded(() =>
        {
            var pair = Pair();
            Coroutine.Go(() => { Coroutine.Sleep(50); Sock.Close(pair.Server); });
            Require(Sock.Recv(pair.Client, new byte[8], 10_000) == 0, $"Recv after the peer closed: {Sock.StrError()}");
            Sock.Close(pair.Client);
            Sock.Close(pair.Listener);
        }), "sync peer close hung");
        Require(RunAsyncBounded(async () =>
        {
            var pair = Pair();
            Coroutine.Go(() => { Coroutine.Sleep(50); Sock.Close(pair.Client); });
            Require(await Sock.RecvAsync(pair.Server, new byte[8], 10_000) == 0, $"RecvAsync after the peer closed: {Sock.StrError()}");
            Sock.Close(pair.Server);
            Sock.Close(pair.Listener);
        }), "async peer close hung");
    }

    // Another coroutine closes the socket a receiver waits on: the receiver wakes with -1 and the platform's
    // "not a socket", sync and async.
    private static void CloseWhileWaiting()
    {
        Require(RunSyncBounded(() =>
        {
            var pair = Pair();
            Coroutine.Go(() => { Coroutine.Sleep(100); Sock.Close(pair.Client); });
            Require(Sock.Recv(pair.Client, new byte[8], 10_000) == -1 && Sock.Error() == NotASocket && !Coroutine.TimedOut,
                $"Recv on a socket closed while it waited: error {Sock.Error()} ({Sock.StrError()})");
            Sock.Close(pair.Server);
            Sock.Close(pair.Listener);
        }), "sync close-while-waiting hung");
        Require(RunAsyncBounded(async () =>
        {
            var pair = Pair();
            Coroutine.Go(() => { Coroutine.Sleep(100); Sock.Close(pair.Client); });
            Require(await Sock.RecvAsync(pair.Client, new byte[8], 10_000) == -1 && Sock.Error() == NotASocket,
                $"RecvAsync on a socket closed while it waited: error {Sock.Error()} ({Sock.StrError()})");
            Sock.Close(pair.Server);
            Sock.Close(pair.Listener);
        }), "async close-while-waiting hung");
    }

    // -1 (INVALID_SOCKET) and a closed socket: every call fails with the platform's "not a socket".
    private static void BadSocket()
    {
        Require(RunSyncBounded(() =>
        {
            Require(Sock.Recv(-1, new byte[8], 100) == -1 && Sock.Error() == NotASocket, $"Recv(-1): error {Sock.Error()}");
            Require(Sock.Send(-1, new byte[8], 100) == -1 && Sock.Error() == NotASocket, $"Send(-1): error {Sock.Error()}");
            nint fd = Sock.TcpSocket();
            Require(Sock.Close(fd) == 0, $"Close: {Sock.StrError()}");
            Require(Sock.Recv(fd, new byte[8], 100) == -1 && Sock.Error() == NotASocket, $"Recv on a closed socket: error {Sock.Error()}");
            Require(!new IoEvent(fd, IoEventType.Read).Wait(100) && Sock.Error() == NotASocket, $"IoEvent on a closed socket: error {Sock.Error()}");
            Require(Sock.Close(fd) == -1 && Sock.Error() == NotASocket, $"a second Close: error {Sock.Error()}");
        }), "bad socket calls hung");
    }

    // 1,000 connections open at once (each client waits until all are connected), then each echoes.
    private static void ManyConnections()
    {
        const int Count = 1000;
        nint listener = Listen(AddressFamily.InterNetwork, out IPEndPoint server);
        ServeEchoAsync(listener);
        var connected = new WaitGroup(Count);
        var allConnected = new Event(manualReset: true);
        Coroutine.Go(() => { connected.Wait(); allConnected.Signal(); });
        Clients(Count, asyncClient: async i =>
        {
            nint fd = Sock.TcpSocket();
            try
            {
                Require(await Sock.ConnectAsync(fd, server, 20_000) == 0, $"ConnectAsync: {Sock.StrError()}");
                connected.Done();
                Require(await allConnected.WaitAsync(25_000), "not all connections were made");
                byte[] payload = Payload(64, i);
                var echoed = new byte[64];
                Require(await Sock.SendAsync(fd, payload) == 64 && await Sock.RecvNAsync(fd, echoed, 20_000) == 64, $"echo: {Sock.StrError()}");
                Require(echoed.AsSpan().SequenceEqual(payload), "the echo differs");
            }
            finally
            {
                Sock.Close(fd);
            }
        });
        Sock.Close(listener);
    }

    // Coroutines of two schedulers wait on one socket in turn: the first scheduler to wait registers it (on Windows its
    // port receives the socket's readiness) and the other's waiter is woken through it, both ways round.
    private static void TwoSchedulersOneSocket()
    {
        IReadOnlyList<Scheduler> schedulers = Coroutine.Schedulers;
        Require(schedulers.Count >= 2, $"needs two schedulers, has {schedulers.Count}");
        var pair = default((nint Client, nint Server, nint Listener));
        Require(RunSyncBounded(() => pair = Pair()), "connecting hung");
        for (int round = 0; round < 4; round++)
        {
            var done = new WaitGroup(1);
            string? failure = null;
            int expected = round;
            schedulers[round % 2].Go(() =>
            {
                var one = new byte[1];
                int n = Sock.Recv(pair.Client, one, 10_000);
                if (n != 1 || one[0] != expected)
                {
                    failure = $"Recv returned {n}, byte {one[0]} ({Sock.StrError()})";
                }

                done.Done();
            });
            Thread.Sleep(100); // the waiter is parked before the byte is sent
            schedulers[(round + 1) % 2].Go(() => Sock.Send(pair.Server, new[] { (byte)expected }));
            Require(WaitBounded(done), $"round {round}: the waiter on scheduler {round % 2} was not woken");
            Require(failure is null, $"round {round}, waiter on scheduler {round % 2}: {failure}");
        }

        ClosePair(pair);
    }

    // IoEvent on a socket another library made and drives (.NET's own Socket, non-blocking, as libpq would): writable
    // once a connect in progress completes (the not-yet-connected case), then readable when the peer's reply arrives.
    private static void IoEventOnALibrarySocket()
    {
        nint listener = Listen(AddressFamily.InterNetwork, out IPEndPoint server);
        ServeEchoSync(listener);
        Require(RunSyncBounded(() =>
        {
            using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { Blocking = false };
            try
            {
                socket.Connect(server);
            }
            catch (SocketException e) when (e.SocketErrorCode is SocketError.WouldBlock or SocketError.InProgress)
            {
                // in progress: IoEvent waits for it
            }

            Require(new IoEvent(socket.Handle, IoEventType.Write).Wait(10_000), $"IoEvent write on a connecting socket: {Sock.StrError()}");
            Require(socket.Connected || socket.Poll(0, SelectMode.SelectWrite), "writable, but not connected");
            var reader = new IoEvent(socket.Handle, IoEventType.Read);
            Require(!reader.Wait(50) && Coroutine.TimedOut, "readable before anything was sent");
            socket.Send([1, 2, 3]);
            Require(reader.Wait(10_000), $"IoEvent read after the echo was sent: {Sock.StrError()}");
            var reply = new byte[3];
            Require(socket.Receive(reply) == 3 && reply[2] == 3, "the echo");
        }), "IoEvent on a library's socket hung");
        Sock.Close(listener);
    }

    // The platform's text for its "connection refused" code.
    private static void ErrorText()
    {
        string text = Sock.StrError(ConnectionRefused);
        Console.Out.WriteLine($"RESULT error_text={text.Replace(' ', '_')}");
        Require(text.Contains("refused", StringComparison.OrdinalIgnoreCase), $"StrError({ConnectionRefused}) = \"{text}\"");
    }
}
