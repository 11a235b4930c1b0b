using Co.Waiting;

namespace Co;

/// <summary>
/// co's <c>co::Mutex</c>: a lock for coroutines that suspends the coroutine, not the scheduler, while it waits.
/// Named CoMutex because <see cref="System.Threading.Mutex"/> is in every project's implicit usings.
/// </summary>
/// <remarks>
/// Ownership is handed over directly: <see cref="Unlock"/> passes the lock to the longest waiter (claimed under the
/// mutex's own lock), so a woken waiter never finds the lock taken again and no wake-up is lost. A waiter that times
/// out or is cancelled can never be handed the lock. Not reentrant, and not bound to an owner: like co, any code may
/// unlock it. Also usable from plain threads (they block).
/// </remarks>
public sealed class CoMutex : IWaitSource
{
    private readonly SpinGate _gate = new();
    private readonly WaitList _waiters = new();
    private bool _locked;

    /// <summary>
    /// Counts the acquisitions: every Lock, TryLock or LockAsync that takes the free mutex, and every hand-off to a
    /// waiter in <see cref="Unlock"/>. A <see cref="MutexGuard"/> remembers the acquisition it made, so disposing it
    /// twice (or a copy of it) releases nothing once the mutex was released or has changed hands.
    /// </summary>
    private long _acquisitions;

    /// <summary>Whether the mutex is currently held.</summary>
    public bool IsLocked
    {
        get
        {
            using (_gate.Enter())
            {
                return _locked;
            }
        }
    }

    /// <summary>Acquires the mutex, waiting as long as it takes.</summary>
    public void Lock()
    {
        WaitNode node = Waits.SyncNode();
        using (_gate.Enter())
        {
            if (!_locked)
            {
                _locked = true;
                _acquisitions++;
                return;
            }

            node.Arm(this);
            _waiters.Append(node);
        }

        Waits.Block(node, Timeout.Infinite);
    }

    /// <summary>Acquires the mutex if it is free; never waits.</summary>
    /// <returns>True if the mutex was acquired.</returns>
    public bool TryLock()
    {
        using (_gate.Enter())
        {
            if (_locked)
            {
                return false;
            }

            _locked = true;
            _acquisitions++;
            return true;
        }
    }

    /// <summary>Acquires the mutex asynchronously.</summary>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled before the mutex
    /// was acquired (from the await); the mutex is then not held by this caller.</exception>
    public ValueTask LockAsync(CancellationToken cancellationToken = default)
    {
        if (cancellationToken.IsCancellationRequested)
        {
            return ValueTask.FromCanceled(cancellationToken);
        }

        AsyncWaitNode node;
        using (_gate.Enter())
        {
            if (!_locked)
            {
                _locked = true;
                _acquisitions++;
                return ValueTask.CompletedTask;
            }

            node = Waits.AsyncNode();
            node.ArmAsync(this);
            _waiters.Append(node);
        }

        node.StartLimits(Timeout.Infinite, cancellationToken);
        return new ValueTask(node, node.Token);
    }

    /// <summary>Releases the mutex, handing it to the longest waiter if there is one.</summary>
    /// <exception cref="SynchronizationLockException">The mutex is not locked.</exception>
    public void Unlock()
    {
        WaitNode? next;
        using (_gate.Enter())
        {
            if (!_locked)
            {
                throw new SynchronizationLockException("CoMutex.Unlock was called on a mutex that is not locked.");
            }

            next = ReleaseLocked();
        }

        next?.Dispatch();
    }

    /// <summary>The acquisition the calling holder made (read right after it acquired the mutex, which nobody else can
    /// take before it unlocks).</summary>
    internal long CurrentAcquisition
    {
        get
        {
            using (_gate.Enter())
            {
                return _acquisitions;
            }
        }
    }

    /// <summary>Unlocks the mutex if <paramref name="acquisition"/> still holds it; otherwise (released already, or
    /// acquired since by someone else) does nothing. For <see cref="MutexGuard.Dispose"/>.</summary>
    internal void UnlockAcquisition(long acquisition)
    {
        WaitNode? next;
        using (_gate.Enter())
        {
            if (!_locked || _acquisitions != acquisition)
            {
                return;
            }

            next = ReleaseLocked();
        }

        next?.Dispatch();
    }

    /// <summary>Hands the mutex to the first waiter (a new acquisition) or frees it; under the gate. The caller
    /// dispatches the returned waiter after leaving the gate.</summary>
    private WaitNode? ReleaseLocked()
    {
        WaitNode? next = _waiters.ClaimFirst(WaitOutcome.Signaled);
        _locked = next is not null;
        if (next is not null)
        {
            _acquisitions++;
        }

        return next;
    }

    void IWaitSource.Detach(WaitNode node)
    {
        using (_gate.Enter())
        {
            _waiters.Remove(node);
        }
    }
}
