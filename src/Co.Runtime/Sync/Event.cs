using Co.Waiting;

namespace Co;

/// <summary>
/// co's <c>co::Event</c>: a synchronization event for coroutines (sync and async) and plain threads.
/// <see cref="Signal"/> wakes every waiter; with no waiter, it leaves the event signalled so the next wait returns at
/// once. An auto-reset event (the default, as in co) is then reset by that wait; a manual-reset one stays signalled
/// until <see cref="Reset"/>.
/// </summary>
public sealed class Event : IWaitSource
{
    private readonly SpinGate _gate = new();
    private readonly WaitList _waiters = new();
    private readonly bool _manualReset;
    private bool _signaled;

    /// <summary>Creates an event.</summary>
    /// <param name="manualReset">If true, a signal stays until <see cref="Reset"/>; if false (co's behaviour), the wait that
    /// finds the event signalled resets it.</param>
    /// <param name="signaled">The initial state.</param>
    public Event(bool manualReset = false, bool signaled = false)
    {
        _manualReset = manualReset;
        _signaled = signaled;
    }

    /// <summary>Wakes every waiting coroutine or thread; with none waiting, signals the event for the next wait.
    /// May be called from anywhere.</summary>
    public void Signal()
    {
        WaitNode? woken;
        using (_gate.Enter())
        {
            woken = _waiters.ClaimAll(WaitOutcome.Signaled);
            if (woken is null || _manualReset)
            {
                _signaled = true;
            }
        }

        WaitNode.DispatchChain(woken);
    }

    /// <summary>Returns the event to the unsignalled state.</summary>
    public void Reset()
    {
        using (_gate.Enter())
        {
            _signaled = false;
        }
    }

    /// <summary>Waits until the event is signalled. In a coroutine only the coroutine waits; on a plain thread the
    /// thread blocks.</summary>
    public void Wait() => Wait(Timeout.Infinite);

    /// <summary>Waits until the event is signalled or <paramref name="ms"/> milliseconds pass.</summary>
    /// <returns>False on timeout.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="ms"/> is less than -1.</exception>
    public bool Wait(int ms)
    {
        Waits.ValidateTimeout(ms, nameof(ms));
        WaitNode node = Waits.SyncNode();
        using (_gate.Enter())
        {
            if (TryConsumeSignal())
            {
                return true;
            }

            if (ms == 0)
            {
                return false;
            }

            node.Arm(this);
            _waiters.Append(node);
        }

        return Waits.Block(node, ms) == WaitOutcome.Signaled;
    }

    /// <summary>Waits asynchronously until the event is signalled.</summary>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled (from the await).</exception>
    public ValueTask WaitAsync(CancellationToken cancellationToken = default)
    {
        if (cancellationToken.IsCancellationRequested)
        {
            return ValueTask.FromCanceled(cancellationToken);
        }

        AsyncWaitNode? node = BeginAsyncWait(Timeout.Infinite, out _);
        if (node is null)
        {
            return ValueTask.CompletedTask;
        }

        node.StartLimits(Timeout.Infinite, cancellationToken);
        return new ValueTask(node, node.Token);
    }

    /// <summary>Waits asynchronously until the event is signalled or <paramref name="ms"/> milliseconds pass.</summary>
    /// <returns>False on timeout.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="ms"/> is less than -1.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled (from the await).</exception>
    public ValueTask<bool> WaitAsync(int ms, CancellationToken cancellationToken = default)
    {
        Waits.ValidateTimeout(ms, nameof(ms));
        if (cancellationToken.IsCancellationRequested)
        {
            return ValueTask.FromCanceled<bool>(cancellationToken);
        }

        AsyncWaitNode? node = BeginAsyncWait(ms, out bool signaled);
        if (node is null)
        {
            return new ValueTask<bool>(signaled);
        }

        node.StartLimits(ms, cancellationToken);
        return new ValueTask<bool>(node, node.Token);
    }

    void IWaitSource.Detach(WaitNode node)
    {
        using (_gate.Enter())
        {
            _waiters.Remove(node);
        }
    }

    /// <summary>Consumes a pending signal, or arms and publishes an async wait. Null when the result is already known
    /// (<paramref name="signaled"/>: true if a signal was consumed, false for a zero timeout).</summary>
    private AsyncWaitNode? BeginAsyncWait(int ms, out bool signaled)
    {
        using (_gate.Enter())
        {
            signaled = TryConsumeSignal();
            if (signaled || ms == 0)
            {
                return null;
            }

            AsyncWaitNode node = Waits.AsyncNode();
            node.ArmAsync(this);
            _waiters.Append(node);
            return node;
        }
    }

    private bool TryConsumeSignal()
    {
        if (!_signaled)
        {
            return false;
        }

        if (!_manualReset)
        {
            _signaled = false;
        }

        return true;
    }
}
