using Co.Diagnostics;
using Co.Scheduling;
using Co.Waiting;

namespace Co;

// The scheduler's side of the blocked-scheduler monitor (Scheduling/BlockedSchedulerMonitor.cs): detaching a holder
// blocked in coroutine code, and the detached thread's rejoin. What a detach may and may not break, and the handshake
// below, are stated in docs/ARCHITECTURE.md ("The blocked-scheduler monitor").
//
// The detach protocol is an asymmetric Dekker handshake, so that the worker's side costs plain stores and loads:
//
//   worker (leaving coroutine code, or opening a HolderSection)     monitor (TryRescue, on the step word it watched)
//     store BatonWord (InScheduler / InHolderSection)                  store DetachWord = step | Requested
//     load DetachWord                                                  process-wide memory barrier
//                                                                      load BatonWord: unchanged → Committed,
//                                                                                      changed → Canceled
//
// The barrier orders the worker's store before its load as if it had fenced itself, so at least one side sees the
// other's store. The decision is written after _holder has stopped naming the detached worker, so its enqueues go
// through the inbox from then on.
public sealed partial class Scheduler
{
    /// <summary>Whether any scheduler is monitored: the per-step bookkeeping below runs only then.</summary>
    private static volatile bool s_monitored;

    /// <summary>Baton hand-offs made by the monitor (monitor thread only).</summary>
    private long _handoffs;

    /// <summary>Workers the monitor detached that have not rejoined yet, for dumps (under <see cref="_detachedLock"/>:
    /// rare). A worker is listed before the monitor's request, so it is always there when it rejoins.</summary>
    private readonly List<Worker> _detached = [];

    private readonly Lock _detachedLock = new();

    /// <summary>Whether the monitor runs: holder sections and step bookkeeping are needed only then.</summary>
    internal static bool IsMonitored => s_monitored;

    /// <summary>The worker holding the baton (racy read, for the monitor).</summary>
    internal Worker? Holder => Volatile.Read(ref _holder);

    /// <summary>Hand-offs made by the monitor so far.</summary>
    internal long HandoffCount => Interlocked.Read(ref _handoffs);

    /// <summary>Turns the per-step bookkeeping on (before the monitor starts).</summary>
    internal static void EnableMonitoring() => s_monitored = true;

    /// <summary>Opens a <see cref="HolderSection"/> for <paramref name="me"/>, rejoining first if the monitor detached
    /// it (or, without <paramref name="mayRejoin"/>, returning a section that says so); a no-op section outside
    /// coroutine code or inside another section.</summary>
    internal HolderSection EnterSection(Worker me, bool mayRejoin)
    {
        long word = me.BatonWord;
        if (Worker.StateOf(word) != Worker.InCoroutine)
        {
            return default;
        }

        if (mayRejoin)
        {
            SpinGate.AssertNoneHeld("a holder section that may rejoin (and so park) opens");
        }

        while (true)
        {
            Volatile.Write(ref me.BatonWord, word | Worker.InHolderSection);
            if (!DetachedIn(me, word, countSample: mayRejoin))
            {
                return new HolderSection(me, word);
            }

            if (!mayRejoin)
            {
                Volatile.Write(ref me.BatonWord, word); // still detached: it rejoins at its next section or park
                return HolderSection.Detached;
            }

            CoroutineBase coroutine = me.Running!;
            me.BatonWord = word; // the section did not open
            me.LeaveCoroutineCode(); // detached already: no handshake to make
            Rejoin(me, coroutine);
            me.EnterCoroutineCode(coroutine); // a new step, so the handshake again for it
            word = me.BatonWord;
        }
    }

