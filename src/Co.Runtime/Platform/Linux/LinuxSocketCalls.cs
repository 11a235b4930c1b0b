using System.Runtime.InteropServices;

namespace Co.Platform.Linux;

/// <summary>
/// <see cref="ISocketCalls"/> on libc (<see cref="SocketCalls"/>) and epoll (<see cref="EpollPoller"/>). Every data call
/// passes MSG_DONTWAIT, so it never blocks even on a descriptor the caller left in blocking mode, and sends pass
/// MSG_NOSIGNAL, so a reset peer gives EPIPE instead of SIGPIPE. EINTR is retried inside; errno is read once, right
/// after the call.
/// </summary>
internal sealed unsafe class LinuxSocketCalls : ISocketCalls
{
    public SocketCodes.Values Codes { get; } = new(Errno.EAGAIN, Errno.EBADF, Errno.ETIMEDOUT, SocketCalls.AfInet, SocketCalls.AfInet6);

    public IPoller CreatePoller(IReadinessSink sink) => new EpollPoller(sink);

    public int Socket(int domain, int type, int protocol, out int fd)
    {
        fd = SocketCalls.Socket(domain, type | SocketCalls.SockNonblock | SocketCalls.SockCloexec, protocol);
        return fd >= 0 ? 0 : Marshal.GetLastPInvokeError();
    }

    public int Bind(int fd, ReadOnlySpan<byte> address)
    {
        fixed (byte* sockaddr = address)
        {
            return SocketCalls.Bind(fd, sockaddr, address.Length) == 0 ? 0 : Marshal.GetLastPInvokeError();
        }
    }

    public int Listen(int fd, int backlog) => SocketCalls.Listen(fd, backlog) == 0 ? 0 : Marshal.GetLastPInvokeError();

    public int Close(int fd)
    {
        // On Linux the descriptor is released even when close reports EINTR.
        int result = SocketCalls.Close(fd);
        return result == 0 || Marshal.GetLastSystemError() == Errno.EINTR ? 0 : result;
    }

    public int Shutdown(int fd, int how) => SocketCalls.Shutdown(fd, how) == 0 ? 0 : Marshal.GetLastPInvokeError();

    public int GetSockOpt(int fd, int level, int option, Span<byte> value, ref int length)
    {
        int optionLength = length;
        fixed (byte* data = value)
        {
            if (SocketCalls.GetSockOpt(fd, level, option, data, &optionLength) != 0)
            {
                return Marshal.GetLastPInvokeError();
            }
        }

        length = optionLength;
        return 0;
    }

    public int SetSockOpt(int fd, int level, int option, ReadOnlySpan<byte> value)
    {
        fixed (byte* data = value)
        {
            return SocketCalls.SetSockOpt(fd, level, option, data, value.Length) == 0 ? 0 : Marshal.GetLastPInvokeError();
        }
    }

    public int SetCommonOption(int fd, CommonSocketOption option, int value)
    {
        (int level, int name) = option switch
        {
            CommonSocketOption.ReuseAddress => (SocketCalls.SolSocket, SocketCalls.SoReuseaddr),
            CommonSocketOption.SendBufferSize => (SocketCalls.SolSocket, SocketCalls.SoSndbuf),
            CommonSocketOption.ReceiveBufferSize => (SocketCalls.SolSocket, SocketCalls.SoRcvbuf),
            CommonSocketOption.KeepAlive => (SocketCalls.SolSocket, SocketCalls.SoKeepalive),
            _ => (SocketCalls.IpprotoTcp, SocketCalls.TcpNodelay),
        };
        return SetSockOpt(fd, level, name, new ReadOnlySpan<byte>(&value, sizeof(int)));
    }

    public int SetAbortiveClose(int fd)
    {
        long linger = 1; // struct linger { int l_onoff = 1; int l_linger = 0; }
        return SetSockOpt(fd, SocketCalls.SolSocket, SocketCalls.SoLinger, new ReadOnlySpan<byte>(&linger, sizeof(long)));
    }

    public int SetNonBlocking(int fd)
    {
        int flags = SocketCalls.Fcntl(fd, SocketCalls.FGetfl, 0);
        return flags >= 0 && SocketCalls.Fcntl(fd, SocketCalls.FSetfl, flags | SocketCalls.ONonblock) >= 0
            ? 0
            : Marshal.GetLastPInvokeError();
    }

    public int GetName(int fd, bool peer, Span<byte> address, out int length)
    {
        fixed (byte* sockaddr = address)
        {
            int size = address.Length;
            int result = peer ? SocketCalls.GetPeerName(fd, sockaddr, &size) : SocketCalls.GetSockName(fd, sockaddr, &size);
            length = result == 0 ? size : 0;
            return result == 0 ? 0 : Marshal.GetLastPInvokeError();
        }
    }

