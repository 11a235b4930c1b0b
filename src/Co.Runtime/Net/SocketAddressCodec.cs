using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using Co.Platform;

namespace Co.Net;

/// <summary>Converts between <see cref="IPEndPoint"/> and <c>sockaddr_in</c> / <c>sockaddr_in6</c> bytes: the same
/// layout on Linux and Windows (a 16-bit family in host order, then the port in network order), with the platform's
/// family numbers (<see cref="SocketCodes"/>).</summary>
internal static class SocketAddressCodec
{
    /// <summary>Large enough for <c>sockaddr_in6</c> (28 bytes); callers stackalloc this much.</summary>
    public const int MaxLength = 28;

    private const int V4Length = 16;
    private const int V6Length = 28;

    /// <summary>Writes <paramref name="address"/> into <paramref name="buffer"/>; returns the sockaddr length.</summary>
    public static int Write(IPEndPoint address, Span<byte> buffer)
    {
        buffer[..MaxLength].Clear();
        BinaryPrimitives.WriteUInt16BigEndian(buffer[2..], (ushort)address.Port);
        if (address.AddressFamily == AddressFamily.InterNetwork)
        {
            BitConverter.TryWriteBytes(buffer, (ushort)SocketCodes.InterNetwork);
            address.Address.TryWriteBytes(buffer.Slice(4, 4), out _);
            return V4Length;
        }

        BitConverter.TryWriteBytes(buffer, (ushort)SocketCodes.InterNetworkV6);
        address.Address.TryWriteBytes(buffer.Slice(8, 16), out _);
        BinaryPrimitives.WriteUInt32LittleEndian(buffer[24..], (uint)address.Address.ScopeId);
        return V6Length;
    }

    /// <summary>Reads a sockaddr of <paramref name="length"/> bytes; null for families other than IPv4 and IPv6.</summary>
    public static IPEndPoint? Read(ReadOnlySpan<byte> buffer, int length)
    {
        if (length < 2)
        {
            return null;
        }

        ushort family = BitConverter.ToUInt16(buffer);
        int port = BinaryPrimitives.ReadUInt16BigEndian(buffer[2..]);
        if (family == SocketCodes.InterNetwork && length >= V4Length)
        {
            return new IPEndPoint(new IPAddress(buffer.Slice(4, 4)), port);
        }

        if (family == SocketCodes.InterNetworkV6 && length >= V6Length)
        {
            long scope = BinaryPrimitives.ReadUInt32LittleEndian(buffer[24..]);
            return new IPEndPoint(new IPAddress(buffer.Slice(8, 16), scope), port);
        }

        return null;
    }
}