    /// <summary>
    /// Called by the monitor thread: detaches <paramref name="stuck"/> if it is still in the coroutine step the monitor
    /// watched (<paramref name="watched"/>, its baton word then), and hands the baton to a spare. See the protocol above.
    /// </summary>
    internal bool TryRescue(Worker stuck, long watched)
    {
        long step = watched & ~Worker.StateMask;
        if (Volatile.Read(ref stuck.DetachWord) == (step | Worker.DetachCommitted))
        {
            // Detached in this very step already, then handed the baton by its own wait's wake before it noticed: it
            // rejoins at its next section or park, and must not be detached twice.
            return false;
        }

        lock (_detachedLock)
        {
            _detached.Add(stuck);
        }

        Volatile.Write(ref stuck.DetachWord, step | Worker.DetachRequested);
        Interlocked.MemoryBarrierProcessWide();
        if (Volatile.Read(ref stuck.BatonWord) != watched)
        {
            Volatile.Write(ref stuck.DetachWord, step | Worker.DetachCanceled);
            lock (_detachedLock)
            {
                _detached.Remove(stuck);
            }

            return false;
        }

        Volatile.Write(ref _holder, null); // the detached worker is no holder from here on: its enqueues take the inbox
        Volatile.Write(ref stuck.DetachWord, step | Worker.DetachCommitted);
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

    /// <summary>The thread leaves coroutine code (<see cref="Worker.LeaveCoroutineCode"/>); if the monitor detached it
    /// meanwhile, it rejoins first.</summary>
    private void LeaveCoroutineCode(Worker me)
    {
        CoroutineBase? coroutine = me.Running;
        long word = me.LeaveCoroutineCode();
        if (Worker.StateOf(word) != Worker.InScheduler && DetachedIn(me, word, countSample: true))
        {
            Rejoin(me, coroutine);
        }
    }

    /// <summary>Whether the monitor detached <paramref name="me"/> in the step of <paramref name="word"/>: false at once
    /// without a request for that step; with one, waits for the monitor's decision (it is taking a process-wide
    /// barrier). Called right after the worker's store that announces it left coroutine code or opened a section. A
    /// step the monitor only sampled is not detached; with <paramref name="countSample"/> (no spin gate held) the sample
    /// is counted here.</summary>
    private static bool DetachedIn(Worker me, long word, bool countSample)
    {
        long step = word & ~Worker.StateMask;
        long detach = Volatile.Read(ref me.DetachWord);
        if ((detach & ~Worker.StateMask) != step)
        {
            return false;
        }

        if (Worker.StateOf(detach) == Worker.DetachSampled)
        {
            if (countSample)
            {
                CountShortBlocking(me, step); // takes the stack: not under a primitive's spin gate, where sections may not rejoin
            }

            return false;
        }

        var spin = new SpinWait();
        while (Worker.StateOf(detach) == Worker.DetachRequested)
        {
            spin.SpinOnce();
            detach = Volatile.Read(ref me.DetachWord);
        }

        return Worker.StateOf(detach) == Worker.DetachCommitted;
    }

    /// <summary>The monitor saw this step's thread asleep in the kernel short of the threshold: counts it once, at the
    /// first frame outside Co and .NET on the stack here (the step's next section or park, as a rescue's rejoin).</summary>
    private static void CountShortBlocking(Worker me, long step)
    {
        if (me.ShortSampleCountedStep == step)
        {
            return;
        }

        me.ShortSampleCountedStep = step;
        BlockingSites.AddShort(CallSites.OfCurrentStack(), me.ShortBlockedIn);
    }

    /// <summary>Reports the episode of <paramref name="coroutine"/> (the user's handlers run on the thread pool, never
    /// here), then waits, as a parked coroutine does, until a holder hands this detached worker the baton back. The
    /// caller has taken the thread out of coroutine code.</summary>
    private void Rejoin(Worker me, CoroutineBase? coroutine)
    {
        long blockedForMs = Environment.TickCount64 - me.BlockedSinceMs;
        lock (_detachedLock)
        {
            _detached.Remove(me);
        }

        var stack = new System.Diagnostics.StackTrace(fNeedFileInfo: true);
        BlockedReports.Report(new SchedulerBlockedEventArgs(coroutine?.Id ?? -1, Id, TimeSpan.FromMilliseconds(blockedForMs), me.BlockedIn, stack.ToString())
        {
            CallSite = CallSites.Of(stack),
        });

        // Through the inbox (this worker is no holder); its execution hands this thread the baton. If the coroutine had
        // already arranged a resume (a Yield, a wait armed just before), it now has two entries in the queue, and each
        // is consumed by one park: this one, and the park it was on its way to, which follows every rejoin from Park.
        // A rejoin from anywhere else arranges no resume of its own.
        Enqueue(me);
        me.Signal.Wait();
    }
}
