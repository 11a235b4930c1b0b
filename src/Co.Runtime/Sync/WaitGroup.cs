using Co.Waiting;

namespace Co;

/// <summary>
/// co's <c>co::WaitGroup</c> (Go's sync.WaitGroup): waits for a number of coroutines or threads to finish. Each
/// <see cref="Add"/> raises the counter, each <see cref="Done"/> lowers it, and <see cref="Wait"/> returns once it is 0.
/// Usable from coroutines of both kinds and from plain threads.
/// </summary>
public sealed class WaitGroup : IWaitSource
{
    private readonly SpinGate _gate = new();
    private readonly WaitList _waiters = new();
    private int _count;

    /// <summary>Creates a wait group whose counter starts at <paramref name="initialCount"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="initialCount"/> is negative.</exception>
    public WaitGroup(int initialCount = 0)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(initialCount);
        _count = initialCount;
    }

    /// <summary>The current counter.</summary>
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

    /// <summary>Adds <paramref name="n"/> (which may be negative, as in Go) to the counter; reaching 0 releases all waiters.</summary>
    /// <exception cref="InvalidOperationException">The counter would become negative; it is left unchanged.</exception>
    public void Add(int n = 1)
    {
        WaitNode? released = null;
        using (_gate.Enter())
        {
            long updated = (long)_count + n;
            if (updated < 0)
            {
                throw new InvalidOperationException($"WaitGroup counter would become negative ({_count} + {n}); every Done must match an Add.");
            }

            if (updated > int.MaxValue)
            {
                throw new OverflowException("WaitGroup counter overflow.");
            }

            _count = (int)updated;
            if (_count == 0)
            {
                released = _waiters.ClaimAll(WaitOutcome.Signaled);
            }
        }

        WaitNode.DispatchChain(released);
    }

    /// <summary>Decrements the counter by one.</summary>
    /// <exception cref="InvalidOperationException">The counter is already 0.</exception>
    public void Done() => Add(-1);

    /// <summary>Waits until the counter is 0.</summary>
    public void Wait()
    {
        WaitNode node = Waits.SyncNode();
        using (_gate.Enter())
        {
            if (_count == 0)
            {
                return;
            }

            node.Arm(this);
            _waiters.Append(node);
        }

        Waits.Block(node, Timeout.Infinite);
    }

    /// <summary>Waits asynchronously until the counter is 0.</summary>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled (from the await).</exception>
    public ValueTask WaitAsync(CancellationToken cancellationToken = default)
    {
        if (cancellationToken.IsCancellationRequested)
        {
            return ValueTask.FromCanceled(cancellationToken);
        }

        AsyncWaitNode node;
        using (_gate.Enter())
        {
            if (_count == 0)
            {
                return ValueTask.CompletedTask;
            }

            node = Waits.AsyncNode();
            node.ArmAsync(this);
            _waiters.Append(node);
        }

        node.StartLimits(Timeout.Infinite, cancellationToken);
        return new ValueTask(node, node.Token);
    }

    void IWaitSource.Detach(WaitNode node)
    {
        using (_gate.Enter())
        {
            _waiters.Remove(node);
        }
    }
}
