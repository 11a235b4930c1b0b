using Co.Platform;

namespace Co.Net;

/// <summary>
/// One non-blocking attempt at each socket operation, shared by the synchronous forms and the asynchronous ones (both
/// driven by <see cref="ReadinessLoop"/>). Each returns 0 when the operation is done (its result in the out parameter),
/// <see cref="SocketCodes.WouldBlock"/> when it must wait for readiness, or the platform's error code. The system calls
/// are the platform's (<see cref="CurrentPlatform.Sockets"/>); what is kept here is the runtime's own bookkeeping around
/// them: the drained hint of stream receives, receiving a whole buffer, forgetting a stale registration on accept.
/// </summary>
internal static class SocketOps
{
    /// <summary>A stream receive that keeps <paramref name="descriptor"/>'s drained hint: it skips the attempt (as if
    /// it would block) when the last receive drained the queue, and records whether this one did.</summary>
    public static int RecvWithHint(int fd, PollDescriptor? descriptor, Span<byte> buffer, out int received)
    {
        if (descriptor is { ReadDrained: true } && !buffer.IsEmpty)
        {
            descriptor.ReadDrained = false;
            received = -1;
            return SocketCodes.WouldBlock;
        }

        int error = Recv(fd, buffer, out received);
        if (error == 0 && descriptor is not null)
        {
            descriptor.ReadDrained = received > 0 && received < buffer.Length;
        }

        return error;
    }

    public static int Recv(int fd, Span<byte> buffer, out int received) => CurrentPlatform.Sockets.Recv(fd, buffer, out received);

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
    public static int SendAll(int fd, ReadOnlySpan<byte> buffer, ref int done) => CurrentPlatform.Sockets.SendAll(fd, buffer, ref done);

    public static int RecvFrom(int fd, Span<byte> buffer, Span<byte> address, out int addressLength, out int received) =>
        CurrentPlatform.Sockets.RecvFrom(fd, buffer, address, out addressLength, out received);

    public static int SendTo(int fd, ReadOnlySpan<byte> buffer, ReadOnlySpan<byte> address, out int sent) =>
        CurrentPlatform.Sockets.SendTo(fd, buffer, address, out sent);

    /// <summary>Accepts a connection as a non-blocking, close-on-exec socket. Its number may be one the runtime still
    /// has registered from a socket closed behind its back: that registration is forgotten.</summary>
    public static int Accept(int fd, Span<byte> address, out int addressLength, out int accepted)
    {
        int error = CurrentPlatform.Sockets.Accept(fd, address, out addressLength, out accepted);
        if (error == 0)
        {
            PollDescriptorTable.Instance.ForgetStale(accepted);
        }

        return error;
    }

    /// <summary>Starts a connect: 0 when connected at once, WouldBlock while in progress (wait for writability, then
    /// <see cref="ConnectResult"/>), or the failure.</summary>
    public static int StartConnect(int fd, ReadOnlySpan<byte> address) => CurrentPlatform.Sockets.StartConnect(fd, address);

    /// <summary>After writability: the outcome of a connect in progress (0, WouldBlock if still pending, or its error).</summary>
    public static int ConnectResult(int fd) => CurrentPlatform.Sockets.ConnectResult(fd);
}
