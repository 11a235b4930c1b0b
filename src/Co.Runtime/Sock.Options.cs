using Co.Platform;

namespace Co;

// Socket options: co's getsockopt, setsockopt, set_nonblock, set_reuseaddr, ..., reset_tcp_socket.
public static partial class Sock
{
    /// <summary>Reads a socket option exactly as the native call does (co's <c>getsockopt</c>), with the platform's
    /// numbers.</summary>
    /// <param name="fd">The socket.</param>
    /// <param name="level">The protocol level (e.g. SOL_SOCKET: 1 on Linux, 0xFFFF on Windows).</param>
    /// <param name="option">The option (e.g. SO_RCVBUF: 8 on Linux, 0x1002 on Windows).</param>
    /// <param name="value">Receives the option value.</param>
    /// <param name="length">In: the bytes of <paramref name="value"/> to use; out: the option's length.</param>
    /// <returns>0, or -1 (see <see cref="Error"/>).</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="length"/> is negative or larger than the span.</exception>
    public static int GetSockOpt(nint fd, int level, int option, Span<byte> value, ref int length)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(length, value.Length);
        if (!ToInt(fd, out int descriptor))
        {
            return FailAnywhere(SocketCodes.BadDescriptor);
        }

        return Outcome(CurrentPlatform.Sockets.GetSockOpt(descriptor, level, option, value, ref length));
    }

    /// <summary>Reads an integer socket option.</summary>
    /// <returns>0, or -1 (see <see cref="Error"/>).</returns>
    public static int GetSockOpt(nint fd, int level, int option, out int value)
    {
        Span<byte> bytes = stackalloc byte[sizeof(int)];
        int length = sizeof(int);
        int result = GetSockOpt(fd, level, option, bytes, ref length);
        value = result == 0 ? BitConverter.ToInt32(bytes) : 0;
        return result;
    }

    /// <summary>Sets a socket option exactly as the native call does (co's <c>setsockopt</c>), with the platform's
    /// numbers.</summary>
    /// <returns>0, or -1 (see <see cref="Error"/>).</returns>
    public static int SetSockOpt(nint fd, int level, int option, ReadOnlySpan<byte> value)
    {
        if (!ToInt(fd, out int descriptor))
        {
            return FailAnywhere(SocketCodes.BadDescriptor);
        }

        return Outcome(CurrentPlatform.Sockets.SetSockOpt(descriptor, level, option, value));
    }

    /// <summary>Sets an integer socket option.</summary>
    /// <returns>0, or -1 (see <see cref="Error"/>).</returns>
    public static int SetSockOpt(nint fd, int level, int option, int value) =>
        SetSockOpt(fd, level, option, BitConverter.GetBytes(value));

    /// <summary>Makes the socket non-blocking (co's <c>set_nonblock</c>: O_NONBLOCK on Linux, FIONBIO on Windows). On
    /// failure, <see cref="Error"/> says why.</summary>
    public static void SetNonblock(nint fd)
    {
        if (!ToInt(fd, out int descriptor))
        {
            FailAnywhere(SocketCodes.BadDescriptor);
            return;
        }

        Outcome(CurrentPlatform.Sockets.SetNonBlocking(descriptor));
    }

    /// <summary>Sets SO_REUSEADDR (co's <c>set_reuseaddr</c>): a restarted server can bind its port again at once.</summary>
    public static void SetReuseAddr(nint fd) => SetCommonOption(fd, CommonSocketOption.ReuseAddress, 1);

    /// <summary>Sets SO_RCVBUF (co's <c>set_recv_buffer_size</c>); call it before connecting.</summary>
    public static void SetRecvBufferSize(nint fd, int bytes) => SetCommonOption(fd, CommonSocketOption.ReceiveBufferSize, bytes);

    /// <summary>Sets SO_SNDBUF (co's <c>set_send_buffer_size</c>); call it before connecting.</summary>
    public static void SetSendBufferSize(nint fd, int bytes) => SetCommonOption(fd, CommonSocketOption.SendBufferSize, bytes);

    /// <summary>Sets SO_KEEPALIVE (co's <c>set_tcp_keepalive</c>).</summary>
    public static void SetTcpKeepalive(nint fd) => SetCommonOption(fd, CommonSocketOption.KeepAlive, 1);

    /// <summary>Sets TCP_NODELAY (co's <c>set_tcp_nodelay</c>).</summary>
    public static void SetTcpNodelay(nint fd) => SetCommonOption(fd, CommonSocketOption.NoDelay, 1);

    /// <summary>Resets a TCP connection (co's <c>reset_tcp_socket</c>): SO_LINGER with a zero timeout, then
    /// <see cref="Close"/>, so the peer gets RST and this side skips TIME_WAIT.</summary>
    /// <returns>0, or -1 (see <see cref="Error"/>).</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="ms"/> is negative.</exception>
    public static int ResetTcpSocket(nint fd, int ms = 0)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(ms);
        if (ToInt(fd, out int descriptor))
        {
            Outcome(CurrentPlatform.Sockets.SetAbortiveClose(descriptor));
        }

        return Close(fd, ms);
    }

    /// <summary>Sets <paramref name="option"/>; on failure, <see cref="Error"/> says why.</summary>
    private static void SetCommonOption(nint fd, CommonSocketOption option, int value)
    {
        if (!ToInt(fd, out int descriptor))
        {
            FailAnywhere(SocketCodes.BadDescriptor);
            return;
        }

        Outcome(CurrentPlatform.Sockets.SetCommonOption(descriptor, option, value));
    }
}