    public int Recv(int fd, Span<byte> buffer, out int received)
    {
        fixed (byte* data = buffer)
        {
            while (true)
            {
                nint result = SocketCalls.Recv(fd, data, buffer.Length, SocketCalls.MsgDontwait);
                if (result >= 0)
                {
                    received = (int)result;
                    return 0;
                }

                int error = Marshal.GetLastPInvokeError();
                if (error != Errno.EINTR)
                {
                    received = -1;
                    return error;
                }
            }
        }
    }

    public int SendAll(int fd, ReadOnlySpan<byte> buffer, ref int done)
    {
        fixed (byte* data = buffer)
        {
            while (done < buffer.Length)
            {
                nint result = SocketCalls.Send(fd, data + done, buffer.Length - done, SocketCalls.MsgDontwait | SocketCalls.MsgNosignal);
                if (result >= 0)
                {
                    done += (int)result;
                    continue;
                }

                int error = Marshal.GetLastPInvokeError();
                if (error != Errno.EINTR)
                {
                    return error;
                }
            }
        }

        return 0;
    }

    public int RecvFrom(int fd, Span<byte> buffer, Span<byte> address, out int addressLength, out int received)
    {
        fixed (byte* data = buffer)
        fixed (byte* from = address)
        {
            while (true)
            {
                int length = address.Length;
                nint result = SocketCalls.RecvFrom(fd, data, buffer.Length, SocketCalls.MsgDontwait, from, &length);
                if (result >= 0)
                {
                    addressLength = length;
                    received = (int)result;
                    return 0;
                }

                int error = Marshal.GetLastPInvokeError();
                if (error != Errno.EINTR)
                {
                    addressLength = 0;
                    received = -1;
                    return error;
                }
            }
        }
    }

    public int SendTo(int fd, ReadOnlySpan<byte> buffer, ReadOnlySpan<byte> address, out int sent)
    {
        fixed (byte* data = buffer)
        fixed (byte* to = address)
        {
            while (true)
            {
                nint result = SocketCalls.SendTo(fd, data, buffer.Length, SocketCalls.MsgDontwait | SocketCalls.MsgNosignal, address.IsEmpty ? null : to, address.Length);
                if (result >= 0)
                {
                    sent = (int)result;
                    return 0;
                }

                int error = Marshal.GetLastPInvokeError();
                if (error != Errno.EINTR)
                {
                    sent = -1;
                    return error;
                }
            }
        }
    }

    public int Accept(int fd, Span<byte> address, out int addressLength, out int accepted)
    {
        fixed (byte* peer = address)
        {
            while (true)
            {
                int length = address.Length;
                int result = SocketCalls.Accept4(fd, address.IsEmpty ? null : peer, address.IsEmpty ? null : &length, SocketCalls.SockNonblock | SocketCalls.SockCloexec);
                if (result >= 0)
                {
                    addressLength = address.IsEmpty ? 0 : length;
                    accepted = result;
                    return 0;
                }

                int error = Marshal.GetLastPInvokeError();
                if (error != Errno.EINTR)
                {
                    addressLength = 0;
                    accepted = -1;
                    return error;
                }
            }
        }
    }

    public int StartConnect(int fd, ReadOnlySpan<byte> address)
    {
        fixed (byte* to = address)
        {
            if (SocketCalls.Connect(fd, to, address.Length) == 0)
            {
                return 0;
            }

            int error = Marshal.GetLastPInvokeError();

            // EINTR: the connection goes on asynchronously, exactly as after EINPROGRESS.
            return error is Errno.EINPROGRESS or Errno.EINTR ? Errno.EAGAIN : error;
        }
    }

    public int ConnectResult(int fd)
    {
        int soError = 0;
        int length = sizeof(int);
        if (SocketCalls.GetSockOpt(fd, SocketCalls.SolSocket, SocketCalls.SoError, (byte*)&soError, &length) != 0)
        {
            return Marshal.GetLastPInvokeError();
        }

        if (soError != 0)
        {
            return soError == Errno.EINPROGRESS ? Errno.EAGAIN : soError;
        }

        // No error yet: connected only if there is a peer (a stale readiness edge can arrive before the handshake ends).
        const int MaxAddressLength = 28; // sockaddr_in6
        byte* peer = stackalloc byte[MaxAddressLength];
        int peerLength = MaxAddressLength;
        if (SocketCalls.GetPeerName(fd, peer, &peerLength) == 0)
        {
            return 0;
        }

        int error = Marshal.GetLastPInvokeError();
        return error == Errno.ENOTCONN ? Errno.EAGAIN : error;
    }

    public bool IsReadyNow(int fd, bool read) => SocketCalls.IsReadyNow(fd, read);
}
