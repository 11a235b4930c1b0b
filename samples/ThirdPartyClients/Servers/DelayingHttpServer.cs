using System.Net;
using System.Text;
using Co;

namespace ThirdPartyClients.Servers;

/// <summary>
/// A minimal HTTP/1.1 server in async coroutines (on <see cref="Sock"/>) for the HTTP clients (HttpClient, libcurl): it
/// reads a request's head, holds it for a fixed delay, answers with a body naming the request path, and closes the
/// connection. Adapted from the test host's server of the same name.
/// </summary>
/// <remarks>On a scheduler of its own, for the reason <see cref="DelayedEchoServer"/> gives.</remarks>
internal sealed class DelayingHttpServer : IDisposable
{
    private readonly nint _listener;
    private readonly Scheduler _scheduler;
    private readonly int _delayMs;

    private DelayingHttpServer(nint listener, Scheduler scheduler, int delayMs)
    {
        _listener = listener;
        _scheduler = scheduler;
        _delayMs = delayMs;
        Port = Sock.LocalEndPoint(listener)!.Port;
    }

    /// <summary>The loopback port it listens on.</summary>
    public int Port { get; }

    /// <summary>Requests held at once.</summary>
    public InFlight InFlight { get; } = new();

    /// <summary>The body the server sends for <paramref name="path"/>: clients check they got their own answer.</summary>
    public static string BodyFor(string path) => $"reply for {path}";

    /// <summary>Listens on a free loopback port and starts accepting on <paramref name="scheduler"/>.</summary>
    public static DelayingHttpServer Start(Scheduler scheduler, int delayMs)
    {
        var server = new DelayingHttpServer(Listener.OnLoopback(), scheduler, delayMs);
        scheduler.Go(server.AcceptLoop);
        return server;
    }

    /// <summary>Closes the listener; the accept loop wakes with an error and ends.</summary>
    public void Dispose() => Sock.Close(_listener);

    private async Task AcceptLoop()
    {
        nint connection;
        while ((connection = await Sock.AcceptAsync(_listener)) >= 0)
        {
            _scheduler.Go(Serve, connection);
        }
    }

    private async Task Serve(nint connection)
    {
        try
        {
            string? path = await ReadRequestPath(connection);
            if (path is null)
            {
                return;
            }

            InFlight.Enter();
            await Coroutine.SleepAsync(_delayMs);
            InFlight.Exit();
            byte[] body = Encoding.ASCII.GetBytes(BodyFor(path));
            byte[] head = Encoding.ASCII.GetBytes($"HTTP/1.1 200 OK\r\nContent-Length: {body.Length}\r\nConnection: close\r\n\r\n");
            await Sock.SendAsync(connection, head.Concat(body).ToArray(), 10_000);
        }
        finally
        {
            Sock.Close(connection);
        }
    }

    /// <summary>Reads up to the blank line that ends the head; the path is the request line's second word
    /// ("GET /client-17 HTTP/1.1"). Null if the peer closed or sent more than a head fits in.</summary>
    private static async Task<string?> ReadRequestPath(nint connection)
    {
        var head = new byte[4096];
        int length = 0;
        while (head.AsSpan(0, length).IndexOf("\r\n\r\n"u8) < 0)
        {
            int n = await Sock.RecvAsync(connection, head.AsMemory(length), 10_000);
            if (n <= 0 || (length += n) == head.Length)
            {
                return null;
            }
        }

        string requestLine = Encoding.ASCII.GetString(head, 0, head.AsSpan(0, length).IndexOf("\r\n"u8));
        string[] words = requestLine.Split(' ');
        return words.Length == 3 ? words[1] : "?";
    }
}
