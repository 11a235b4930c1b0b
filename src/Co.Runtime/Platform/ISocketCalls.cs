namespace Co.Platform;

/// <summary>
/// The OS side of the coroutine sockets: one non-blocking attempt at each operation, the calls around them (create,
/// bind, options, names, close) and the poller that reports readiness. Each call returns 0 when done (its result in the
/// out parameter), <see cref="SocketCodes.WouldBlock"/> when it must wait for readiness, or the platform's error code
/// (<see cref="SocketCodes"/>: errno on Linux, WSA codes on Windows). Interrupted calls are retried inside; sends never
/// raise SIGPIPE-like signals. Descriptors are ints: a Linux descriptor, or a Windows SOCKET handle (Windows keeps
/// handle values within 32 bits, so that 32- and 64-bit processes can share them).
/// </summary>
internal interface ISocketCalls
{
    /// <summary>The error codes and constants of this platform (read once into <see cref="SocketCodes"/>).</summary>
    SocketCodes.Values Codes { get; }

    /// <summary>A poller for one scheduler, delivering readiness to <paramref name="sink"/>.</summary>
    IPoller CreatePoller(IReadinessSink sink);

    /// <summary>Creates a socket as the native call does, but non-blocking and not inherited by child processes.</summary>
    int Socket(int domain, int type, int protocol, out int fd);

    int Bind(int fd, ReadOnlySpan<byte> address);

    int Listen(int fd, int backlog);

    /// <summary>Closes <paramref name="fd"/>: 0, or -1 with the error left as the thread's last system error
    /// (<see cref="System.Runtime.InteropServices.Marshal.GetLastSystemError"/>), as the close gate reads it. An
    /// interrupted close counts as done: the descriptor is released, and retrying could close a reused number.</summary>
    int Close(int fd);

    /// <summary>Shuts down reading (0), writing (1) or both (2) — the same numbers on every platform.</summary>
    int Shutdown(int fd, int how);

    /// <summary>getsockopt: <paramref name="length"/> is in/out, as the native call's.</summary>
    int GetSockOpt(int fd, int level, int option, Span<byte> value, ref int length);

    int SetSockOpt(int fd, int level, int option, ReadOnlySpan<byte> value);

    /// <summary>Sets one of the options co's helpers set (SO_REUSEADDR, ...), by this platform's level and name.</summary>
    int SetCommonOption(int fd, CommonSocketOption option, int value);

    /// <summary>Makes the next close reset the connection (SO_LINGER on, zero timeout), in this platform's layout.</summary>
    int SetAbortiveClose(int fd);

    /// <summary>Makes <paramref name="fd"/> non-blocking (O_NONBLOCK, FIONBIO).</summary>
    int SetNonBlocking(int fd);

    /// <summary>The socket's own (<paramref name="peer"/> false) or its peer's address, as sockaddr bytes.</summary>
    int GetName(int fd, bool peer, Span<byte> address, out int length);

    int Recv(int fd, Span<byte> buffer, out int received);

    /// <summary>Sends until all of <paramref name="buffer"/> is sent (done = length).</summary>
    int SendAll(int fd, ReadOnlySpan<byte> buffer, ref int done);

    int RecvFrom(int fd, Span<byte> buffer, Span<byte> address, out int addressLength, out int received);

    int SendTo(int fd, ReadOnlySpan<byte> buffer, ReadOnlySpan<byte> address, out int sent);

    /// <summary>Accepts a connection as a non-blocking socket not inherited by child processes.</summary>
    int Accept(int fd, Span<byte> address, out int addressLength, out int accepted);

    /// <summary>Starts a connect: 0 when connected at once, WouldBlock while in progress (wait for writability, then
    /// <see cref="ConnectResult"/>), or the failure.</summary>
    int StartConnect(int fd, ReadOnlySpan<byte> address);

    /// <summary>After writability: the outcome of a connect in progress (0, WouldBlock if still pending, or its error).</summary>
    int ConnectResult(int fd);

    /// <summary>Whether <paramref name="fd"/> is readable (<paramref name="read"/>) or writable now, or has an error or
    /// hang-up to report: a zero-timeout poll.</summary>
    bool IsReadyNow(int fd, bool read);
}

/// <summary>The socket options co's helpers set (<c>set_reuseaddr</c>, <c>set_tcp_nodelay</c>, ...), whose level and
/// name numbers differ between platforms.</summary>
internal enum CommonSocketOption
{
    ReuseAddress,
    SendBufferSize,
    ReceiveBufferSize,
    KeepAlive,
    NoDelay,
}
