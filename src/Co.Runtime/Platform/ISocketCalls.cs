namespace Co.Platform;

/// <summary>
/// The OS side of the coroutine sockets: one non-blocking attempt at each operation, and the poller that reports
/// readiness. Each attempt returns 0 when done (its result in the out parameter), <see cref="SocketCodes.WouldBlock"/>
/// when it must wait for readiness, or the platform's error code (<see cref="SocketCodes"/>: errno on Linux, WSA codes
/// on Windows). Interrupted calls are retried inside; sends never raise SIGPIPE-like signals.
/// </summary>
internal interface ISocketCalls
{
    /// <summary>The error codes and constants of this platform (read once into <see cref="SocketCodes"/>).</summary>
    SocketCodes.Values Codes { get; }

    /// <summary>A poller for one scheduler, delivering readiness to <paramref name="sink"/>.</summary>
    IPoller CreatePoller(IReadinessSink sink);

    int Recv(int fd, Span<byte> buffer, out int received);

    /// <summary>Sends until all of <paramref name="buffer"/> is sent (done = length).</summary>
    int SendAll(int fd, ReadOnlySpan<byte> buffer, ref int done);

    int RecvFrom(int fd, Span<byte> buffer, Span<byte> address, out int addressLength, out int received);

    int SendTo(int fd, ReadOnlySpan<byte> buffer, ReadOnlySpan<byte> address, out int sent);

    /// <summary>Accepts a connection as a non-blocking, close-on-exec socket.</summary>
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
