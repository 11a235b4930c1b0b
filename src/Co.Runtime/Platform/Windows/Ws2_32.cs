using System.Runtime.InteropServices;

namespace Co.Platform.Windows;

/// <summary>
/// The Winsock calls of the coroutine sockets. Each import sets the last P/Invoke error from GetLastError, which is
/// what WSAGetLastError returns; it is read once, right after the call. A SOCKET is pointer-sized, but Windows keeps
/// handle values within 32 bits, so the platform-neutral code carries it as an int (see <see cref="ISocketCalls"/>).
/// </summary>
/// <remarks>Pointers passed in come from stackalloc, pinned spans or fixed statements of the calling frame.</remarks>
internal static unsafe partial class Ws2_32
{
    /// <summary>SOCKET_ERROR and INVALID_SOCKET, as the calls return them.</summary>
    public const int SocketError = -1;
    public static readonly nint InvalidSocket = -1;

    public const int WsaEInval = 10022;
    public const int WsaEWouldBlock = 10035;
    public const int WsaEInProgress = 10036;
    public const int WsaEAlready = 10037;
    public const int WsaENotSock = 10038;
    public const int WsaEMsgSize = 10040;
    public const int WsaENotConn = 10057;
    public const int WsaETimedOut = 10060;

    public const int AfInet = 2;
    public const int AfInet6 = 23;

    /// <summary>WSA_FLAG_OVERLAPPED | WSA_FLAG_NO_HANDLE_INHERIT: the IOCP-capable, close-on-exec socket.</summary>
    public const uint OverlappedNotInherited = 0x01 | 0x80;

    public const int SolSocket = 0xFFFF;
    public const int SoReuseaddr = 0x0004;
    public const int SoKeepalive = 0x0008;
    public const int SoLinger = 0x0080;
    public const int SoSndbuf = 0x1001;
    public const int SoRcvbuf = 0x1002;
    public const int SoError = 0x1007;
    public const int SoType = 0x1008;
    public const int IpprotoTcp = 6;
    public const int TcpNodelay = 1;

    /// <summary>FIONBIO: ioctlsocket's "set non-blocking mode".</summary>
    public const int FionBio = unchecked((int)0x8004667E);

    /// <summary>SIO_BASE_HANDLE: the base provider's socket under any layered service provider.</summary>
    public const uint SioBaseHandle = 0x48000022;

    /// <summary>WSAPoll's POLLRDNORM and POLLWRNORM (WSAPoll refuses POLLPRI), and the error bits it reports.</summary>
    public const short PollReadNormal = 0x0100;
    public const short PollWriteNormal = 0x0010;

    /// <summary>One entry of WSAPoll (WSAPOLLFD).</summary>
    [StructLayout(LayoutKind.Sequential)]
    public struct PollDescriptor
    {
        public nint Socket;
        public short Events;
        public short ReturnedEvents;
    }

    /// <summary>Winsock 2.2, what WSAStartup is asked for.</summary>
    public const ushort Version22 = 0x0202;

    /// <summary>sizeof(WSADATA) on x64 is 408 bytes; the startup call gets this much room.</summary>
    public const int StartupDataSize = 512;

    [LibraryImport("ws2_32.dll")]
    public static partial int WSAStartup(ushort version, byte* data);

    [LibraryImport("ws2_32.dll", SetLastError = true)]
    public static partial nint WSASocketW(int family, int type, int protocol, nint protocolInfo, uint group, uint flags);

    [LibraryImport("ws2_32.dll", EntryPoint = "bind", SetLastError = true)]
    public static partial int Bind(nint socket, byte* address, int length);

    [LibraryImport("ws2_32.dll", EntryPoint = "listen", SetLastError = true)]
    public static partial int Listen(nint socket, int backlog);

    [LibraryImport("ws2_32.dll", EntryPoint = "accept", SetLastError = true)]
    public static partial nint Accept(nint socket, byte* address, int* length);

    [LibraryImport("ws2_32.dll", EntryPoint = "connect", SetLastError = true)]
    public static partial int Connect(nint socket, byte* address, int length);

    [LibraryImport("ws2_32.dll", EntryPoint = "recv", SetLastError = true)]
    public static partial int Recv(nint socket, byte* buffer, int length, int flags);

    [LibraryImport("ws2_32.dll", EntryPoint = "send", SetLastError = true)]
    public static partial int Send(nint socket, byte* buffer, int length, int flags);

    [LibraryImport("ws2_32.dll", EntryPoint = "recvfrom", SetLastError = true)]
    public static partial int RecvFrom(nint socket, byte* buffer, int length, int flags, byte* address, int* addressLength);

    [LibraryImport("ws2_32.dll", EntryPoint = "sendto", SetLastError = true)]
    public static partial int SendTo(nint socket, byte* buffer, int length, int flags, byte* address, int addressLength);

    [LibraryImport("ws2_32.dll", EntryPoint = "closesocket", SetLastError = true)]
    public static partial int CloseSocket(nint socket);

    [LibraryImport("ws2_32.dll", EntryPoint = "shutdown", SetLastError = true)]
    public static partial int Shutdown(nint socket, int how);

    [LibraryImport("ws2_32.dll", EntryPoint = "getsockopt", SetLastError = true)]
    public static partial int GetSockOpt(nint socket, int level, int option, byte* value, int* length);

    [LibraryImport("ws2_32.dll", EntryPoint = "setsockopt", SetLastError = true)]
    public static partial int SetSockOpt(nint socket, int level, int option, byte* value, int length);

    [LibraryImport("ws2_32.dll", EntryPoint = "ioctlsocket", SetLastError = true)]
    public static partial int IoctlSocket(nint socket, int command, uint* argument);

    [LibraryImport("ws2_32.dll", EntryPoint = "getpeername", SetLastError = true)]
    public static partial int GetPeerName(nint socket, byte* address, int* length);

    [LibraryImport("ws2_32.dll", EntryPoint = "getsockname", SetLastError = true)]
    public static partial int GetSockName(nint socket, byte* address, int* length);

    [LibraryImport("ws2_32.dll", SetLastError = true)]
    public static partial int WSAPoll(PollDescriptor* descriptors, uint count, int timeout);

    [LibraryImport("ws2_32.dll", SetLastError = true)]
    public static partial int WSAIoctl(nint socket, uint code, void* input, uint inputLength, void* output, uint outputLength,
        uint* returned, nint overlapped, nint completionRoutine);
}
