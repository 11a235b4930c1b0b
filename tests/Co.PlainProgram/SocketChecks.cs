using System.Net;
using System.Net.Sockets;

/// <summary>Blocking <see cref="Socket"/> calls and name resolution over loopback: the calls both hook layers detour
/// (libc's connect/send/recv/poll/getaddrinfo natively; Socket's synchronous funnels in managed code).</summary>
internal static class SocketChecks
{
    private const int Rounds = 16;
    private const int ChunkBytes = 4096;
    private const int TimeoutMilliseconds = 200;

    /// <summary>16 round trips of 4 KiB to an echo server, through the array, span and segment-list overloads of
    /// Send and Receive; every byte must come back, then end of stream once each side has shut down.</summary>
    public static void Echo(bool nonBlocking)
    {
        using var server = new LoopbackServer(1, EchoUntilClosed);
        using (Socket client = server.Connect(nonBlocking))
        {
            byte[] sent = new byte[ChunkBytes];
            byte[] received = new byte[ChunkBytes];
            for (int round = 0; round < Rounds; round++)
            {
                for (int i = 0; i < sent.Length; i++)
                {
                    sent[i] = (byte)(round * 31 + i);
                }

                Array.Clear(received);
                int accepted = (round % 3) switch
                {
                    0 => client.Send(sent),
                    1 => client.Send(sent.AsSpan()),
                    _ => client.Send([new ArraySegment<byte>(sent, 0, 1000), new ArraySegment<byte>(sent, 1000, ChunkBytes - 1000)]),
                };
                Expect.True(accepted == ChunkBytes, $"round {round}: Send took {accepted} of {ChunkBytes} bytes");
                if (round % 2 == 0)
                {
                    LoopbackServer.ReceiveExactly(client, received);
                }
                else
                {
                    // The list overload fills the segments in order, in as many calls as the data takes to arrive.
                    for (int got = 0; got < ChunkBytes;)
                    {
                        int count = client.Receive([new ArraySegment<byte>(received, got, ChunkBytes - got)]);
                        Expect.True(count > 0, $"round {round}: end of stream after {got} bytes");
                        got += count;
                    }
                }

                Expect.True(received.AsSpan().SequenceEqual(sent), $"round {round}: the echo differs from what was sent");
            }

            client.Shutdown(SocketShutdown.Send);
            Expect.True(client.Receive(received) == 0, "no end of stream after the server closed");
        }

        server.Finish();
    }

    /// <summary>Receive on a socket with ReceiveTimeout = 200 ms and nothing to read must fail with TimedOut after
    /// about 200 ms.</summary>
    public static void ReceiveTimeout(bool nonBlocking)
    {
        using var server = new LoopbackServer(1, connection => LoopbackServer.ReceiveUntilClosed(connection, 0));
        using (Socket client = server.Connect(nonBlocking))
        {
            client.ReceiveTimeout = TimeoutMilliseconds;
            SocketException timedOut = null!;
            Expect.Lasts(TimeoutMilliseconds, () => timedOut = Expect.Throws<SocketException>(() => client.Receive(new byte[1]), "Receive with nothing to read"), "Receive's timeout");
            Expect.True(timedOut.SocketErrorCode == SocketError.TimedOut, $"Receive failed with {timedOut.SocketErrorCode}, not TimedOut");
        }

        server.Finish();
    }

