using System.Diagnostics;

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
/// <see cref="WaitList"/>), by its timer (<see cref="Co.Scheduling.TimerHeap"/>) or, for async waits, by its
/// CancellationToken. Claims
/// race; the CAS picks one winner and the others fail harmlessly.</para>
/// <para><b>Stale wake-ups.</b> Before a node is armed again, the waiting party detaches it from every claim source
/// (<see cref="ReleaseClaimSources"/>: timer removed, list unlinked, cancellation registration disposed), so no source
/// can hold a node across two waits. Claims that carry a version (<see cref="TryClaim(int, WaitOutcome)"/>) are checked
/// against it as well, and the version doubles as the <see cref="System.Threading.Tasks.ValueTask"/> token of async
/// waits. An async wait's awaiter ends it with <see cref="RetireVersion"/> (→ Idle under the next version) as it reads
/// the result, so awaiting the same ValueTask again throws at once, whether or not the node was armed again since.</para>
/// <para>Primitives claim under their own lock and dispatch after releasing it (two-phase completion), so a lock
/// hand-off is never given to a waiter that timed out or was cancelled.</para>
/// </remarks>
internal abstract class WaitNode
{
    private const long CodeMask = 7;
    private const long ArmedCode = 1;

    /// <summary>version &lt;&lt; 3 | code, see the type remarks.</summary>
    private long _state;

    /// <summary>Deadline in Stopwatch ticks while the node is in a timer heap.</summary>
    internal long Deadline;

    /// <summary>Index in the timer heap, -1 when not in one. Maintained by the heap.</summary>
    internal int TimerIndex = -1;

    /// <summary>Whether the current wait has a deadline (<see cref="StartTimer"/>).</summary>
    private bool _hasDeadline;

    /// <summary>Link to the previous node of the primitive's wait list, valid while <see cref="List"/> is set; guarded
    /// by the primitive's lock.</summary>
    internal WaitNode? ListPrev;

    /// <summary>Link to the next node of the primitive's wait list while <see cref="List"/> is set; once the node is
    /// unlinked and claimed, the link of the chain of claimed nodes that <see cref="DispatchChain"/> resumes after the
    /// primitive's lock is released.</summary>
    internal WaitNode? ListNext;

    /// <summary>The wait list the node is linked into, or null.</summary>
    internal WaitList? List;

    /// <summary>The primitive the current wait is on, to detach from after a timeout or cancellation; null for sleeps.</summary>
    internal IWaitSource? Source;

    /// <summary>Whether the current wait has a deadline (for dumps).</summary>
    internal bool HasDeadline => _hasDeadline;

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

    /// <summary>
    /// Ends the finished wait's version without starting another (→ Idle under the next version): its ValueTask token is
    /// stale from now on, so awaiting that ValueTask again throws instead of waiting on a pooled node that nothing will
    /// complete, and a late claim that carries the old version fails. Only the awaiter calls it, once the wait is over.
    /// </summary>
    internal void RetireVersion()
    {
        long state = Volatile.Read(ref _state);
        Debug.Assert((state & CodeMask) > ArmedCode, "only a claimed wait is retired");
        Volatile.Write(ref _state, ((state >> 3) + 1) << 3);
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

    /// <summary>The timer heap of the scheduler the waiting party runs on; null for plain threads, which time out by
    /// themselves.</summary>
    private protected abstract Co.Scheduling.TimerHeap? Timers { get; }

    /// <summary>Puts the node in its scheduler's timer heap with a deadline <paramref name="timeoutMs"/> from now.</summary>
    internal void StartTimer(int timeoutMs)
    {
        Deadline = Co.Scheduling.Clock.DeadlineAfter(timeoutMs);
        _hasDeadline = true;
        using Co.Scheduling.HolderSection section = Co.Scheduling.HolderSection.Enter();
        Timers!.Add(this);
    }

    /// <summary>
    /// Returns a wait claimed with <see cref="WaitOutcome.Signaled"/> to Armed under the same version, so the same wait
    /// (deadline, cancellation) goes on: used when an I/O readiness claim's retry found no data after all. Called by the
    /// claim's owner on the scheduler's holder, before the node is published to any source again. A timer that fired
    /// and lost to the claim is put back (it fires at once if the deadline has passed).
    /// </summary>
    internal void Rearm()
    {
        long state = Volatile.Read(ref _state);
        Volatile.Write(ref _state, (state & ~CodeMask) | ArmedCode);
        if (_hasDeadline && TimerIndex < 0)
        {
            using Co.Scheduling.HolderSection section = Co.Scheduling.HolderSection.Enter();
            Timers!.Add(this);
        }
    }

    /// <summary>Detaches the node from every claim source once its wait is over; must run before the next
    /// <see cref="Arm"/>, on the thread holding the baton of the node's scheduler.</summary>
    internal virtual void ReleaseClaimSources()
    {
        if (TimerIndex >= 0)
        {
            using Co.Scheduling.HolderSection section = Co.Scheduling.HolderSection.Enter();
            Timers!.Remove(this);
        }

        _hasDeadline = false;

        if (Outcome != WaitOutcome.Signaled)
        {
            Source?.Detach(this);
        }

        Source = null;
    }

    /// <summary>Resumes every node of a chain of claimed nodes linked through <see cref="ListNext"/>.</summary>
    internal static void DispatchChain(WaitNode? chain)
    {
        while (chain is not null)
        {
            WaitNode? next = chain.ListNext;
            chain.ListNext = null;
            chain.Dispatch();
            chain = next;
        }
    }
}
