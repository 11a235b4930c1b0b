using Co.Net;
using Co.Platform;
using Co.Scheduling;
using Co.Waiting;

namespace Co;

/// <summary>
/// co's <c>co::IoEvent</c>: turns non-blocking I/O into straight-line code. After a call on a non-blocking socket fails
/// with EAGAIN, <see cref="Wait"/> suspends the coroutine until the socket is readable (or writable), then the caller
/// retries the call. The socket functions of <see cref="Sock"/> are built on the same mechanism; IoEvent is for
/// coroutineizing other libraries that expose a socket and a non-blocking API.
/// </summary>
/// <remarks>
/// A wait returns at once when the socket is ready already (one zero-timeout poll), as co's does: libraries such as
/// libpq ask to wait for "writable" before they have written anything, when no new readiness edge would ever come.
/// Otherwise the coroutine waits on the poller. The registration is checked on every wait (one epoll_ctl), because the
/// library owns the socket and may close it and open another under the same number at any time.
/// </remarks>
public sealed class IoEvent
{
    private readonly nint _fd;
    private readonly bool _read;

    /// <summary>Creates an event for <paramref name="fd"/> (a non-blocking socket) and <paramref name="type"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="type"/> is not Read or Write.</exception>
    public IoEvent(nint fd, IoEventType type)
    {
        if (type is not (IoEventType.Read or IoEventType.Write))
        {
            throw new ArgumentOutOfRangeException(nameof(type), type, "An IoEvent waits for Read or for Write, not both.");
        }

        _fd = fd;
        _read = type == IoEventType.Read;
    }

    /// <summary>Waits until the socket is ready, at most <paramref name="ms"/> milliseconds (-1: no limit).</summary>
    /// <returns>True when ready; false on timeout (<see cref="Sock.Error"/> is ETIMEDOUT and
    /// <see cref="Coroutine.TimedOut"/> is true) or error (EBADF once the socket is closed).</returns>
    /// <exception cref="InvalidOperationException">Called outside a coroutine.</exception>
    public bool Wait(int ms = -1)
    {
        Worker worker = Sock.RequireCoroutineWorker(nameof(IoEvent) + "." + nameof(Wait), ms, out CoroutineBase coroutine);
        int error = !Sock.ToInt(_fd, out int fd) ? SocketCodes.BadDescriptor
            : !Registered(worker, fd, out error) ? error
            : CurrentPlatform.Sockets.IsReadyNow(fd, _read) ? 0
            : IoWaits.WaitReady(worker, fd, _read, Sock.DeadlineOf(ms)).ErrorCode(timedOut: SocketCodes.TimedOut);
        if (error != 0)
        {
            Sock.Fail(coroutine, error);
            return false;
        }

        Sock.Succeed(coroutine, 0);
        return true;
    }

    /// <summary>Waits asynchronously until the socket is ready, at most <paramref name="ms"/> milliseconds.</summary>
    /// <returns>As <see cref="Wait"/>.</returns>
    /// <exception cref="InvalidOperationException">Called outside a coroutine.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled (from the await).</exception>
    public ValueTask<bool> WaitAsync(int ms = -1, CancellationToken cancellationToken = default)
    {
        Worker worker = Sock.RequireCoroutineWorker(nameof(IoEvent) + "." + nameof(WaitAsync), ms, out CoroutineBase coroutine);
        if (cancellationToken.IsCancellationRequested)
        {
            return ValueTask.FromCanceled<bool>(cancellationToken);
        }

        if (!Sock.ToInt(_fd, out int fd))
        {
            Sock.Fail(coroutine, SocketCodes.BadDescriptor);
            return new ValueTask<bool>(false);
        }

        if (!Registered(worker, fd, out int error))
        {
            Sock.Fail(coroutine, error);
            return new ValueTask<bool>(false);
        }

        if (CurrentPlatform.Sockets.IsReadyNow(fd, _read))
        {
            Sock.Succeed(coroutine, 0);
            return new ValueTask<bool>(true);
        }

        AsyncWaitNode? node = IoWaits.BeginWait(worker, coroutine, fd, _read, IoOperation.OperationKind.Readiness, default, 0, ms, cancellationToken, out IoResult failure);
        if (node is null)
        {
            Sock.FailWith(coroutine, failure);
            return new ValueTask<bool>(false);
        }

        return new ValueTask<bool>(node, node.Token);
    }

    /// <summary>Registers <paramref name="fd"/> with the poller, or checks that its registration is still the kernel's
    /// (the library may have closed the socket and opened another under the number); false with the errno for a
    /// descriptor that cannot be polled (EBADF, or EPERM for a regular file).</summary>
    private static bool Registered(Worker worker, int fd, out int error) =>
        PollDescriptorTable.Instance.GetOrRegisterVerified(fd, worker.Scheduler, out error) is not null;
}
