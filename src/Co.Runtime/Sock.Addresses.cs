using System.Diagnostics.CodeAnalysis;
using System.Net;
using Co.Net;
using Co.Platform;

namespace Co;

// Addresses: co's init_ip_addr, ip_str, to_string and peer.
public static partial class Sock
{
    /// <summary>Builds an address from <paramref name="ip"/> and <paramref name="port"/> (co's <c>init_ip_addr</c>,
    /// both the IPv4 and the IPv6 form). Accepts what <c>inet_pton</c> accepts: an IPv4 dotted quad of decimal parts
    /// without leading zeros, or an IPv6 address without brackets, port or scope.</summary>
    /// <returns>False for text <c>inet_pton</c> rejects or a port outside 0–65535.</returns>
    public static bool InitIpAddr(string? ip, int port, [NotNullWhen(true)] out IPEndPoint? address)
    {
        address = null;
        if (ip is null || port is < IPEndPoint.MinPort or > IPEndPoint.MaxPort)
        {
            return false;
        }

        IPAddress? parsed;
        if (ip.Contains(':'))
        {
            if (ip.AsSpan().IndexOfAny("[]%") >= 0 || !IPAddress.TryParse(ip, out parsed))
            {
                return false;
            }
        }
        else if (!TryParseDottedQuad(ip, out parsed))
        {
            return false;
        }

        address = new IPEndPoint(parsed, port);
        return true;
    }

    /// <summary>The IP of <paramref name="address"/> as text, e.g. "127.0.0.1" or "::1" (co's <c>ip_str</c>).</summary>
    /// <exception cref="ArgumentNullException"><paramref name="address"/> is null.</exception>
    public static string IpStr(IPEndPoint address)
    {
        ArgumentNullException.ThrowIfNull(address);
        return address.Address.ToString();
    }

    /// <summary>"ip:port" for IPv4, "[ip]:port" for IPv6 (co's <c>to_string</c>).</summary>
    /// <exception cref="ArgumentNullException"><paramref name="address"/> is null.</exception>
    public static string ToString(IPEndPoint address)
    {
        ArgumentNullException.ThrowIfNull(address);
        return address.ToString();
    }

    /// <summary>The peer's address as "ip:port" (co's <c>peer</c>), or "" if the socket has no peer.</summary>
    public static string Peer(nint fd) => Name(fd, peer: true) is { } address ? ToString(address) : "";

    /// <summary>The address the socket is bound to (useful after binding port 0), or null on error.</summary>
    public static IPEndPoint? LocalEndPoint(nint fd) => Name(fd, peer: false);

    /// <summary>IPv4 as <c>inet_pton</c> reads it: four decimal parts of 0–255, no leading zeros, nothing else.</summary>
    private static bool TryParseDottedQuad(string text, [NotNullWhen(true)] out IPAddress? address)
    {
        address = null;
        Span<byte> bytes = stackalloc byte[4];
        int part = 0;
        int value = -1;
        foreach (char c in text)
        {
            if (c == '.')
            {
                if (value < 0 || part == 3)
                {
                    return false;
                }

                bytes[part++] = (byte)value;
                value = -1;
            }
            else if (c is >= '0' and <= '9' && value != 0)
            {
                value = (value < 0 ? 0 : value * 10) + (c - '0');
                if (value > 255)
                {
                    return false;
                }
            }
            else
            {
                return false; // a non-digit, or a digit after a leading zero
            }
        }

        if (value < 0 || part != 3)
        {
            return false;
        }

        bytes[3] = (byte)value;
        address = new IPAddress(bytes);
        return true;
    }

    private static IPEndPoint? Name(nint fd, bool peer)
    {
        if (!ToInt(fd, out int descriptor))
        {
            FailAnywhere(SocketCodes.BadDescriptor);
            return null;
        }

        Span<byte> sockaddr = stackalloc byte[SocketAddressCodec.MaxLength];
        int error = CurrentPlatform.Sockets.GetName(descriptor, peer, sockaddr, out int length);
        if (error != 0)
        {
            FailAnywhere(error);
            return null;
        }

        return SocketAddressCodec.Read(sockaddr[..length], length);
    }
}
