using System.ComponentModel;
using System.Runtime.InteropServices;

namespace Co.Platform.Windows;

/// <summary>
/// <see cref="ISocketCalls"/> on Winsock (<see cref="Ws2_32"/>) and an I/O completion port per scheduler
/// (<see cref="IocpPoller"/>). Sockets are created overlapped, non-blocking (FIONBIO) and not inherited; Winsock has
/// no per-call "don't wait" flag, so the data calls rely on the socket being non-blocking, which every socket made by
/// <see cref="Socket"/> and <see cref="Accept"/> is. Error codes are WSA codes (WSAEWOULDBLOCK is the "would block").
/// </summary>
internal sealed unsafe class WindowsSocketCalls : ISocketCalls
{
    public WindowsSocketCalls()
    {
        // Winsock must be started once per process before any call; .NET starts it only when it creates a socket.
        byte* data = stackalloc byte[Ws2_32.StartupDataSize];
        int error = Ws2_32.WSAStartup(Ws2_32.Version22, data);
        if (error != 0)
        {
            throw new Win32Exception(error, "WSAStartup failed");
        }
    }

    public SocketCodes.Values Codes { get; } =
        new(Ws2_32.WsaEWouldBlock, Ws2_32.WsaENotSock, Ws2_32.WsaETimedOut, Ws2_32.AfInet, Ws2_32.AfInet6);

    public IPoller CreatePoller(IReadinessSink sink) => new IocpPoller(sink);

    public int Socket(int domain, int type, int protocol, out int fd)
    {
        nint socket = Ws2_32.WSASocketW(domain, type, protocol, 0, 0, Ws2_32.OverlappedNotInherited);
        if (socket == Ws2_32.InvalidSocket)
        {
            fd = -1;
            return Marshal.GetLastPInvokeError();
        }

        fd = (int)socket;
        int error = SetNonBlocking(fd);
        if (error != 0)
        {
            Ws2_32.CloseSocket(socket);
            fd = -1;
        }

        return error;
    }

    public int Bind(int fd, ReadOnlySpan<byte> address)
    {
        fixed (byte* sockaddr = address)
        {
            return Result(Ws2_32.Bind(fd, sockaddr, address.Length));
        }
    }

    public int Listen(int fd, int backlog) => Result(Ws2_32.Listen(fd, backlog));

    public int Close(int fd) => Ws2_32.CloseSocket(fd);

    public int Shutdown(int fd, int how) => Result(Ws2_32.Shutdown(fd, how));

    public int GetSockOpt(int fd, int level, int option, Span<byte> value, ref int length)
    {
        int optionLength = length;
        fixed (byte* data = value)
        {
            if (Ws2_32.GetSockOpt(fd, level, option, data, &optionLength) != 0)
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
            return Result(Ws2_32.SetSockOpt(fd, level, option, data, value.Length));
        }
    }

    public int SetCommonOption(int fd, CommonSocketOption option, int value)
    {
        (int level, int name) = option switch
        {
            CommonSocketOption.ReuseAddress => (Ws2_32.SolSocket, Ws2_32.SoReuseaddr),
            CommonSocketOption.SendBufferSize => (Ws2_32.SolSocket, Ws2_32.SoSndbuf),
            CommonSocketOption.ReceiveBufferSize => (Ws2_32.SolSocket, Ws2_32.SoRcvbuf),
            CommonSocketOption.KeepAlive => (Ws2_32.SolSocket, Ws2_32.SoKeepalive),
            _ => (Ws2_32.IpprotoTcp, Ws2_32.TcpNodelay),
        };
        return Result(Ws2_32.SetSockOpt(fd, level, name, (byte*)&value, sizeof(int)));
    }

    public int SetAbortiveClose(int fd)
    {
        uint linger = 1; // struct linger { u_short l_onoff = 1; u_short l_linger = 0; }
        return Result(Ws2_32.SetSockOpt(fd, Ws2_32.SolSocket, Ws2_32.SoLinger, (byte*)&linger, sizeof(uint)));
    }

    public int SetNonBlocking(int fd)
    {
        uint on = 1;
        return Result(Ws2_32.IoctlSocket(fd, Ws2_32.FionBio, &on));
    }

    public int GetName(int fd, bool peer, Span<byte> address, out int length)
    {
        fixed (byte* sockaddr = address)
        {
            int size = address.Length;
            int result = peer ? Ws2_32.GetPeerName(fd, sockaddr, &size) : Ws2_32.GetSockName(fd, sockaddr, &size);
            length = result == 0 ? size : 0;
            return Result(result);
        }
    }

