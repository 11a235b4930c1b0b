namespace Co.Waiting;

/// <summary>
/// The record of one wait, shared by every primitive and by both coroutine kinds and plain threads. A node is reused
/// for many waits (one per worker thread, one per plain thread, pooled per scheduler for async waits).
/// </summary>
/// <remarks>
/// <para><b>State machine.</b> One 64-bit word holds <c>version &lt;&lt; 3 | code</c>:
/// <c>Idle(0) → Armed(1)</c> by the waiting party (<see cref="Arm"/>, which also bumps the version), then
/// <c>Armed → Signaled(2) | TimedOut(3) | Canceled(4)</c> by exactly one claimer, with a compare-and-swap
/// (<see cref="TryClaim(WaitOutcome)"/>). The claimer alone then calls <see cref="Dispatch"/>, which resumes the
/// waiting party: enqueue its thread's baton hand-off, enqueue its async continuation, or unpark a plain thread.</para>
/// <para><b>Claim sources.</b> A wait can be claimed by its primitive (the node is in the primitive's
/// <see cref="WaitList"/>), by its timer (<see cref="Co.Scheduling.TimerHeap"/>) or by its CancellationToken. Claims
/// race; the CAS picks one winner and the others fail harmlessly.</para>
/// <para><b>Stale wake-ups.</b> Before a node is armed again, the waiting party detaches it from every claim source
/// (<see cref="ReleaseClaimSources"/>: timer removed, cancellation registration disposed, list unlinked), so no source
/// can hold a node across two waits. Claims that carry a version (<see cref="TryClaim(int, WaitOutcome)"/>) are checked
/// against it as well, and the version doubles as the <see cref="System.Threading.Tasks.ValueTask"/> token of async
/// waits, so awaiting a recycled node is detected.</para>
/// <para>Primitives claim under their own lock and dispatch after releasing it (two-phase completion), so a lock
/// hand-off is never given to a waiter that timed out or was cancelled.</para>
/// </remarks>
internal abstract class WaitNode
{
    private const long CodeMask = 7;
    private const long ArmedCode = 1;

    private static readonly Action<object?> s_cancel = static node => ((WaitNode)node!).Complete(WaitOutcome.Canceled);

    /// <summary>version &lt;&lt; 3 | code, see the type remarks.</summary>
    private long _state;

    /// <summary>The cancellation registration of the current wait; default when the wait has no token.</summary>
    private CancellationTokenRegistration _cancellation;

    /// <summary>The timer heap the node is in (index <see cref="TimerIndex"/>), or null.</summary>
    private Co.Scheduling.TimerHeap? _timers;

    /// <summary>Deadline in Stopwatch ticks while the node is in a timer heap.</summary>
    internal long Deadline;

    /// <summary>Index in the timer heap, -1 when not in one. Maintained by the heap.</summary>
    internal int TimerIndex = -1;

    /// <summary>Links of the primitive's wait list, valid while <see cref="List"/> is set; guarded by the primitive's lock.</summary>
    internal WaitNode? ListPrev;

    /// <inheritdoc cref="ListPrev"/>
    internal WaitNode? ListNext;

    /// <summary>The wait list the node is linked into, or null.</summary>
    internal WaitList? List;

    /// <summary>Link of a chain of claimed nodes collected under a primitive's lock, dispatched after it is released.</summary>
    internal WaitNode? DispatchNext;

    /// <summary>The primitive the current wait is on, to detach from after a timeout or cancellation; null for sleeps.</summary>
    internal IWaitSource? Source;

    /// <summary>The version of the current (or last) wait.</summary>
    internal int Version => (int)(Volatile.Read(ref _state) >> 3);

    /// <summary>The outcome of the current wait, or <see cref="WaitOutcome.None"/> while it is pending.</summary>
    internal WaitOutcome Outcome
    {
        get
        {
            long code = Volatile.Read(ref _state) & CodeMask;
            return code > ArmedCode ? (WaitOutcome)code : WaitOutcome.None;
        }
    }

    /// <summary>Starts a new wait on <paramref name="source"/> (null for a plain sleep); returns its version.</summary>
    internal int Arm(IWaitSource? source)
    {
        Source = source;
        long version = (Volatile.Read(ref _state) >> 3) + 1;
        Volatile.Write(ref _state, (version << 3) | ArmedCode);
        return (int)version;
    }

    /// <summary>Claims the current wait with <paramref name="outcome"/>; false if it was already claimed.</summary>
    internal bool TryClaim(WaitOutcome outcome)
    {
        long state = Volatile.Read(ref _state);
        while ((state & CodeMask) == ArmedCode)
        {
            long seen = Interlocked.CompareExchange(ref _state, (state & ~CodeMask) | (long)outcome, state);
            if (seen == state)
            {
                return true;
            }

            state = seen;
        }

        return false;
    }

    /// <summary>Claims wait number <paramref name="version"/> only; false if that wait is over or was never armed.</summary>
    internal bool TryClaim(int version, WaitOutcome outcome)
    {
        long armed = ((long)version << 3) | ArmedCode;
        return Interlocked.CompareExchange(ref _state, ((long)version << 3) | (long)outcome, armed) == armed;
    }

    /// <summary>Claims and, on success, resumes the waiting party.</summary>
    internal void Complete(WaitOutcome outcome)
    {
        if (TryClaim(outcome))
        {
            Dispatch();
        }
    }

    /// <summary>Resumes the waiting party. Called exactly once per successful claim, by the claimer, outside any lock.</summary>
    internal abstract void Dispatch();

    /// <summary>Puts the node in <paramref name="timers"/> with a deadline <paramref name="timeoutMs"/> from now.</summary>
    internal void StartTimer(Co.Scheduling.TimerHeap timers, int timeoutMs)
    {
        Deadline = Co.Scheduling.Clock.DeadlineAfter(timeoutMs);
        _timers = timers;
        timers.Add(this);
    }

    /// <summary>Lets <paramref name="token"/> cancel the current wait.</summary>
    internal void RegisterCancellation(CancellationToken token)
    {
        if (token.CanBeCanceled)
        {
            _cancellation = token.UnsafeRegister(s_cancel, this);
        }
    }

    /// <summary>Detaches the node from every claim source once its wait is over; must run before the next
    /// <see cref="Arm"/>, on the thread that owns the node's timer heap.</summary>
    internal void ReleaseClaimSources()
    {
        if (_timers is not null)
        {
            _timers.Remove(this);
            _timers = null;
        }

        _cancellation.Dispose();
        _cancellation = default;
        if (Outcome != WaitOutcome.Signaled)
        {
            Source?.Detach(this);
        }

        Source = null;
    }

    /// <summary>Resumes every node of a chain built through <see cref="DispatchNext"/>.</summary>
    internal static void DispatchChain(WaitNode? chain)
    {
        while (chain is not null)
        {
            WaitNode? next = chain.DispatchNext;
            chain.DispatchNext = null;
            chain.Dispatch();
            chain = next;
        }
    }
}
