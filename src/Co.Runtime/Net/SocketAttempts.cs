namespace Co.Net;

// The attempts of co's synchronous socket calls (Sock.Recv, Sock.Send, ...) for ReadinessLoop.Run: each wraps one
// SocketOps call, waits whenever it would block (co's sockets are non-blocking by design), within the call's deadline.

/// <summary>Sock.Recv: a stream receive that keeps the descriptor's drained hint (<see cref="SocketOps.RecvWithHint"/>).</summary>
internal ref struct RecvAttempt : IReadinessAttempt
{
    private readonly int _fd;
    private readonly Span<byte> _buffer;
    private readonly bool _hinted;
    private readonly long _deadline;
    private PollDescriptor? _polled;

    /// <summary>Receives from <paramref name="fd"/>; <paramref name="hinted"/> says whether the hint may skip an
    /// attempt: not for a zero timeout, where the caller asks "anything now?" and the kernel is always asked.</summary>
    internal RecvAttempt(int fd, Span<byte> buffer, bool hinted, long deadline)
    {
        _fd = fd;
        _buffer = buffer;
        _hinted = hinted;
        _deadline = deadline;
    }

    public IoResult Attempt()
    {
        // Looked up again after a wait: the first wait is what registers the descriptor.
        _polled ??= _hinted ? PollDescriptorTable.Instance.Find(_fd) : null;
        return IoResult.FromAttempt(SocketOps.RecvWithHint(_fd, _polled, _buffer, out int received), received);
    }

    public readonly bool WaitsWhenBlocked() => true;

    public readonly long Deadline() => _deadline;
}

/// <summary>Sock.RecvN: receives until the buffer is full or the peer closed.</summary>
internal ref struct RecvNAttempt : IReadinessAttempt
{
    private readonly int _fd;
    private readonly Span<byte> _buffer;
    private readonly long _deadline;
    private int _done;

    internal RecvNAttempt(int fd, Span<byte> buffer, long deadline)
    {
        _fd = fd;
        _buffer = buffer;
        _deadline = deadline;
    }

    public IoResult Attempt() => IoResult.FromAttempt(SocketOps.RecvN(_fd, _buffer, ref _done, out int received), received);

    public readonly bool WaitsWhenBlocked() => true;

    public readonly long Deadline() => _deadline;
}

/// <summary>Sock.RecvFrom: one receive with its source address, left in the address buffer.</summary>
internal ref struct RecvFromAttempt : IReadinessAttempt
{
    private readonly int _fd;
    private readonly Span<byte> _buffer;
    private readonly Span<byte> _address;
    private readonly long _deadline;

    internal RecvFromAttempt(int fd, Span<byte> buffer, Span<byte> address, long deadline)
    {
        _fd = fd;
        _buffer = buffer;
        _address = address;
        _deadline = deadline;
    }

    /// <summary>The length of the source address the final attempt wrote.</summary>
    internal int AddressLength { get; private set; }

    public IoResult Attempt()
    {
        int error = SocketOps.RecvFrom(_fd, _buffer, _address, out int addressLength, out int received);
        AddressLength = addressLength;
        return IoResult.FromAttempt(error, received);
    }

    public readonly bool WaitsWhenBlocked() => true;

    public readonly long Deadline() => _deadline;
}

/// <summary>Sock.Send: sends the whole buffer, going on after partial sends.</summary>
internal ref struct SendAllAttempt : IReadinessAttempt
{
    private readonly int _fd;
    private readonly ReadOnlySpan<byte> _buffer;
    private readonly long _deadline;
    private int _done;

    internal SendAllAttempt(int fd, ReadOnlySpan<byte> buffer, long deadline)
    {
        _fd = fd;
        _buffer = buffer;
        _deadline = deadline;
    }

    public IoResult Attempt() => IoResult.FromAttempt(SocketOps.SendAll(_fd, _buffer, ref _done), _buffer.Length);

    public readonly bool WaitsWhenBlocked() => true;

    public readonly long Deadline() => _deadline;
}

/// <summary>Sock.SendTo: one datagram to an address (empty: the connected peer).</summary>
internal readonly ref struct SendToAttempt : IReadinessAttempt
{
    private readonly int _fd;
    private readonly ReadOnlySpan<byte> _buffer;
    private readonly ReadOnlySpan<byte> _address;
    private readonly long _deadline;

    internal SendToAttempt(int fd, ReadOnlySpan<byte> buffer, ReadOnlySpan<byte> address, long deadline)
    {
        _fd = fd;
        _buffer = buffer;
        _address = address;
        _deadline = deadline;
    }

    public IoResult Attempt() => IoResult.FromAttempt(SocketOps.SendTo(_fd, _buffer, _address, out int sent), sent);

    public bool WaitsWhenBlocked() => true;

    public long Deadline() => _deadline;
}

/// <summary>Sock.Accept: accepts a connection, with the peer's address left in the address buffer.</summary>
internal ref struct AcceptAttempt : IReadinessAttempt
{
    private readonly int _fd;
    private readonly Span<byte> _address;

    internal AcceptAttempt(int fd, Span<byte> address)
    {
        _fd = fd;
        _address = address;
    }

    /// <summary>The length of the peer address the final attempt wrote.</summary>
    internal int AddressLength { get; private set; }

    public IoResult Attempt()
    {
        int error = SocketOps.Accept(_fd, _address, out int addressLength, out int accepted);
        AddressLength = addressLength;
        return IoResult.FromAttempt(error, accepted);
    }

    public readonly bool WaitsWhenBlocked() => true;

    /// <summary>Accept has no timeout.</summary>
    public readonly long Deadline() => long.MaxValue;
}

/// <summary>A connect in progress, for Sock.Connect and the hooked connect: after each writability, its outcome
/// (<see cref="SocketOps.ConnectResult"/>); the loop starts with a wait (the connect itself was the first attempt).</summary>
internal readonly struct ConnectCompletion : IReadinessAttempt
{
    private readonly int _fd;
    private readonly long _deadline;

    internal ConnectCompletion(int fd, long deadline)
    {
        _fd = fd;
        _deadline = deadline;
    }

    public IoResult Attempt() => IoResult.FromAttempt(SocketOps.ConnectResult(_fd), 0);

    public bool WaitsWhenBlocked() => true;

    public long Deadline() => _deadline;
}