    // The data calls make one attempt: WSAEINTR comes only from a blocking call cancelled by WSACancelBlockingCall
    // (Winsock 1.1), never from a non-blocking socket, so there is nothing to retry as Linux retries EINTR.
    public int Recv(int fd, Span<byte> buffer, out int received)
    {
        fixed (byte* data = buffer)
        {
            received = Ws2_32.Recv(fd, data, buffer.Length, 0);
            return received >= 0 ? 0 : Marshal.GetLastPInvokeError();
        }
    }

    public int SendAll(int fd, ReadOnlySpan<byte> buffer, ref int done)
    {
        fixed (byte* data = buffer)
        {
            while (done < buffer.Length)
            {
                int sent = Ws2_32.Send(fd, data + done, buffer.Length - done, 0);
                if (sent < 0)
                {
                    return Marshal.GetLastPInvokeError();
                }

                done += sent;
            }
        }

        return 0;
    }

    public int RecvFrom(int fd, Span<byte> buffer, Span<byte> address, out int addressLength, out int received)
    {
        fixed (byte* data = buffer)
        fixed (byte* from = address)
        {
            int length = address.Length;
            received = Ws2_32.RecvFrom(fd, data, buffer.Length, 0, address.IsEmpty ? null : from, address.IsEmpty ? null : &length);
            int error = received >= 0 ? 0 : Marshal.GetLastPInvokeError();

            // A datagram longer than the buffer: Winsock fills the buffer and reports WSAEMSGSIZE; Linux returns the
            // truncated datagram. The Linux result is kept, so that code behaves the same on both.
            if (error == Ws2_32.WsaEMsgSize)
            {
                received = buffer.Length;
                error = 0;
            }

            addressLength = error == 0 && !address.IsEmpty ? length : 0;
            return error;
        }
    }

    public int SendTo(int fd, ReadOnlySpan<byte> buffer, ReadOnlySpan<byte> address, out int sent)
    {
        fixed (byte* data = buffer)
        fixed (byte* to = address)
        {
            sent = Ws2_32.SendTo(fd, data, buffer.Length, 0, address.IsEmpty ? null : to, address.Length);
            return sent >= 0 ? 0 : Marshal.GetLastPInvokeError();
        }
    }

    public int Accept(int fd, Span<byte> address, out int addressLength, out int accepted)
    {
        fixed (byte* peer = address)
        {
            int length = address.Length;
            nint socket = Ws2_32.Accept(fd, address.IsEmpty ? null : peer, address.IsEmpty ? null : &length);
            accepted = -1;
            addressLength = 0;
            if (socket == Ws2_32.InvalidSocket)
            {
                return Marshal.GetLastPInvokeError();
            }

            // An accepted socket inherits the listener's mode; set it anyway, so that a listener made elsewhere cannot
            // hand out a blocking socket.
            int error = SetNonBlocking((int)socket);
            if (error != 0)
            {
                Ws2_32.CloseSocket(socket);
                return error;
            }

            accepted = (int)socket;
            addressLength = address.IsEmpty ? 0 : length;
            return 0;
        }
    }

    public int StartConnect(int fd, ReadOnlySpan<byte> address)
    {
        fixed (byte* to = address)
        {
            if (Ws2_32.Connect(fd, to, address.Length) == 0)
            {
                return 0;
            }

            int error = Marshal.GetLastPInvokeError();
            return error == Ws2_32.WsaEInProgress ? Ws2_32.WsaEWouldBlock : error;
        }
    }

    public int ConnectResult(int fd)
    {
        int soError = 0;
        int length = sizeof(int);
        if (Ws2_32.GetSockOpt(fd, Ws2_32.SolSocket, Ws2_32.SoError, (byte*)&soError, &length) != 0)
        {
            return Marshal.GetLastPInvokeError();
        }

        if (soError != 0)
        {
            return soError is Ws2_32.WsaEInProgress or Ws2_32.WsaEAlready ? Ws2_32.WsaEWouldBlock : soError;
        }

        // No error yet: connected only if there is a peer (the handshake may not have ended).
        const int MaxAddressLength = 28; // sockaddr_in6
        byte* peer = stackalloc byte[MaxAddressLength];
        int peerLength = MaxAddressLength;
        if (Ws2_32.GetPeerName(fd, peer, &peerLength) == 0)
        {
            return 0;
        }

        int error = Marshal.GetLastPInvokeError();
        return error == Ws2_32.WsaENotConn ? Ws2_32.WsaEWouldBlock : error;
    }

    public bool IsReadyNow(int fd, bool read)
    {
        var entry = new Ws2_32.PollDescriptor { Socket = fd, Events = read ? Ws2_32.PollReadNormal : Ws2_32.PollWriteNormal };
        return Ws2_32.WSAPoll(&entry, 1, 0) > 0;
    }

    /// <summary>0 for a call that returned 0, else its WSA error.</summary>
    private static int Result(int result) => result == 0 ? 0 : Marshal.GetLastPInvokeError();
}
