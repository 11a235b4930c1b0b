using Co.Scheduling;

namespace Co;

// The scheduler's side of the blocked-scheduler monitor (Scheduling/BlockedSchedulerMonitor.cs).
//
// A coroutine that blocks in a call the runtime never sees (a lock held elsewhere, Task.Result with hooks off, a FIFO
// read) holds its scheduler's baton: nothing else of that scheduler runs. The monitor detaches such a holder
// (Worker.BatonWord InCoroutine → Detached) and hands the baton to a spare, which carries on the loop.
// The blocked call cannot be stopped from returning, so from then on, until its coroutine's next suspension point, the
// detached thread runs that one coroutine's code alongside the scheduler's new holder — the one window in which the
// baton invariant ("at most one thread runs this scheduler's code") holds for the scheduler but not for the coroutine.
// What keeps the window safe: the detached thread touches nothing holder-only without rejoining first. Its enqueues
// go through the inbox (it is not the holder); every holder-only structure reachable from coroutine code (the async
// node and continuation pools, the timer heap, the id allocator and live table, Pool<T>'s per-scheduler store) calls
// EnsureHeld first; and leaving coroutine code (a step's end, a park) checks BatonWord with a compare-and-swap. To
// rejoin, the detached worker enqueues its own resume and parks until a holder hands it the baton, as any parked
// coroutine is resumed.
public sealed partial class Scheduler
{
    /// <summary>Whether any scheduler is monitored: the per-step bookkeeping below runs only then.</summary>
    private static volatile bool s_monitored;

    /// <summary>Baton hand-offs made by the monitor (monitor thread only).</summary>
    private long _handoffs;

    /// <summary>Workers the monitor detached that have not rejoined yet, for dumps (under <see cref="_detachedLock"/>:
    /// rare). A worker is listed before its detaching compare-and-swap, so it is always there when it rejoins.</summary>
    private readonly List<Worker> _detached = [];

    private readonly Lock _detachedLock = new();

    /// <summary>The worker holding the baton (racy read, for the monitor).</summary>
    internal Worker? Holder => Volatile.Read(ref _holder);

    /// <summary>Hand-offs made by the monitor so far.</summary>
    internal long HandoffCount => Interlocked.Read(ref _handoffs);

    /// <summary>Turns the per-step bookkeeping on (before the monitor starts).</summary>
    internal static void EnableMonitoring() => s_monitored = true;

    /// <summary>
    /// For holder-only structures that coroutine code reaches: a thread the monitor detached rejoins its scheduler
    /// first (and goes on as its holder, in coroutine code). Costs one static read when the monitor is off.
    /// </summary>
    internal void EnsureHeld()
    {
        if (s_monitored && Worker.Current is { } me && ReferenceEquals(me.Scheduler, this) && Worker.StateOf(Volatile.Read(ref me.BatonWord)) == Worker.Detached)
        {
            Rejoin(me, backInCoroutine: true);
        }
    }

    /// <summary>Called by the monitor thread: detaches <paramref name="stuck"/> if it is still in the coroutine step
    /// the monitor watched (<paramref name="watched"/>, its baton word then), and hands the baton to a spare.</summary>
    internal bool TryRescue(Worker stuck, long watched)
    {
        lock (_detachedLock)
        {
            _detached.Add(stuck);
        }

        long detached = (watched & ~Worker.StateMask) | Worker.Detached;
        if (Interlocked.CompareExchange(ref stuck.BatonWord, detached, watched) != watched)
        {
            lock (_detachedLock)
            {
                _detached.Remove(stuck);
            }

            return false;
        }

        Interlocked.Increment(ref _handoffs);
        HandBatonTo(TakeSpare());
        return true;
    }

    /// <summary>The workers detached now, for a dump.</summary>
    private Worker[] DetachedWorkers()
    {
        lock (_detachedLock)
        {
            return _detached.Count == 0 ? [] : [.. _detached];
        }
    }

    /// <summary>The holder enters coroutine code: a new step, so a new sequence number.</summary>
    private void EnterCoroutineCode(Worker me)
    {
        if (s_monitored)
        {
            Volatile.Write(ref me.BatonWord, (me.BatonWord & ~Worker.StateMask) + (Worker.StateMask + 1) | Worker.InCoroutine);
        }
    }

    /// <summary>The thread leaves coroutine code; if the monitor detached it meanwhile, it rejoins first.</summary>
    private void LeaveCoroutineCode(Worker me)
    {
        if (!s_monitored)
        {
            return;
        }

        long word = Volatile.Read(ref me.BatonWord);
        while (Worker.StateOf(word) == Worker.InCoroutine)
        {
            long seen = Interlocked.CompareExchange(ref me.BatonWord, word & ~Worker.StateMask, word);
            if (seen == word)
            {
                return;
            }

            word = seen;
        }

        if (Worker.StateOf(word) == Worker.Detached)
        {
            Rejoin(me, backInCoroutine: false);
        }
    }

    /// <summary>Waits, as a parked coroutine does, until a holder hands this detached worker the baton back; then
    /// reports the episode.</summary>
    private void Rejoin(Worker me, bool backInCoroutine)
    {
        long blockedForMs = Environment.TickCount64 - me.BlockedSinceMs;
        string? blockedIn = me.BlockedIn;
        CoroutineBase? coroutine = me.Running;
        lock (_detachedLock)
        {
            _detached.Remove(me);
        }

        Volatile.Write(ref me.BatonWord, me.BatonWord & ~Worker.StateMask); // InScheduler, same step

        // Not the holder: through the inbox; its execution hands this thread the baton. If the coroutine had already
        // arranged a resume (a Yield, a wait armed just before), it now has two entries in the queue, and each is
        // consumed by one park: this one, and the park it was on its way to, which follows every rejoin from Park or
        // Waits.Block. A rejoin from anywhere else arranges no resume of its own.
        Enqueue(me);
        me.Parker.Park();
        if (backInCoroutine)
        {
            EnterCoroutineCode(me);
        }

        BlockedReports.Report(new SchedulerBlockedEventArgs(coroutine?.Id ?? -1, Id, TimeSpan.FromMilliseconds(blockedForMs), blockedIn, Environment.StackTrace));
    }
}
