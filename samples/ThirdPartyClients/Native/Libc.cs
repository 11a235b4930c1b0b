using System.Net;
using System.Runtime.InteropServices;

namespace ThirdPartyClients.Native;

/// <summary>The BSD socket calls of libc, called directly: what any C library's networking code boils down to.</summary>
internal static unsafe partial class Libc
{
    private const string Library = "libc.so.6";
    private const int AfInet = 2;
    private const int SockStream = 1;

    [LibraryImport(Library, EntryPoint = "socket", SetLastError = true)]
    private static partial int Socket(int domain, int type, int protocol);

    [LibraryImport(Library, EntryPoint = "connect", SetLastError = true)]
    private static partial int Connect(int fd, SockAddrIn* address, uint length);

    [LibraryImport(Library, EntryPoint = "send", SetLastError = true)]
    private static partial nint Send(int fd, byte* buffer, nuint length, int flags);

    [LibraryImport(Library, EntryPoint = "recv", SetLastError = true)]
    private static partial nint Recv(int fd, byte* buffer, nuint length, int flags);

    [LibraryImport(Library, EntryPoint = "close", SetLastError = true)]
    public static partial int Close(int fd);

    /// <summary>A blocking TCP socket connected to <paramref name="endPoint"/> (IPv4); throws with errno's text.</summary>
    public static int ConnectTcp(IPEndPoint endPoint)
    {
        int fd = Check(Socket(AfInet, SockStream, 0), "socket");
        var address = new SockAddrIn
        {
            Family = AfInet,
            PortNetworkOrder = (ushort)IPAddress.HostToNetworkOrder((short)endPoint.Port),
        };
        endPoint.Address.TryWriteBytes(new Span<byte>(address.Address, 4), out _);
        if (Connect(fd, &address, (uint)sizeof(SockAddrIn)) != 0)
        {
            int errno = Marshal.GetLastPInvokeError();
            Close(fd);
            throw new IOException($"connect: {Marshal.GetPInvokeErrorMessage(errno)}");
        }

        return fd;
    }

    /// <summary>send() until all of <paramref name="data"/> is gone.</summary>
    public static void SendAll(int fd, ReadOnlySpan<byte> data)
    {
        fixed (byte* start = data)
        {
            for (int sent = 0; sent < data.Length;)
            {
                sent += (int)Check(Send(fd, start + sent, (nuint)(data.Length - sent), 0), "send");
            }
        }
    }

    /// <summary>recv() until <paramref name="buffer"/> is full; throws at end of stream.</summary>
    public static void ReceiveAll(int fd, Span<byte> buffer)
    {
        fixed (byte* start = buffer)
        {
            for (int received = 0; received < buffer.Length;)
            {
                nint n = Check(Recv(fd, start + received, (nuint)(buffer.Length - received), 0), "recv");
                received += n > 0 ? (int)n : throw new IOException("recv: the server closed the connection early");
            }
        }
    }

    private static T Check<T>(T result, string call) where T : System.Numerics.INumber<T> =>
        result >= T.Zero ? result : throw new IOException($"{call}: {Marshal.GetPInvokeErrorMessage(Marshal.GetLastPInvokeError())}");

    /// <summary>struct sockaddr_in.</summary>
    [StructLayout(LayoutKind.Sequential)]
    private struct SockAddrIn
    {
        public ushort Family;
        public ushort PortNetworkOrder;
        public fixed byte Address[4];
        public fixed byte Zero[8];
    }
}
