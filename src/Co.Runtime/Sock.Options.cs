using System.Runtime.InteropServices;
using Co.Platform.Linux;

namespace Co;

// Socket options: co's getsockopt, setsockopt, set_nonblock, set_reuseaddr, ..., reset_tcp_socket.
public static partial class Sock
{
    /// <summary>Reads a socket option exactly as the native call does (co's <c>getsockopt</c>).</summary>
    /// <param name="fd">The socket.</param>
    /// <param name="level">The protocol level (e.g. SOL_SOCKET = 1).</param>
    /// <param name="option">The option (e.g. SO_RCVBUF = 8).</param>
    /// <param name="value">Receives the option value.</param>
    /// <param name="length">In: the bytes of <paramref name="value"/> to use; out: the option's length.</param>
    /// <returns>0, or -1 (see <see cref="Error"/>).</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="length"/> is negative or larger than the span.</exception>
    public static unsafe int GetSockOpt(nint fd, int level, int option, Span<byte> value, ref int length)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(length, value.Length);
        if (!ToInt(fd, out int descriptor))
        {
            return FailAnywhere(Errno.EBADF);
        }

        int optionLength = length;
        fixed (byte* data = value)
        {
            if (SocketCalls.GetSockOpt(descriptor, level, option, data, &optionLength) != 0)
            {
                return FailAnywhere(Marshal.GetLastPInvokeError());
            }
        }

        length = optionLength;
        return 0;
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

    /// <summary>Sets a socket option exactly as the native call does (co's <c>setsockopt</c>).</summary>
    /// <returns>0, or -1 (see <see cref="Error"/>).</returns>
    public static unsafe int SetSockOpt(nint fd, int level, int option, ReadOnlySpan<byte> value)
    {
        if (!ToInt(fd, out int descriptor))
        {
            return FailAnywhere(Errno.EBADF);
        }

        fixed (byte* data = value)
        {
            return SocketCalls.SetSockOpt(descriptor, level, option, data, value.Length) == 0
                ? 0
                : FailAnywhere(Marshal.GetLastPInvokeError());
        }
    }

    /// <summary>Sets an integer socket option.</summary>
    /// <returns>0, or -1 (see <see cref="Error"/>).</returns>
    public static int SetSockOpt(nint fd, int level, int option, int value) =>
        SetSockOpt(fd, level, option, BitConverter.GetBytes(value));

    /// <summary>Sets O_NONBLOCK on the descriptor (co's <c>set_nonblock</c>). On failure, <see cref="Error"/> says why.</summary>
    public static void SetNonblock(nint fd)
    {
        if (!ToInt(fd, out int descriptor))
        {
            FailAnywhere(Errno.EBADF);
            return;
        }

        int flags = SocketCalls.Fcntl(descriptor, SocketCalls.FGetfl, 0);
        if (flags < 0 || SocketCalls.Fcntl(descriptor, SocketCalls.FSetfl, flags | SocketCalls.ONonblock) < 0)
        {
            FailAnywhere(Marshal.GetLastPInvokeError());
        }
    }

    /// <summary>Sets SO_REUSEADDR (co's <c>set_reuseaddr</c>): a restarted server can bind its port again at once.</summary>
    public static void SetReuseAddr(nint fd) => SetSockOpt(fd, SocketCalls.SolSocket, SocketCalls.SoReuseaddr, 1);

    /// <summary>Sets SO_RCVBUF (co's <c>set_recv_buffer_size</c>); call it before connecting.</summary>
    public static void SetRecvBufferSize(nint fd, int bytes) => SetSockOpt(fd, SocketCalls.SolSocket, SocketCalls.SoRcvbuf, bytes);

    /// <summary>Sets SO_SNDBUF (co's <c>set_send_buffer_size</c>); call it before connecting.</summary>
    public static void SetSendBufferSize(nint fd, int bytes) => SetSockOpt(fd, SocketCalls.SolSocket, SocketCalls.SoSndbuf, bytes);

    /// <summary>Sets SO_KEEPALIVE (co's <c>set_tcp_keepalive</c>).</summary>
    public static void SetTcpKeepalive(nint fd) => SetSockOpt(fd, SocketCalls.SolSocket, SocketCalls.SoKeepalive, 1);

    /// <summary>Sets TCP_NODELAY (co's <c>set_tcp_nodelay</c>).</summary>
    public static void SetTcpNodelay(nint fd) => SetSockOpt(fd, SocketCalls.IpprotoTcp, SocketCalls.TcpNodelay, 1);

    /// <summary>Resets a TCP connection (co's <c>reset_tcp_socket</c>): SO_LINGER with a zero timeout, then
    /// <see cref="Close"/>, so the peer gets RST and this side skips TIME_WAIT.</summary>
    /// <returns>0, or -1 (see <see cref="Error"/>).</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="ms"/> is negative.</exception>
    public static int ResetTcpSocket(nint fd, int ms = 0)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(ms);
        Span<byte> linger = stackalloc byte[2 * sizeof(int)];
        BitConverter.TryWriteBytes(linger, 1);
        BitConverter.TryWriteBytes(linger[sizeof(int)..], 0);
        SetSockOpt(fd, SocketCalls.SolSocket, SocketCalls.SoLinger, linger);
        return Close(fd, ms);
    }
}
