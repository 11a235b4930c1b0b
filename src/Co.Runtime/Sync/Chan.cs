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
public sealed partial class Chan<T> : IWaitSource
{
    /// <summary>The buffer a new channel starts with (or its capacity, if smaller); it doubles as items accumulate.</summary>
    private const int InitialBufferLength = 16;

    private readonly SpinGate _gate = new();
    private readonly int _capacity;

    /// <summary>The ring buffer: grown under the gate, by doubling, while it is full and below the capacity, so a large
    /// capacity costs memory only for the items actually buffered.</summary>
    private T[] _buffer;
    private readonly DuplexWaitLists _waiters = new();
    private int _head;
    private int _count;
    private bool _closed;

    /// <summary>Creates a channel buffering up to <paramref name="capacity"/> items. Memory is taken as items are
    /// buffered, not for the capacity up front, so a large capacity (even <see cref="int.MaxValue"/>) costs nothing until
    /// it is used; a .NET array bounds the buffer at <see cref="Array.MaxLength"/> items.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="capacity"/> is less than 1.</exception>
    public Chan(int capacity = 1)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        _capacity = capacity;
        _buffer = new T[Math.Min(capacity, InitialBufferLength)];
    }

    /// <summary>The most items the channel buffers.</summary>
    public int Capacity => _capacity;

    /// <summary>The number of buffered items.</summary>
    public int Count
    {
        get
        {
            using (_gate.Enter())
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
            using (_gate.Enter())
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
            throw WriteClosed();
        }
    }

    /// <summary>Writes <paramref name="item"/>, waiting at most <paramref name="ms"/> milliseconds while the channel is
    /// full (0: do not wait; -1: no limit).</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="ms"/> is less than -1.</exception>
    public ChanStatus TryWrite(T item, int ms)
    {
        Waits.ValidateTimeout(ms, nameof(ms));
        long deadline = DeadlineOf(ms);
        while (true)
        {
            HolderSection.Checkpoint(); // a detached thread rejoins before it may enlist (under the gate, it can't)
            WaitNode? node = PutOrEnlist(item, deadline, async: false, out ChanStatus status, out int remaining);
            if (node is null)
            {
                return status;
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
    public ValueTask WriteAsync(T item, CancellationToken cancellationToken = default)
    {
        if (cancellationToken.IsCancellationRequested)
        {
            return ValueTask.FromCanceled(cancellationToken);
        }

        WaitNode? node = PutOrEnlist(item, long.MaxValue, async: true, out ChanStatus status, out _);
        if (node is AsyncWaitNode { Owner: not null } coroutineNode)
        {
            return new ValueTask(StartWriteOp(coroutineNode, item, Timeout.Infinite, cancellationToken), 0);
        }

        if (node is not null)
        {
            return WaitThenWriteOrThrowAsync(item, (AsyncWaitNode)node, cancellationToken);
        }

        return status == ChanStatus.Closed ? ValueTask.FromException(WriteClosed()) : ValueTask.CompletedTask;
    }

    /// <summary>Writes <paramref name="item"/> asynchronously, waiting at most <paramref name="ms"/> milliseconds.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="ms"/> is less than -1.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled (from the await).</exception>
    public ValueTask<ChanStatus> TryWriteAsync(T item, int ms, CancellationToken cancellationToken = default)
    {
        Waits.ValidateTimeout(ms, nameof(ms));
        if (cancellationToken.IsCancellationRequested)
        {
            return ValueTask.FromCanceled<ChanStatus>(cancellationToken);
        }

        long deadline = DeadlineOf(ms);
        WaitNode? node = PutOrEnlist(item, deadline, async: true, out ChanStatus status, out int remaining);
        return node switch
        {
            null => new ValueTask<ChanStatus>(status),
            AsyncWaitNode { Owner: not null } coroutineNode => new ValueTask<ChanStatus>(StartWriteOp(coroutineNode, item, remaining, cancellationToken), 0),
            _ => WaitThenWriteAsync(item, deadline, (AsyncWaitNode)node, remaining, cancellationToken),
        };
    }

    /// <summary>Reads an item, waiting while the channel is empty.</summary>
    /// <exception cref="ChanClosedException">The channel is closed and drained.</exception>
    public T Read()
    {
        if (TryRead(out T item, Timeout.Infinite) == ChanStatus.Closed)
        {
            throw ReadClosed();
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
        while (true)
        {
            HolderSection.Checkpoint(); // a detached thread rejoins before it may enlist (under the gate, it can't)
            WaitNode? node = TakeOrEnlist(deadline, async: false, out item, out ChanStatus status, out int remaining);
            if (node is null)
            {
                return status;
            }

            if (Waits.Block(node, remaining) != WaitOutcome.Signaled)
            {
                return ChanStatus.TimedOut;
            }
        }
    }

    /// <summary>Reads an item asynchronously, waiting while the channel is empty.</summary>
    /// <exception cref="ChanClosedException">The channel is closed and drained (from the await).</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled (from the await).</exception>
    public ValueTask<T> ReadAsync(CancellationToken cancellationToken = default)
    {
        if (cancellationToken.IsCancellationRequested)
        {
            return ValueTask.FromCanceled<T>(cancellationToken);
        }

        WaitNode? node = TakeOrEnlist(long.MaxValue, async: true, out T item, out ChanStatus status, out _);
        if (node is AsyncWaitNode { Owner: not null } coroutineNode)
        {
            return new ValueTask<T>(StartReadOp(coroutineNode, Timeout.Infinite, cancellationToken), 0);
        }

        if (node is not null)
        {
            return WaitThenReadOrThrowAsync((AsyncWaitNode)node, cancellationToken);
        }

        return status == ChanStatus.Closed ? ValueTask.FromException<T>(ReadClosed()) : new ValueTask<T>(item);
    }

    /// <summary>Reads an item asynchronously, waiting at most <paramref name="ms"/> milliseconds.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="ms"/> is less than -1.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled (from the await).</exception>
    public ValueTask<ChanReadResult<T>> TryReadAsync(int ms, CancellationToken cancellationToken = default)
    {
        Waits.ValidateTimeout(ms, nameof(ms));
        if (cancellationToken.IsCancellationRequested)
        {
            return ValueTask.FromCanceled<ChanReadResult<T>>(cancellationToken);
        }

        long deadline = DeadlineOf(ms);
        WaitNode? node = TakeOrEnlist(deadline, async: true, out T item, out ChanStatus status, out int remaining);
        return node switch
        {
            null => new ValueTask<ChanReadResult<T>>(new ChanReadResult<T>(status, item)),
            AsyncWaitNode { Owner: not null } coroutineNode => new ValueTask<ChanReadResult<T>>(StartReadOp(coroutineNode, remaining, cancellationToken), 0),
            _ => WaitThenReadAsync(deadline, (AsyncWaitNode)node, remaining, cancellationToken),
        };
    }

    /// <summary>Closes the channel and wakes every waiter. Idempotent.</summary>
    public void Close()
    {
        (WaitNode?, WaitNode?) claimed;
        using (_gate.Enter())
        {
            if (_closed)
            {
                return;
            }

            _closed = true;
            claimed = _waiters.ClaimAll(WaitOutcome.Signaled);
        }

        DuplexWaitLists.DispatchBoth(claimed);
    }

    void IWaitSource.Detach(WaitNode node)
    {
        using (_gate.Enter())
        {
            _waiters.Remove(node);
        }
    }

    private static long DeadlineOf(int ms) => ms < 0 ? long.MaxValue : Clock.DeadlineAfter(ms);

    internal static ChanClosedException WriteClosed() => new("Cannot write to a closed channel.");

    internal static ChanClosedException ReadClosed() => new("The channel is closed and has no more items.");

    /// <summary>Under the gate, from a woken reader's <see cref="ChanReadOp{T}"/> on its scheduler: takes an item or
    /// reports Closed (true), or re-arms the same wait as a reader (false).</summary>
    internal bool RetryRead(AsyncWaitNode node, out T item, out ChanStatus status)
    {
        WaitNode? woken;
        using (_gate.Enter())
        {
            if (!TryTakeLocked(out item, out status, out woken))
            {
                node.Rearm();
                _waiters.Readers.Append(node);
                return false;
            }
        }

        woken?.Dispatch();
        return true;
    }

    /// <summary>Under the gate, from a woken writer's <see cref="ChanWriteOp{T}"/>: buffers the item or reports Closed
    /// (true), or re-arms the same wait as a writer (false).</summary>
    internal bool RetryWrite(AsyncWaitNode node, T item, out ChanStatus status)
    {
        WaitNode? woken;
        using (_gate.Enter())
        {
            if (!TryPutLocked(item, out status, out woken))
            {
                node.Rearm();
                _waiters.Writers.Append(node);
                return false;
            }
        }

        woken?.Dispatch();
        return true;
    }

    /// <summary>An enlisted coroutine read: the woken node retries on the coroutine's scheduler (the token of the op
    /// is unused: each op serves one await).</summary>
    private ChanReadOp<T> StartReadOp(AsyncWaitNode node, int remainingMs, CancellationToken cancellationToken)
    {
        var operation = new ChanReadOp<T>(this, node);
        node.SetRetry(operation);
        node.StartLimits(remainingMs, cancellationToken);
        return operation;
    }

    /// <summary>The write counterpart of <see cref="StartReadOp"/>.</summary>
    private ChanWriteOp<T> StartWriteOp(AsyncWaitNode node, T item, int remainingMs, CancellationToken cancellationToken)
    {
        var operation = new ChanWriteOp<T>(this, node, item);
        node.SetRetry(operation);
        node.StartLimits(remainingMs, cancellationToken);
        return operation;
    }

    /// <summary>Starts the limits of an enlisted async wait and awaits it; false when it timed out.</summary>
    private static ValueTask<bool> AwaitEnlisted(AsyncWaitNode node, int remainingMs, CancellationToken cancellationToken)
    {
        node.StartLimits(remainingMs, cancellationToken);
        return new ValueTask<bool>(node, node.Token);
    }

    /// <summary>Writes the item, or enlists a wait node as a writer, under the gate. Returns null with the final status
    /// when the write is done, closed or out of time; otherwise the armed, enlisted node (sync or async) and the
    /// milliseconds left to wait for it. Wakes the reader it made ready after releasing the gate.</summary>
    private WaitNode? PutOrEnlist(T item, long deadline, bool async, out ChanStatus status, out int remaining)
    {
        WaitNode? woken;
        using (_gate.Enter())
        {
            if (!TryPutLocked(item, out status, out woken))
            {
                remaining = Clock.MsUntil(deadline);
                if (remaining == 0)
                {
                    status = ChanStatus.TimedOut;
                    return null;
                }

                return Enlist(_waiters.Writers, async);
            }
        }

        remaining = 0;
        woken?.Dispatch();
        return null;
    }

    /// <summary>Reads an item, or enlists a wait node as a reader, under the gate; the counterpart of
    /// <see cref="PutOrEnlist"/>.</summary>
    private WaitNode? TakeOrEnlist(long deadline, bool async, out T item, out ChanStatus status, out int remaining)
    {
        WaitNode? woken;
        using (_gate.Enter())
        {
            if (!TryTakeLocked(out item, out status, out woken))
            {
                remaining = Clock.MsUntil(deadline);
                if (remaining == 0)
                {
                    status = ChanStatus.TimedOut;
                    return null;
                }

                return Enlist(_waiters.Readers, async);
            }
        }

        remaining = 0;
        woken?.Dispatch();
        return null;
    }

    /// <summary>Arms the calling context's node on this channel and appends it to <paramref name="waiters"/>; under the gate.</summary>
    private WaitNode Enlist(WaitList waiters, bool async)
    {
        WaitNode node;
        if (async)
        {
            AsyncWaitNode asyncNode = Waits.AsyncNode();
            asyncNode.ArmAsync(this);
            node = asyncNode;
        }
        else
        {
            node = Waits.SyncNodeUnderGate();
            node.Arm(this);
        }

        waiters.Append(node);
        return node;
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    private async ValueTask WaitThenWriteOrThrowAsync(T item, AsyncWaitNode node, CancellationToken cancellationToken)
    {
        while (true)
        {
            await AwaitEnlisted(node, Timeout.Infinite, cancellationToken).ConfigureAwait(false);
            WaitNode? next = PutOrEnlist(item, long.MaxValue, async: true, out ChanStatus status, out _);
            if (next is null)
            {
                if (status == ChanStatus.Closed)
                {
                    throw WriteClosed();
                }

                return;
            }

            node = (AsyncWaitNode)next;
        }
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<ChanStatus> WaitThenWriteAsync(T item, long deadline, AsyncWaitNode node, int remaining, CancellationToken cancellationToken)
    {
        while (await AwaitEnlisted(node, remaining, cancellationToken).ConfigureAwait(false))
        {
            WaitNode? next = PutOrEnlist(item, deadline, async: true, out ChanStatus status, out remaining);
            if (next is null)
            {
                return status;
            }

            node = (AsyncWaitNode)next;
        }

        return ChanStatus.TimedOut;
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<T> WaitThenReadOrThrowAsync(AsyncWaitNode node, CancellationToken cancellationToken)
    {
        while (true)
        {
            await AwaitEnlisted(node, Timeout.Infinite, cancellationToken).ConfigureAwait(false);
            WaitNode? next = TakeOrEnlist(long.MaxValue, async: true, out T item, out ChanStatus status, out _);
            if (next is null)
            {
                return status == ChanStatus.Closed ? throw ReadClosed() : item;
            }

            node = (AsyncWaitNode)next;
        }
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<ChanReadResult<T>> WaitThenReadAsync(long deadline, AsyncWaitNode node, int remaining, CancellationToken cancellationToken)
    {
        while (await AwaitEnlisted(node, remaining, cancellationToken).ConfigureAwait(false))
        {
            WaitNode? next = TakeOrEnlist(deadline, async: true, out T item, out ChanStatus status, out remaining);
            if (next is null)
            {
                return new ChanReadResult<T>(status, item);
            }

            node = (AsyncWaitNode)next;
        }

        return new ChanReadResult<T>(ChanStatus.TimedOut, default);
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

        if (IsFullLocked)
        {
            status = ChanStatus.Ok;
            return false;
        }

        if (_count == _buffer.Length)
        {
            GrowLocked();
        }

        _buffer[(_head + _count) % _buffer.Length] = item;
        _count++;
        woken = _waiters.Readers.ClaimFirst(WaitOutcome.Signaled);
        status = ChanStatus.Ok;
        return true;
    }

    /// <summary>Under the lock: whether a write must wait (the capacity, or the largest array, is reached).</summary>
    private bool IsFullLocked => _count == _capacity || _count == Array.MaxLength;

    /// <summary>Under the lock: doubles the full ring buffer (up to the capacity), its items moved to the front in order.</summary>
    private void GrowLocked()
    {
        var grown = new T[(int)Math.Min(Math.Min((long)_buffer.Length * 2, _capacity), Array.MaxLength)];
        for (int i = 0; i < _count; i++)
        {
            grown[i] = _buffer[(_head + i) % _buffer.Length];
        }

        _buffer = grown;
        _head = 0;
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
            woken = _waiters.Writers.ClaimFirst(WaitOutcome.Signaled);
            status = ChanStatus.Ok;
            return true;
        }

        item = default!;
        status = _closed ? ChanStatus.Closed : ChanStatus.Ok;
        return _closed;
    }
}
