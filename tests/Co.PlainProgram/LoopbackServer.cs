using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;

/// <summary>
/// A TCP listener on 127.0.0.1 whose own background thread accepts a fixed number of connections, one after another,
/// and hands each to a serve function with blocking <see cref="Socket"/> calls: the peer the checks talk to.
/// </summary>
internal sealed partial class LoopbackServer : IDisposable
{
    /// <summary>A client that stops talking ends the server with an error instead of holding it forever.</summary>
    private const int IdleMilliseconds = 10_000;

    private const int GetStatusFlags = 3; // F_GETFL
    private const int NonBlockingFlag = 0x800; // O_NONBLOCK

    private readonly Socket _listener = new(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
    private readonly Thread _thread;
    private Exception? _failure;

    public LoopbackServer(int connections, Action<Socket> serve)
    {
        _listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        _listener.Listen(connections);
        EndPoint = (IPEndPoint)_listener.LocalEndPoint!;
        _thread = new Thread(() => Serve(connections, serve)) { IsBackground = true, Name = "loopback server" };
        _thread.Start();
    }

    public IPEndPoint EndPoint { get; }

    /// <summary>A new socket connected to the server. <paramref name="nonBlocking"/> connects with ConnectAsync: .NET
    /// then switches the descriptor to non-blocking for good, so the socket's later synchronous calls wait in .NET's
    /// own code rather than in a blocking libc call (the path the managed hooks cover).</summary>
    public Socket Connect(bool nonBlocking)
    {
        var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp)
        {
            ReceiveTimeout = IdleMilliseconds,
            SendTimeout = IdleMilliseconds,
        };
        if (nonBlocking)
        {
            client.ConnectAsync(EndPoint).Wait();
            int flags = Fcntl((int)client.SafeHandle.DangerousGetHandle(), GetStatusFlags, 0);
            Expect.True(flags >= 0 && (flags & NonBlockingFlag) != 0 && client.Blocking,
                $"ConnectAsync should leave the descriptor non-blocking and the Socket blocking (flags 0x{flags:x})");
        }
        else
        {
            client.Connect(EndPoint);
        }

        return client;
    }

    /// <summary>Waits (bounded) until the server has served every connection; fails with what went wrong there.</summary>
    public void Finish()
    {
        Expect.True(_thread.Join(2 * IdleMilliseconds), "the server did not finish");
        Expect.True(_failure is null, $"the server failed: {_failure}");
    }

    public void Dispose() => _listener.Dispose();

    /// <summary>Reads <paramref name="buffer"/>'s length in bytes exactly; fails at end of stream.</summary>
    public static void ReceiveExactly(Socket socket, Span<byte> buffer)
    {
        // Each Receive returns at least one byte or ends the loop, so it runs at most buffer.Length times.
        for (int received = 0; received < buffer.Length;)
        {
            int count = socket.Receive(buffer[received..]);
            Expect.True(count > 0, $"end of stream after {received} of {buffer.Length} bytes");
            received += count;
        }
    }

    /// <summary>Reads until the peer closes, at most <paramref name="limit"/> bytes; returns the count.</summary>
    public static int ReceiveUntilClosed(Socket socket, int limit)
    {
        byte[] buffer = new byte[4096];
        int total = 0;
        while (total <= limit)
        {
            int count = socket.Receive(buffer);
            if (count == 0)
            {
                return total;
            }

            total += count;
        }

        throw new CheckFailedException($"the peer sent more than {limit} bytes without closing");
    }

    [LibraryImport("libc", EntryPoint = "fcntl")]
    private static partial int Fcntl(int descriptor, int command, int argument);

    private void Serve(int connections, Action<Socket> serve)
    {
        try
        {
            for (int i = 0; i < connections; i++)
            {
                using Socket connection = _listener.Accept();
                connection.ReceiveTimeout = IdleMilliseconds;
                connection.SendTimeout = IdleMilliseconds;
                serve(connection);
            }
        }
        catch (Exception exception)
        {
            _failure = exception;
        }
    }
}
