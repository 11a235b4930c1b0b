using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;

namespace ThirdPartyClients.Servers;

/// <summary>
/// A delayed echo server behind TLS, for the <c>SslStream</c> client: .NET's own async <see cref="SslStream"/> over a
/// <see cref="NetworkStream"/>, on the .NET thread pool. It is deliberately not in a coroutine: it shows the hooks leave
/// ordinary .NET code alone, and it keeps answering whatever the client scheduler is doing.
/// </summary>
/// <remarks>Protocol as <see cref="DelayedEchoServer"/>'s, inside the TLS session.</remarks>
internal sealed class TlsEchoServer : IDisposable
{
    private readonly Socket _listener;
    private readonly X509Certificate2 _certificate;
    private readonly int _delayMs;
    private readonly CancellationTokenSource _stop = new();

    private TlsEchoServer(Socket listener, X509Certificate2 certificate, int delayMs)
    {
        _listener = listener;
        _certificate = certificate;
        _delayMs = delayMs;
        EndPoint = (IPEndPoint)listener.LocalEndPoint!;
    }

    /// <summary>Where it listens (127.0.0.1, a free port).</summary>
    public IPEndPoint EndPoint { get; }

    /// <summary>Requests held at once.</summary>
    public InFlight InFlight { get; } = new();

    /// <summary>Listens on a free loopback port with <paramref name="certificate"/> and starts accepting.</summary>
    public static TlsEchoServer Start(X509Certificate2 certificate, int delayMs)
    {
        var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        listener.Listen(1024);
        var server = new TlsEchoServer(listener, certificate, delayMs);
        _ = Task.Run(server.AcceptLoop);
        return server;
    }

    /// <summary>Stops accepting and closes the listener.</summary>
    public void Dispose()
    {
        _stop.Cancel();
        _listener.Dispose();
        _stop.Dispose();
    }

    private async Task AcceptLoop()
    {
        try
        {
            while (true)
            {
                Socket connection = await _listener.AcceptAsync(_stop.Token);
                _ = Task.Run(() => Serve(connection));
            }
        }
        catch (Exception exception) when (exception is OperationCanceledException or ObjectDisposedException or SocketException)
        {
            // Disposed: the demo has finished with this server.
        }
    }

    private async Task Serve(Socket connection)
    {
        try
        {
            await using var tls = new SslStream(new NetworkStream(connection, ownsSocket: true));
            await tls.AuthenticateAsServerAsync(new SslServerAuthenticationOptions { ServerCertificate = _certificate }, _stop.Token);
            var request = new byte[DelayedEchoServer.RequestSize];
            await tls.ReadExactlyAsync(request, _stop.Token);
            InFlight.Enter();
            await Task.Delay(_delayMs, _stop.Token);
            InFlight.Exit();
            await tls.WriteAsync(request, _stop.Token);
            await tls.FlushAsync(_stop.Token);
        }
        catch (Exception exception) when (exception is IOException or OperationCanceledException or ObjectDisposedException or System.Security.Authentication.AuthenticationException)
        {
            // A client that gave up, or shutdown: the client side reports its own failure.
        }
    }
}
