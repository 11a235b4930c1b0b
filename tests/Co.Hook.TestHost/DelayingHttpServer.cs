using System.Net;
using System.Text;
using Co;

/// <summary>
/// A minimal HTTP/1.1 server in async coroutines on one scheduler, on Co.Sock, for the client scenarios (libcurl,
/// HttpClient): it reads a request's head, waits <c>delayMs</c> (a coroutine sleep), answers with a body naming the
/// request path, and closes the connection. It counts the requests it holds at once (read, not yet answered).
/// </summary>
internal sealed class DelayingHttpServer : IDisposable
{
    private readonly nint _listener;
    private readonly Scheduler _scheduler;
    private readonly int _delayMs;
    private int _served;
    private int _pending;
    private int _maxPending;

    private DelayingHttpServer(nint listener, Scheduler scheduler, int delayMs)
    {
        _listener = listener;
        _scheduler = scheduler;
        _delayMs = delayMs;
        Port = Sock.LocalEndPoint(listener)!.Port;
    }

    public int Port { get; }

    public int Served => Volatile.Read(ref _served);

    public int MaxPending => Volatile.Read(ref _maxPending);

    public static string BodyFor(string path) => $"reply for {path}";

    public static DelayingHttpServer Start(Scheduler scheduler, int delayMs)
    {
        nint listener = Sock.TcpSocket();
        Scenarios.Check(listener >= 0, $"socket: {Sock.StrError()}");
        Scenarios.Check(Sock.Bind(listener, new IPEndPoint(IPAddress.Loopback, 0)) == 0, $"bind: {Sock.StrError()}");
        Scenarios.Check(Sock.Listen(listener, 1024) == 0, $"listen: {Sock.StrError()}");
        var server = new DelayingHttpServer(listener, scheduler, delayMs);
        scheduler.Go(server.AcceptLoop);
        return server;
    }

    /// <summary>Forgets the maximum so far (call while no request is held, e.g. after a warm-up).</summary>
    public void ResetMaxPending() => Volatile.Write(ref _maxPending, 0);

    /// <summary>Closes the listener: the accept loop wakes with EBADF and ends.</summary>
    public void Dispose() => Sock.Close(_listener);

    private async Task AcceptLoop()
    {
        while (true)
        {
            nint connection = await Sock.AcceptAsync(_listener);
            if (connection < 0)
            {
                return;
            }

            _scheduler.Go(Serve, connection);
        }
    }

    private async Task Serve(nint connection)
    {
        try
        {
            var head = new byte[4096];
            int length = 0;
            while (head.AsSpan(0, length).IndexOf("\r\n\r\n"u8) < 0)
            {
                int n = await Sock.RecvAsync(connection, head.AsMemory(length), 10_000);
                if (n <= 0 || (length += n) == head.Length)
                {
                    return;
                }
            }

            // "GET /client-17 HTTP/1.1": the path is the second word of the request line.
            string requestLine = Encoding.ASCII.GetString(head, 0, head.AsSpan(0, length).IndexOf("\r\n"u8));
            string[] words = requestLine.Split(' ');
            string path = words.Length == 3 ? words[1] : "?";

            // Coroutines of one scheduler never run in parallel: no lock needed for these counters.
            _maxPending = Math.Max(_maxPending, ++_pending);
            await Coroutine.SleepAsync(_delayMs);
            _pending--;
            byte[] body = Encoding.ASCII.GetBytes(BodyFor(path));
            byte[] reply = Encoding.ASCII.GetBytes($"HTTP/1.1 200 OK\r\nContent-Length: {body.Length}\r\nConnection: close\r\n\r\n");
            if (await Sock.SendAsync(connection, reply.Concat(body).ToArray(), 10_000) > 0)
            {
                Interlocked.Increment(ref _served);
            }
        }
        finally
        {
            Sock.Close(connection);
        }
    }
}
