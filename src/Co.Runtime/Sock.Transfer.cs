using System.Net;
using System.Runtime.InteropServices;
using Co.Net;
using Co.Platform;
using Co.Scheduling;
using Co.Waiting;

namespace Co;

// Receiving and sending: co's recv, recvn, recvfrom, send, sendto, in sync and async forms.
public static partial class Sock
{
    /// <summary>Receives into <paramref name="buffer"/>, waiting until some data arrives (co's <c>recv</c>).</summary>
    /// <returns>The bytes received (at most the buffer's length), 0 if the peer closed, -1 on error or timeout.</returns>
    /// <exception cref="InvalidOperationException">Called outside a coroutine.</exception>
    public static int Recv(nint fd, Span<byte> buffer, int ms = -1)
    {
        RequireCoroutineWorker(nameof(Recv), ms, out CoroutineBase coroutine);
        if (!ToInt(fd, out int descriptor))
        {
            return Fail(coroutine, SocketCodes.BadDescriptor);
        }

        // With a zero timeout the caller asks "anything now?": always ask the kernel.
        var attempt = new RecvAttempt(descriptor, buffer, hinted: ms != 0, DeadlineOf(ms));
        return Finish(coroutine, ReadinessLoop.Run(descriptor, read: true, ref attempt, attempt.Attempt()));
    }

    /// <summary>As <see cref="Recv(nint, Span{byte}, int)"/>, into <paramref name="count"/> bytes of
    /// <paramref name="buffer"/> from <paramref name="offset"/>.</summary>
    /// <exception cref="ArgumentNullException"><paramref name="buffer"/> is null.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="offset"/> or <paramref name="count"/> is outside the buffer.</exception>
    public static int Recv(nint fd, byte[] buffer, int offset, int count, int ms = -1) =>
        Recv(fd, Slice(buffer, offset, count), ms);

    /// <summary>Receives exactly <c>buffer.Length</c> bytes (co's <c>recvn</c>).</summary>
    /// <returns>The buffer's length, 0 if the peer closed first, -1 on error or timeout.</returns>
    /// <exception cref="InvalidOperationException">Called outside a coroutine.</exception>
    public static int RecvN(nint fd, Span<byte> buffer, int ms = -1)
    {
        RequireCoroutineWorker(nameof(RecvN), ms, out CoroutineBase coroutine);
        if (!ToInt(fd, out int descriptor))
        {
            return Fail(coroutine, SocketCodes.BadDescriptor);
        }

        var attempt = new RecvNAttempt(descriptor, buffer, DeadlineOf(ms));
        return Finish(coroutine, ReadinessLoop.Run(descriptor, read: true, ref attempt, attempt.Attempt()));
    }

    /// <summary>As <see cref="RecvN(nint, Span{byte}, int)"/>, into a slice of <paramref name="buffer"/>.</summary>
    /// <exception cref="ArgumentNullException"><paramref name="buffer"/> is null.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="offset"/> or <paramref name="count"/> is outside the buffer.</exception>
    public static int RecvN(nint fd, byte[] buffer, int offset, int count, int ms = -1) =>
        RecvN(fd, Slice(buffer, offset, count), ms);

    /// <summary>Receives one datagram (or stream data) and its source address (co's <c>recvfrom</c>).</summary>
    /// <returns>The bytes received, 0 if the peer closed (streams), -1 on error or timeout.</returns>
    /// <exception cref="InvalidOperationException">Called outside a coroutine.</exception>
    public static int RecvFrom(nint fd, Span<byte> buffer, out IPEndPoint? from, int ms = -1)
    {
        RequireCoroutineWorker(nameof(RecvFrom), ms, out CoroutineBase coroutine);
        from = null;
        if (!ToInt(fd, out int descriptor))
        {
            return Fail(coroutine, SocketCodes.BadDescriptor);
        }

        Span<byte> address = stackalloc byte[SocketAddressCodec.MaxLength];
        var attempt = new RecvFromAttempt(descriptor, buffer, address, DeadlineOf(ms));
        IoResult result = ReadinessLoop.Run(descriptor, read: true, ref attempt, attempt.Attempt());
        if (result.IsDone)
        {
            from = SocketAddressCodec.Read(address, attempt.AddressLength);
        }

        return Finish(coroutine, result);
    }

    /// <summary>Sends all of <paramref name="buffer"/> (co's <c>send</c>), waiting as the send buffer drains.</summary>
    /// <returns>The buffer's length, or -1 on error or timeout (some bytes may have been sent).</returns>
    /// <exception cref="InvalidOperationException">Called outside a coroutine.</exception>
    public static int Send(nint fd, ReadOnlySpan<byte> buffer, int ms = -1)
    {
        RequireCoroutineWorker(nameof(Send), ms, out CoroutineBase coroutine);
        if (!ToInt(fd, out int descriptor))
        {
            return Fail(coroutine, SocketCodes.BadDescriptor);
        }

        var attempt = new SendAllAttempt(descriptor, buffer, DeadlineOf(ms));
        return Finish(coroutine, ReadinessLoop.Run(descriptor, read: false, ref attempt, attempt.Attempt()));
    }

    /// <summary>As <see cref="Send(nint, ReadOnlySpan{byte}, int)"/>, from a slice of <paramref name="buffer"/>.</summary>
    /// <exception cref="ArgumentNullException"><paramref name="buffer"/> is null.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="offset"/> or <paramref name="count"/> is outside the buffer.</exception>
    public static int Send(nint fd, byte[] buffer, int offset, int count, int ms = -1) =>
        Send(fd, Slice(buffer, offset, count), ms);

