using System.Runtime.InteropServices;
using Co.Platform.Linux;

namespace Co.Net;

/// <summary>
/// One non-blocking attempt at each socket operation, shared by the synchronous forms (which wait on the thread)
/// and the asynchronous ones (which retry from <see cref="IoOperation"/>). Each returns 0 when the operation is done
/// (its result in the out parameter), <see cref="Errno.EAGAIN"/> when it must wait for readiness, or the errno of
/// its failure. EINTR is retried inside. Every data call passes MSG_DONTWAIT, so it never blocks even on a descriptor
/// the caller left in blocking mode, and sends pass MSG_NOSIGNAL, so a reset peer gives EPIPE instead of SIGPIPE.
/// </summary>
internal static unsafe class SocketOps
{
    /// <summary>A stream receive that keeps <paramref name="descriptor"/>'s drained hint: it skips the attempt (as if
    /// EAGAIN) when the last receive drained the queue, and records whether this one did.</summary>
    public static int RecvWithHint(int fd, PollDescriptor? descriptor, Span<byte> buffer, out int received)
    {
        if (descriptor is { ReadDrained: true } && !buffer.IsEmpty)
        {
            descriptor.ReadDrained = false;
            received = -1;
            return Errno.EAGAIN;
        }

        int error = Recv(fd, buffer, out received);
        if (error == 0 && descriptor is not null)
        {
            descriptor.ReadDrained = received > 0 && received < buffer.Length;
        }

        return error;
    }

    public static int Recv(int fd, Span<byte> buffer, out int received)
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

    /// <summary>Receives until <paramref name="buffer"/>[<paramref name="done"/>..] is full (done = length) or the
    /// peer closed (received = 0).</summary>
    public static int RecvN(int fd, Span<byte> buffer, ref int done, out int received)
    {
        while (done < buffer.Length)
        {
            int error = Recv(fd, buffer[done..], out int chunk);
            if (error != 0)
            {
                received = -1;
                return error;
            }

            if (chunk == 0)
            {
                received = 0;
                return 0;
            }

            done += chunk;
        }

        received = buffer.Length;
        return 0;
    }

    /// <summary>Sends until all of <paramref name="buffer"/> is sent (done = length).</summary>
    public static int SendAll(int fd, ReadOnlySpan<byte> buffer, ref int done)
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

    public static int RecvFrom(int fd, Span<byte> buffer, Span<byte> address, out int addressLength, out int received)
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

    public static int SendTo(int fd, ReadOnlySpan<byte> buffer, ReadOnlySpan<byte> address, out int sent)
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

    /// <summary>Accepts a connection as a non-blocking, close-on-exec socket.</summary>
    public static int Accept(int fd, Span<byte> address, out int addressLength, out int accepted)
    {
        fixed (byte* peer = address)
        {
            while (true)
            {
                int length = address.Length;
                int result = SocketCalls.Accept4(fd, address.IsEmpty ? null : peer, address.IsEmpty ? null : &length, SocketCalls.SockNonblock | SocketCalls.SockCloexec);
                if (result >= 0)
                {
                    PollDescriptorTable.Instance.ForgetStale(result);
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

    /// <summary>Starts a connect: 0 when connected at once, EINPROGRESS (reported as EAGAIN: wait for writability,
    /// then <see cref="ConnectResult"/>), or the failure.</summary>
    public static int StartConnect(int fd, ReadOnlySpan<byte> address)
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

    /// <summary>After writability: the outcome of a connect in progress (0, EAGAIN if still pending, or its error).</summary>
    public static int ConnectResult(int fd)
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
        byte* peer = stackalloc byte[SocketAddressCodec.MaxLength];
        int peerLength = SocketAddressCodec.MaxLength;
        if (SocketCalls.GetPeerName(fd, peer, &peerLength) == 0)
        {
            return 0;
        }

        int error = Marshal.GetLastPInvokeError();
        return error == Errno.ENOTCONN ? Errno.EAGAIN : error;
    }
}
