using System.Runtime.CompilerServices;
using Co.Scheduling;
using Co.Waiting;

namespace Co;

/// <summary>
/// A bounded channel (co's <c>co::Chan</c>, Go's buffered channel): writers wait while it is full, readers while it is
/// empty. Works from coroutines of both kinds and from plain threads; async forms for async coroutines.
/// <see cref="Close"/> wakes everybody: buffered items can still be read, then reads report
/// <see cref="ChanStatus.Closed"/>; writes to a closed channel fail.
/// </summary>
/// <remarks>
/// A write that makes an item available wakes the longest-waiting reader, and a read that frees a slot wakes the
/// longest-waiting writer; the woken party re-tries against the buffer with the time it has left. Items never wait
/// outside the buffer, so a waiter that times out or is cancelled cannot lose one.
/// </remarks>
/// <typeparam name="T">The item type.</typeparam>
public sealed class Chan<T> : IWaitSource
{
    private readonly Lock _lock = new();
    private readonly T[] _buffer;
    private readonly WaitList _readers = new();
    private readonly WaitList _writers = new();
    private int _head;
    private int _count;
    private bool _closed;

    /// <summary>Creates a channel buffering up to <paramref name="capacity"/> items.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="capacity"/> is less than 1.</exception>
    public Chan(int capacity = 1)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        _buffer = new T[capacity];
    }

    /// <summary>The most items the channel buffers.</summary>
    public int Capacity => _buffer.Length;

    /// <summary>The number of buffered items.</summary>
    public int Count
    {
        get
        {
            lock (_lock)
            {
                return _count;
            }
        }
    }

    /// <summary>Whether <see cref="Close"/> was called.</summary>
    public bool IsClosed
    {
        get
        {
            lock (_lock)
            {
                return _closed;
            }
        }
    }

    /// <summary>Writes <paramref name="item"/>, waiting while the channel is full.</summary>
    /// <exception cref="ChanClosedException">The channel is closed.</exception>
    public void Write(T item)
    {
        if (TryWrite(item, Timeout.Infinite) == ChanStatus.Closed)
        {
            throw new ChanClosedException("Cannot write to a closed channel.");
        }
    }

    /// <summary>Writes <paramref name="item"/>, waiting at most <paramref name="ms"/> milliseconds while the channel is
    /// full (0: do not wait; -1: no limit).</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="ms"/> is less than -1.</exception>
    public ChanStatus TryWrite(T item, int ms)
    {
        Waits.ValidateTimeout(ms, nameof(ms));
        long deadline = DeadlineOf(ms);
        WaitNode node = Waits.SyncNode();
        while (true)
        {
            int remaining;
            lock (_lock)
            {
                if (TryPutLocked(item, out ChanStatus status, out WaitNode? woken))
                {
                    woken?.Dispatch();
                    return status;
                }

                remaining = Clock.MsUntil(deadline);
                if (remaining == 0)
                {
                    return ChanStatus.TimedOut;
                }

                node.Arm(this);
                _writers.Append(node);
            }

            if (Waits.Block(node, remaining) != WaitOutcome.Signaled)
            {
                return ChanStatus.TimedOut;
            }
        }
    }

    /// <summary>Writes <paramref name="item"/> asynchronously, waiting while the channel is full.</summary>
    /// <exception cref="ChanClosedException">The channel is closed (from the await).</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled (from the await).</exception>
    public ValueTask WriteAsync(T item, CancellationToken cancellationToken = default) =>
        WriteOrThrowAsync(item, cancellationToken);

    /// <summary>Writes <paramref name="item"/> asynchronously, waiting at most <paramref name="ms"/> milliseconds.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="ms"/> is less than -1.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled (from the await).</exception>
    public ValueTask<ChanStatus> TryWriteAsync(T item, int ms, CancellationToken cancellationToken = default)
    {
        Waits.ValidateTimeout(ms, nameof(ms));
        return TryWriteCoreAsync(item, DeadlineOf(ms), cancellationToken);
    }

    /// <summary>Reads an item, waiting while the channel is empty.</summary>
    /// <exception cref="ChanClosedException">The channel is closed and drained.</exception>
    public T Read()
    {
        if (TryRead(out T item, Timeout.Infinite) == ChanStatus.Closed)
        {
            throw new ChanClosedException("The channel is closed and has no more items.");
        }

        return item;
    }

    /// <summary>Reads an item, waiting at most <paramref name="ms"/> milliseconds while the channel is empty
    /// (0: do not wait; -1: no limit).</summary>
    /// <param name="item">The item read; default unless the result is <see cref="ChanStatus.Ok"/>.</param>
    /// <param name="ms">The timeout in milliseconds.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="ms"/> is less than -1.</exception>
    public ChanStatus TryRead(out T item, int ms)
    {
        Waits.ValidateTimeout(ms, nameof(ms));
        long deadline = DeadlineOf(ms);
        WaitNode node = Waits.SyncNode();
        while (true)
        {
            int remaining;
            lock (_lock)
            {
                if (TryTakeLocked(out item, out ChanStatus status, out WaitNode? woken))
                {
                    woken?.Dispatch();
                    return status;
                }

                remaining = Clock.MsUntil(deadline);
                if (remaining == 0)
                {
                    return ChanStatus.TimedOut;
                }

                node.Arm(this);
                _readers.Append(node);
            }

            if (Waits.Block(node, remaining) != WaitOutcome.Signaled)
            {
                item = default!;
                return ChanStatus.TimedOut;
            }
        }
    }

    /// <summary>Reads an item asynchronously, waiting while the channel is empty.</summary>
    /// <exception cref="ChanClosedException">The channel is closed and drained (from the await).</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled (from the await).</exception>
    public ValueTask<T> ReadAsync(CancellationToken cancellationToken = default) => ReadOrThrowAsync(cancellationToken);

    /// <summary>Reads an item asynchronously, waiting at most <paramref name="ms"/> milliseconds.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="ms"/> is less than -1.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled (from the await).</exception>
    public ValueTask<ChanReadResult<T>> TryReadAsync(int ms, CancellationToken cancellationToken = default)
    {
        Waits.ValidateTimeout(ms, nameof(ms));
        return TryReadCoreAsync(DeadlineOf(ms), cancellationToken);
    }

    /// <summary>Closes the channel and wakes every waiter. Idempotent.</summary>
    public void Close()
    {
        WaitNode? readers;
        WaitNode? writers;
        lock (_lock)
        {
            if (_closed)
            {
                return;
            }

            _closed = true;
            readers = _readers.ClaimAll(WaitOutcome.Signaled);
            writers = _writers.ClaimAll(WaitOutcome.Signaled);
        }

        WaitNode.DispatchChain(readers);
        WaitNode.DispatchChain(writers);
    }

    void IWaitSource.Detach(WaitNode node)
    {
        lock (_lock)
        {
            if (!_readers.Remove(node))
            {
                _writers.Remove(node);
            }
        }
    }

    private static long DeadlineOf(int ms) => ms < 0 ? long.MaxValue : Clock.DeadlineAfter(ms);

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    private async ValueTask WriteOrThrowAsync(T item, CancellationToken cancellationToken)
    {
        if (await TryWriteCoreAsync(item, long.MaxValue, cancellationToken).ConfigureAwait(false) == ChanStatus.Closed)
        {
            throw new ChanClosedException("Cannot write to a closed channel.");
        }
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<ChanStatus> TryWriteCoreAsync(T item, long deadline, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        while (true)
        {
            AsyncWaitNode node;
            int remaining;
            lock (_lock)
            {
                if (TryPutLocked(item, out ChanStatus status, out WaitNode? woken))
                {
                    woken?.Dispatch();
                    return status;
                }

                remaining = Clock.MsUntil(deadline);
                if (remaining == 0)
                {
                    return ChanStatus.TimedOut;
                }

                node = Waits.AsyncNode();
                node.ArmAsync(this);
                _writers.Append(node);
            }

            node.StartLimits(remaining, cancellationToken);
            if (!await new ValueTask<bool>(node, node.Token).ConfigureAwait(false))
            {
                return ChanStatus.TimedOut;
            }
        }
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<T> ReadOrThrowAsync(CancellationToken cancellationToken)
    {
        ChanReadResult<T> result = await TryReadCoreAsync(long.MaxValue, cancellationToken).ConfigureAwait(false);
        return result.Status == ChanStatus.Closed
            ? throw new ChanClosedException("The channel is closed and has no more items.")
            : result.Value!;
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<ChanReadResult<T>> TryReadCoreAsync(long deadline, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        while (true)
        {
            AsyncWaitNode node;
            int remaining;
            lock (_lock)
            {
                if (TryTakeLocked(out T item, out ChanStatus status, out WaitNode? woken))
                {
                    woken?.Dispatch();
                    return new ChanReadResult<T>(status, item);
                }

                remaining = Clock.MsUntil(deadline);
                if (remaining == 0)
                {
                    return new ChanReadResult<T>(ChanStatus.TimedOut, default);
                }

                node = Waits.AsyncNode();
                node.ArmAsync(this);
                _readers.Append(node);
            }

            node.StartLimits(remaining, cancellationToken);
            if (!await new ValueTask<bool>(node, node.Token).ConfigureAwait(false))
            {
                return new ChanReadResult<T>(ChanStatus.TimedOut, default);
            }
        }
    }

    /// <summary>Under the lock: buffers the item if there is room (claiming a reader to wake), or reports Closed.
    /// False when the caller must wait.</summary>
    private bool TryPutLocked(T item, out ChanStatus status, out WaitNode? woken)
    {
        woken = null;
        if (_closed)
        {
            status = ChanStatus.Closed;
            return true;
        }

        if (_count == _buffer.Length)
        {
            status = ChanStatus.Ok;
            return false;
        }

        _buffer[(_head + _count) % _buffer.Length] = item;
        _count++;
        woken = _readers.ClaimFirst(WaitOutcome.Signaled);
        status = ChanStatus.Ok;
        return true;
    }

    /// <summary>Under the lock: takes the oldest item if there is one (claiming a writer to wake), or reports Closed
    /// once drained. False when the caller must wait.</summary>
    private bool TryTakeLocked(out T item, out ChanStatus status, out WaitNode? woken)
    {
        woken = null;
        if (_count > 0)
        {
            item = _buffer[_head];
            _buffer[_head] = default!;
            _head = (_head + 1) % _buffer.Length;
            _count--;
            woken = _writers.ClaimFirst(WaitOutcome.Signaled);
            status = ChanStatus.Ok;
            return true;
        }

        item = default!;
        status = _closed ? ChanStatus.Closed : ChanStatus.Ok;
        return _closed;
    }
}
