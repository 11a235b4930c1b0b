using System.Diagnostics;
using Co.Waiting;

namespace Co.Scheduling;

/// <summary>
/// The Debug build's checks of the baton invariant (docs/ARCHITECTURE.md, "The baton invariant"), in one place. Every
/// holder-only structure calls <see cref="AssertHolder"/> at its entry points; <see cref="ThreadSignal"/> and
/// <see cref="Scheduler.Park"/> call <see cref="SpinGate.AssertNoneHeld"/>. The calls vanish from Release builds
/// (<see cref="ConditionalAttribute"/>): the hot path pays nothing for them.
/// </summary>
/// <remarks>
/// A broken check throws <see cref="BatonInvariantException"/> rather than failing a <c>Debug.Assert</c>: a failed
/// assert ends the process at once (FailFast, in a test host too), so no test could prove in-process that a missing
/// holder section is caught; an exception can be caught by that test, and one that escapes a coroutine still ends the
/// process (<see cref="UnhandledExceptions"/>), so a broken invariant is never lost in a log.
/// </remarks>
internal static class Baton
{
    /// <summary>
    /// Checks that the calling thread may touch <paramref name="scheduler"/>'s holder-only state: it is the scheduler's
    /// holder and, when it runs coroutine code while the monitor runs, it is inside a <see cref="HolderSection"/> (or
    /// the monitor could detach it in the middle of the touch). With the monitor off sections are no-ops, the baton
    /// word stays <see cref="Worker.InScheduler"/>, and being the holder is the whole rule. A thread the monitor
    /// detached is no holder any more (<c>_holder</c> stops naming it before the detach is committed), so it fails the
    /// first part until it rejoins.
    /// </summary>
    [Conditional("DEBUG")]
    internal static void AssertHolder(Scheduler scheduler)
    {
        Worker? me = Worker.Current;
        if (me is null || !ReferenceEquals(scheduler.Holder, me))
        {
            throw new BatonInvariantException(
                $"scheduler {scheduler.Id}'s holder-only state touched by {(me is null ? "a thread that is no scheduler thread" : $"a thread of scheduler {me.Scheduler.Id} that does not hold its baton")}.");
        }

        if (Scheduler.IsMonitored && Worker.StateOf(Volatile.Read(ref me.BatonWord)) == Worker.InCoroutine)
        {
            throw new BatonInvariantException(
                $"scheduler {scheduler.Id}'s holder-only state touched by coroutine code outside a holder section (HolderSection.Enter): the monitor could detach the thread in the middle of it.");
        }
    }
}
