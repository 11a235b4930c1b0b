using System.Net;
using Co.Net;
using Co.Platform;
using Co.Scheduling;
using Co.Waiting;

namespace Co;

// Establishing connections: co's accept and connect, in sync and async forms.
public static partial class Sock
{
    /// <summary>Accepts a connection on the non-blocking listening socket <paramref name="fd"/> (co's <c>accept</c>),
    /// waiting until one arrives.</summary>
    /// <returns>A new non-blocking socket, or -1 on error.</returns>
    /// <exception cref="InvalidOperationException">Called outside a coroutine.</exception>
    public static nint Accept(nint fd) => Accept(fd, out _);

    /// <summary>As <see cref="Accept(nint)"/>, also giving the peer's address.</summary>
    /// <exception cref="InvalidOperationException">Called outside a coroutine.</exception>
    public static nint Accept(nint fd, out IPEndPoint? peer)
    {
        RequireCoroutineWorker(nameof(Accept), -1, out CoroutineBase coroutine);
        peer = null;
        if (!ToInt(fd, out int descriptor))
        {
            return Fail(coroutine, SocketCodes.BadDescriptor);
        }

        Span<byte> address = stackalloc byte[SocketAddressCodec.MaxLength];
        var attempt = new AcceptAttempt(descriptor, address);
        IoResult result = ReadinessLoop.Run(descriptor, read: true, ref attempt, attempt.Attempt());
        if (!result.IsDone)
        {
            return FailWith(coroutine, result);
        }

        peer = SocketAddressCodec.Read(address, attempt.AddressLength);
        return Succeed(coroutine, (nint)result.Value);
    }

    /// <summary>Connects the non-blocking socket <paramref name="fd"/> to <paramref name="address"/> (co's
    /// <c>connect</c>), waiting at most <paramref name="ms"/> milliseconds.</summary>
    /// <returns>0, or -1 on error (e.g. ECONNREFUSED) or timeout.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="address"/> is null.</exception>
    /// <exception cref="InvalidOperationException">Called outside a coroutine.</exception>
    public static int Connect(nint fd, IPEndPoint address, int ms = -1)
    {
        ArgumentNullException.ThrowIfNull(address);
        RequireCoroutineWorker(nameof(Connect), ms, out CoroutineBase coroutine);
        if (!ToInt(fd, out int descriptor))
        {
            return Fail(coroutine, SocketCodes.BadDescriptor);
        }

        Span<byte> sockaddr = stackalloc byte[SocketAddressCodec.MaxLength];
        int length = SocketAddressCodec.Write(address, sockaddr);
        int error = SocketOps.StartConnect(descriptor, sockaddr[..length]);
        var completion = new ConnectCompletion(descriptor, DeadlineOf(ms));
        return Finish(coroutine, ReadinessLoop.Run(descriptor, read: false, ref completion, IoResult.FromAttempt(error, 0)));
    }

    /// <summary>The async form of <see cref="Accept(nint)"/>, for async coroutines.</summary>
    /// <exception cref="InvalidOperationException">Called outside a coroutine.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled (from the await).</exception>
    public static ValueTask<nint> AcceptAsync(nint fd, CancellationToken cancellationToken = default)
    {
        Worker worker = RequireCoroutineWorker(nameof(AcceptAsync), -1, out CoroutineBase coroutine);
        if (cancellationToken.IsCancellationRequested)
        {
            return ValueTask.FromCanceled<nint>(cancellationToken);
        }

        if (!ToInt(fd, out int descriptor))
        {
            return new ValueTask<nint>(Fail(coroutine, SocketCodes.BadDescriptor));
        }

        int error = SocketOps.Accept(descriptor, default, out _, out int accepted);
        IoResult result = ReadinessLoop.Begin(
            worker, coroutine, descriptor, read: true, IoResult.FromAttempt(error, accepted), IoOperation.OperationKind.Accept, default, 0, -1, cancellationToken, out AsyncWaitNode? node);
        if (node is not null)
        {
            return new ValueTask<nint>(node, node.Token);
        }

        return new ValueTask<nint>(result.IsDone ? Succeed(coroutine, (nint)result.Value) : FailWith(coroutine, result));
    }

    /// <summary>The async form of <see cref="Connect(nint, IPEndPoint, int)"/>, for async coroutines.</summary>
    /// <exception cref="ArgumentNullException"><paramref name="address"/> is null.</exception>
    /// <exception cref="InvalidOperationException">Called outside a coroutine.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled (from the await).</exception>
    public static ValueTask<int> ConnectAsync(nint fd, IPEndPoint address, int ms = -1, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(address);
        Worker worker = RequireCoroutineWorker(nameof(ConnectAsync), ms, out CoroutineBase coroutine);
        if (cancellationToken.IsCancellationRequested)
        {
            return ValueTask.FromCanceled<int>(cancellationToken);
        }

        if (!ToInt(fd, out int descriptor))
        {
            return new ValueTask<int>(Fail(coroutine, SocketCodes.BadDescriptor));
        }

        Span<byte> sockaddr = stackalloc byte[SocketAddressCodec.MaxLength];
        int length = SocketAddressCodec.Write(address, sockaddr);
        int error = SocketOps.StartConnect(descriptor, sockaddr[..length]);
        return AwaitTransfer(worker, coroutine, descriptor, IoResult.FromAttempt(error, 0), read: false, IoOperation.OperationKind.Connect, default, 0, ms, cancellationToken);
    }
}
