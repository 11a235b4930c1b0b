using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace ThirdPartyClients.Servers;

/// <summary>
/// The TLS server's certificate, made at run time so the demo needs no files and no trust store: a self-signed ECDSA
/// P-256 certificate for "localhost" / 127.0.0.1, valid for a day. The TLS client accepts exactly this certificate
/// (by thumbprint) and nothing else.
/// </summary>
internal static class SelfSignedCertificate
{
    /// <summary>A new certificate with its private key (ECDSA: a cheap handshake, so the demo measures waiting, not
    /// RSA arithmetic).</summary>
    public static X509Certificate2 Create()
    {
        using ECDsa key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=localhost", key, HashAlgorithmName.SHA256);
        var names = new SubjectAlternativeNameBuilder();
        names.AddDnsName("localhost");
        names.AddIpAddress(System.Net.IPAddress.Loopback);
        request.CertificateExtensions.Add(names.Build());
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], critical: false)); // serverAuth
        DateTimeOffset now = DateTimeOffset.UtcNow;
        return request.CreateSelfSigned(now.AddMinutes(-5), now.AddDays(1));
    }
}
