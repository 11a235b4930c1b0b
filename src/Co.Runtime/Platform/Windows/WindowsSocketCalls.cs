namespace Co.Platform.Windows;

/// <summary>
/// <see cref="ISocketCalls"/> for Windows: the scheduler's poller (<see cref="IocpPoller"/>) and Winsock's codes. The
/// socket operations on Winsock are not built yet; the coroutine sockets (Sock, IoEvent) throw
/// <see cref="PlatformNotSupportedException"/> on Windows before they reach these, and so do these.
/// </summary>
internal sealed class WindowsSocketCalls : ISocketCalls
{
    private const int WsaEWouldBlock = 10035;
    private const int WsaENotSock = 10038;
    private const int WsaETimedOut = 10060;
    private const int AfInet = 2;
    private const int AfInet6 = 23;

    public SocketCodes.Values Codes { get; } = new(WsaEWouldBlock, WsaENotSock, WsaETimedOut, AfInet, AfInet6);

    public IPoller CreatePoller(IReadinessSink sink) => new IocpPoller();

    public int Recv(int fd, Span<byte> buffer, out int received) => throw PlatformSupport.SocketsUnsupported();

    public int SendAll(int fd, ReadOnlySpan<byte> buffer, ref int done) => throw PlatformSupport.SocketsUnsupported();

    public int RecvFrom(int fd, Span<byte> buffer, Span<byte> address, out int addressLength, out int received) =>
        throw PlatformSupport.SocketsUnsupported();

    public int SendTo(int fd, ReadOnlySpan<byte> buffer, ReadOnlySpan<byte> address, out int sent) =>
        throw PlatformSupport.SocketsUnsupported();

    public int Accept(int fd, Span<byte> address, out int addressLength, out int accepted) =>
        throw PlatformSupport.SocketsUnsupported();

    public int StartConnect(int fd, ReadOnlySpan<byte> address) => throw PlatformSupport.SocketsUnsupported();

    public int ConnectResult(int fd) => throw PlatformSupport.SocketsUnsupported();

    public bool IsReadyNow(int fd, bool read) => throw PlatformSupport.SocketsUnsupported();
}
