using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;
using ThirdPartyClients.Servers;

namespace ThirdPartyClients.Clients;

/// <summary>
/// <see cref="SslStream"/> over <see cref="NetworkStream"/>, synchronous end to end: AuthenticateAsClient, Write,
/// Read. The handshake and the records go through NetworkStream's sync Read/Write, i.e. Socket's sync funnels, so the
/// same hooks that serve a plain socket serve TLS; the handshake's CPU work runs on the coroutine's thread.
/// </summary>
internal sealed class SslStreamClient(DemoContext context) : IClient
{
    private X509Certificate2? _certificate;
    private TlsEchoServer? _server;

    public string Id => "sslstream";

    public string Name => "SslStream over NetworkStream (sync)";

    public InFlight InFlight => _server!.InFlight;

    public string? Prepare()
    {
        _certificate = SelfSignedCertificate.Create();
        _server = TlsEchoServer.Start(_certificate, context.DelayMs);
        Request(-1);
        return null;
    }

    public void Request(int id)
    {
        using var tls = new SslStream(Connect(_server!.EndPoint), leaveInnerStreamOpen: false, AcceptOnlyOurCertificate);
        tls.AuthenticateAsClient("localhost");
        byte[] request = BitConverter.GetBytes(id);
        tls.Write(request);
        tls.Flush();
        var reply = new byte[request.Length];
        tls.ReadExactly(reply);
        EchoCheck.Same(request, reply);
    }

    public void Dispose()
    {
        _server?.Dispose();
        _certificate?.Dispose();
    }

    /// <summary>A NetworkStream that owns a socket connected with the sync Connect.</summary>
    private static NetworkStream Connect(IPEndPoint endPoint)
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            socket.Connect(endPoint);
            return new NetworkStream(socket, ownsSocket: true);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    /// <summary>The server's certificate is self-signed, so chain validation fails by design; trust it because it is
    /// the very certificate this process made (same thumbprint), and nothing else.</summary>
    private bool AcceptOnlyOurCertificate(object sender, X509Certificate? certificate, X509Chain? chain, SslPolicyErrors errors) =>
        certificate is not null && _certificate is not null &&
        certificate.GetCertHashString() == _certificate.GetCertHashString() &&
        (errors & ~SslPolicyErrors.RemoteCertificateChainErrors) == SslPolicyErrors.None;
}