    /// <summary>Sends one datagram to <paramref name="to"/> (co's <c>sendto</c>); with a null address it is
    /// <see cref="Send(nint, ReadOnlySpan{byte}, int)"/> for a single call. A UDP datagram holds at most 65,507 bytes
    /// over IPv4: larger ones fail with EMSGSIZE.</summary>
    /// <returns>The bytes sent, or -1 on error or timeout.</returns>
    /// <exception cref="InvalidOperationException">Called outside a coroutine.</exception>
    public static int SendTo(nint fd, ReadOnlySpan<byte> buffer, IPEndPoint? to, int ms = -1)
    {
        RequireCoroutineWorker(nameof(SendTo), ms, out CoroutineBase coroutine);
        if (!ToInt(fd, out int descriptor))
        {
            return Fail(coroutine, SocketCodes.BadDescriptor);
        }

        Span<byte> address = stackalloc byte[SocketAddressCodec.MaxLength];
        int addressLength = to is null ? 0 : SocketAddressCodec.Write(to, address);
        var attempt = new SendToAttempt(descriptor, buffer, address[..addressLength], DeadlineOf(ms));
        return Finish(coroutine, ReadinessLoop.Run(descriptor, read: false, ref attempt, attempt.Attempt()));
    }

    /// <summary>The async form of <see cref="Recv(nint, Span{byte}, int)"/>, for async coroutines.</summary>
    /// <exception cref="InvalidOperationException">Called outside a coroutine.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled (from the await).</exception>
    public static ValueTask<int> RecvAsync(nint fd, Memory<byte> buffer, int ms = -1, CancellationToken cancellationToken = default)
    {
        Worker worker = RequireCoroutineWorker(nameof(RecvAsync), ms, out CoroutineBase coroutine);
        if (cancellationToken.IsCancellationRequested)
        {
            return ValueTask.FromCanceled<int>(cancellationToken);
        }

        if (!ToInt(fd, out int descriptor))
        {
            return new ValueTask<int>(Fail(coroutine, SocketCodes.BadDescriptor));
        }

        PollDescriptor? polled = ms == 0 ? null : PollDescriptorTable.Instance.Find(descriptor);
        int error = SocketOps.RecvWithHint(descriptor, polled, buffer.Span, out int received);
        return AwaitTransfer(worker, coroutine, descriptor, IoResult.FromAttempt(error, received), read: true, IoOperation.OperationKind.Recv, buffer, 0, ms, cancellationToken);
    }

    /// <summary>The async form of <see cref="RecvN(nint, Span{byte}, int)"/>, for async coroutines.</summary>
    /// <exception cref="InvalidOperationException">Called outside a coroutine.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled (from the await).</exception>
    public static ValueTask<int> RecvNAsync(nint fd, Memory<byte> buffer, int ms = -1, CancellationToken cancellationToken = default)
    {
        Worker worker = RequireCoroutineWorker(nameof(RecvNAsync), ms, out CoroutineBase coroutine);
        if (cancellationToken.IsCancellationRequested)
        {
            return ValueTask.FromCanceled<int>(cancellationToken);
        }

        if (!ToInt(fd, out int descriptor))
        {
            return new ValueTask<int>(Fail(coroutine, SocketCodes.BadDescriptor));
        }

        int done = 0;
        int error = SocketOps.RecvN(descriptor, buffer.Span, ref done, out int received);
        return AwaitTransfer(worker, coroutine, descriptor, IoResult.FromAttempt(error, received), read: true, IoOperation.OperationKind.RecvN, buffer, done, ms, cancellationToken);
    }

    /// <summary>The async form of <see cref="Send(nint, ReadOnlySpan{byte}, int)"/>, for async coroutines.</summary>
    /// <exception cref="InvalidOperationException">Called outside a coroutine.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled (from the await).</exception>
    public static ValueTask<int> SendAsync(nint fd, ReadOnlyMemory<byte> buffer, int ms = -1, CancellationToken cancellationToken = default)
    {
        Worker worker = RequireCoroutineWorker(nameof(SendAsync), ms, out CoroutineBase coroutine);
        if (cancellationToken.IsCancellationRequested)
        {
            return ValueTask.FromCanceled<int>(cancellationToken);
        }

        if (!ToInt(fd, out int descriptor))
        {
            return new ValueTask<int>(Fail(coroutine, SocketCodes.BadDescriptor));
        }

        int done = 0;
        int error = SocketOps.SendAll(descriptor, buffer.Span, ref done);

        // The operation only reads the buffer; Memory<byte> is how the pooled operation state holds either direction.
        Memory<byte> data = MemoryMarshal.AsMemory(buffer);
        return AwaitTransfer(worker, coroutine, descriptor, IoResult.FromAttempt(error, buffer.Length), read: false, IoOperation.OperationKind.Send, data, done, ms, cancellationToken);
    }

    /// <summary>After a first attempt that gave <paramref name="first"/>: its result, or a wait for readiness that lets
    /// the operation finish on the scheduler (<see cref="ReadinessLoop.Begin"/>).</summary>
    private static ValueTask<int> AwaitTransfer(
        Worker worker,
        CoroutineBase coroutine,
        int descriptor,
        IoResult first,
        bool read,
        IoOperation.OperationKind operation,
        Memory<byte> buffer,
        int done,
        int ms,
        CancellationToken cancellationToken)
    {
        IoResult result = ReadinessLoop.Begin(worker, coroutine, descriptor, read, first, operation, buffer, done, ms, cancellationToken, out AsyncWaitNode? node);
        return node is null ? new ValueTask<int>(Finish(coroutine, result)) : new ValueTask<int>(node, node.Token);
    }

    private static Span<byte> Slice(byte[] buffer, int offset, int count)
    {
        ArgumentNullException.ThrowIfNull(buffer);
        return new Span<byte>(buffer, offset, count);
    }
}