    /// <summary>Poll and Select time out after their timeout with nothing to read, and report the socket readable
    /// once the server has sent a byte.</summary>
    public static void PollAndSelect()
    {
        using var server = new LoopbackServer(1, connection =>
        {
            // Echo one byte, then wait for the client to close.
            byte[] one = new byte[1];
            LoopbackServer.ReceiveExactly(connection, one);
            connection.Send(one);
            LoopbackServer.ReceiveUntilClosed(connection, 0);
        });
        using (Socket client = server.Connect(nonBlocking: false))
        {
            const int timeoutMicroseconds = TimeoutMilliseconds * 1000;
            bool readable = true;
            Expect.Lasts(TimeoutMilliseconds, () => readable = client.Poll(timeoutMicroseconds, SelectMode.SelectRead), "Poll with nothing to read");
            Expect.True(!readable, "Poll reported a socket with nothing to read readable");
            var candidates = new List<Socket> { client };
            Expect.Lasts(TimeoutMilliseconds, () => Socket.Select(candidates, null, null, timeoutMicroseconds), "Select with nothing to read");
            Expect.True(candidates.Count == 0, "Select kept a socket with nothing to read");

            client.Send([42]);
            Expect.True(client.Poll(TimeSpan.FromSeconds(10), SelectMode.SelectRead), "Poll did not see the echoed byte within 10 s");
            candidates.Add(client);
            Socket.Select(candidates, null, null, 10_000_000);
            Expect.True(candidates.Count == 1, "Select did not report the socket with a byte to read");
            byte[] echoed = new byte[1];
            Expect.True(client.Receive(echoed) == 1 && echoed[0] == 42, $"received {echoed[0]} instead of 42");
        }

        server.Finish();
    }

    /// <summary>Datagrams between two UDP sockets through the array and span overloads of SendTo/ReceiveFrom, with
    /// the sender's address; then ReceiveFrom's timeout.</summary>
    public static void Datagrams()
    {
        using var sender = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        using var receiver = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp) { ReceiveTimeout = 10_000 };
        sender.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        receiver.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        byte[] payload = [1, 2, 3, 5, 8, 13];
        byte[] buffer = new byte[64];

        Expect.True(sender.SendTo(payload, receiver.LocalEndPoint!) == payload.Length, "SendTo(byte[]) sent a short datagram");
        EndPoint from = new IPEndPoint(IPAddress.Any, 0);
        int count = receiver.ReceiveFrom(buffer, ref from);
        Expect.True(buffer.AsSpan(0, count).SequenceEqual(payload), "ReceiveFrom(byte[]) got other bytes");
        Expect.True(from.Equals(sender.LocalEndPoint), $"ReceiveFrom(byte[]) named {from}, not the sender {sender.LocalEndPoint}");

        Expect.True(sender.SendTo(payload.AsSpan(1), SocketFlags.None, receiver.LocalEndPoint!) == payload.Length - 1, "SendTo(span) sent a short datagram");
        from = new IPEndPoint(IPAddress.Any, 0);
        count = receiver.ReceiveFrom(buffer.AsSpan(), SocketFlags.None, ref from);
        Expect.True(buffer.AsSpan(0, count).SequenceEqual(payload.AsSpan(1)), "ReceiveFrom(span) got other bytes");

        receiver.ReceiveTimeout = TimeoutMilliseconds;
        SocketException timedOut = null!;
        Expect.Lasts(TimeoutMilliseconds, () => timedOut = Expect.Throws<SocketException>(() => receiver.ReceiveFrom(buffer, ref from), "ReceiveFrom with nothing sent"), "ReceiveFrom's timeout");
        Expect.True(timedOut.SocketErrorCode == SocketError.TimedOut, $"ReceiveFrom failed with {timedOut.SocketErrorCode}, not TimedOut");
    }

    /// <summary>"localhost" resolves (getaddrinfo) to loopback addresses only.</summary>
    public static void ResolveLocalhost()
    {
        IPAddress[] addresses = Dns.GetHostAddresses("localhost");
        Expect.True(addresses.Length > 0 && addresses.All(IPAddress.IsLoopback), $"localhost resolved to [{string.Join(", ", addresses.Select(a => a.ToString()))}]");
    }

    /// <summary>Sends back everything it receives until the client shuts down its side, then closes.</summary>
    private static void EchoUntilClosed(Socket connection)
    {
        byte[] buffer = new byte[ChunkBytes];
        // Each pass moves at least one byte of the client's Rounds * ChunkBytes, or ends.
        for (int pass = 0; pass <= Rounds * ChunkBytes; pass++)
        {
            int count = connection.Receive(buffer);
            if (count == 0)
            {
                return;
            }

            connection.Send(buffer.AsSpan(0, count));
        }

        throw new CheckFailedException("the client sent more than it should have");
    }
}
