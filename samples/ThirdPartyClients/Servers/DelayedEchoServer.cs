using System.Net;
using Co;

namespace ThirdPartyClients.Servers;

/// <summary>
/// A TCP echo server that holds every request for a fixed delay before echoing it, written with the runtime's own
/// non-blocking socket API (<see cref="Sock"/>) in async coroutines. It stands in for "a remote service that takes a
/// while to answer" for the plain-socket clients (managed <c>Socket</c> and raw libc).
/// </summary>
/// <remarks>
/// It runs on a scheduler of its own: without hooks a client's blocking call holds the client scheduler's thread, and a
/// server sharing that scheduler could then never answer. Protocol: the client sends <see cref="RequestSize"/> bytes,
/// gets the same bytes back after the delay, and the server closes the connection.
/// </remarks>
internal sealed class DelayedEchoServer : IDisposable
{
    /// <summary>The size of a request (and of its echo).</summary>
    public const int RequestSize = 4;

    private readonly nint _listener;
    private readonly Scheduler _scheduler;
    private readonly int _delayMs;

    private DelayedEchoServer(nint listener, Scheduler scheduler, int delayMs)
    {
        _listener = listener;
        _scheduler = scheduler;
        _delayMs = delayMs;
        EndPoint = Sock.LocalEndPoint(listener)!;
    }

    /// <summary>Where it listens (127.0.0.1, a free port).</summary>
    public IPEndPoint EndPoint { get; }

    /// <summary>Requests held at once.</summary>
    public InFlight InFlight { get; } = new();

    /// <summary>Listens on a free loopback port and starts accepting on <paramref name="scheduler"/>.</summary>
    public static DelayedEchoServer Start(Scheduler scheduler, int delayMs)
    {
        nint listener = Listener.OnLoopback();
        var server = new DelayedEchoServer(listener, scheduler, delayMs);
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
            var request = new byte[RequestSize];
            if (await Sock.RecvNAsync(connection, request, 10_000) != RequestSize)
            {
                return;
            }

            InFlight.Enter();
            await Coroutine.SleepAsync(_delayMs);
            InFlight.Exit();
            await Sock.SendAsync(connection, request, 10_000);
        }
        finally
        {
            Sock.Close(connection);
        }
    }
}
