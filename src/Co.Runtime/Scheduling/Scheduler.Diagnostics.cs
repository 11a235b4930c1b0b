using Co.Diagnostics;
using Co.Scheduling;

namespace Co;

// What a scheduler tells diagnostics: its live coroutines and a few counters. Everything here is written by the
// holder only (coroutines start and finish on it; RunNext counts on it), so no write needs a lock or an atomic; readers
// on other threads (metrics) see slightly stale values, and the dump reads the live table on the holder itself.
public sealed partial class Scheduler
{
    /// <summary>Live coroutines by id slot (freed slots are reused first, so the table stays dense); holder only.</summary>
    private CoroutineBase?[] _live = new CoroutineBase?[64];

    private int _liveCount;
    private long _created;

    /// <summary>Run-queue items executed (coroutine steps and resumes): the switches of this scheduler.</summary>
    private long _switches;

    /// <summary>Coroutines started and not yet finished (racy read).</summary>
    internal int LiveCount => Volatile.Read(ref _liveCount);

    /// <summary>Coroutines ever started here (racy read).</summary>
    internal long CreatedCount => Volatile.Read(ref _created);

    /// <summary>Run-queue items executed so far (racy read).</summary>
    internal long SwitchCount => Volatile.Read(ref _switches);

    /// <summary>
    /// Work waiting to run on this scheduler: coroutines created and not yet started, and coroutines woken and not yet
    /// resumed (its run queue plus the items other threads queued to it). A racy snapshot, readable from any thread;
    /// the meter <c>co.runqueue.length</c> reports the same per scheduler (tag <c>scheduler</c>), and
    /// <see cref="Coroutine.DumpTo"/> prints it.
    /// </summary>
    /// <remarks>
    /// <para><b>No back-pressure.</b> <c>Go</c> never waits and never refuses for load: every call queues one more
    /// coroutine (with its delegate and what that captures) however long the queue is, so
    /// producers that create coroutines faster than the schedulers finish them grow the queue without bound — an
    /// adversarial run saw 8 threads queue 18.5 million coroutines in 10 s, 4.4 GiB (some 250 bytes each), which took 19 s to drain. Bound
    /// the producer where it knows its limit: a <see cref="Chan{T}"/> or <see cref="WaitGroup"/> used as a semaphore
    /// around the work, or a check of this length.</para>
    /// <para>There is no bound option on <c>Go</c>: a coroutine creating coroutines on its own scheduler cannot wait
    /// for the queue to shrink (the queue only drains when that coroutine lets the scheduler go), so a blocking bound
    /// would deadlock it, and a refusing one would make every <c>Go</c> call site handle a failure that co's
    /// <c>go</c> never has.</para>
    /// </remarks>
    public int RunQueueLength => _local.Count + _inbox.Count;

    /// <summary>Records a coroutine that got its id; holder only.</summary>
    internal void TrackStarted(CoroutineBase coroutine, int slot)
    {
        Baton.AssertHolder(this);
        if (slot >= _live.Length)
        {
            Array.Resize(ref _live, Math.Max(slot + 1, _live.Length * 2));
        }

        _live[slot] = coroutine;
        Volatile.Write(ref _liveCount, _liveCount + 1);
        Volatile.Write(ref _created, _created + 1);
    }

    /// <summary>Forgets a coroutine that finished; holder only.</summary>
    internal void TrackFinished(CoroutineBase coroutine, int slot)
    {
        Baton.AssertHolder(this);
        if ((uint)slot < (uint)_live.Length && ReferenceEquals(_live[slot], coroutine))
        {
            _live[slot] = null;
            Volatile.Write(ref _liveCount, _liveCount - 1);
        }
    }

    /// <summary>
    /// The live coroutines of this scheduler, read on its holder (a snapshot item goes through the run queue) so the
    /// table is consistent; if the holder does not take it within <paramref name="timeoutMs"/> — a coroutine is blocking
    /// the scheduler — the table is read from here instead (possibly a little stale) and the coroutine the holder runs
    /// is reported as running.
    /// </summary>
    internal List<CoroutineInfo> Snapshot(int timeoutMs)
    {
        var item = new SnapshotItem(this);
        Enqueue(item);
        if (item.Done.Wait(timeoutMs))
        {
            return item.Result!;
        }

        return Describe(_holder?.Running, onHolder: false);
    }

    /// <summary>The snapshot taken by the holder itself (a coroutine dumping its own scheduler, which it is running).</summary>
    internal List<CoroutineInfo> SnapshotOnHolder()
    {
        using HolderSection section = HolderSection.Enter();
        Baton.AssertHolder(this);
        return Describe(Worker.Current?.Running, onHolder: true);
    }

    /// <summary>Describes every live coroutine, and, <paramref name="onHolder"/>, the sync coroutines held back before
    /// their start for want of a thread; <paramref name="running"/> is the one the holder is running.</summary>
    private List<CoroutineInfo> Describe(CoroutineBase? running, bool onHolder)
    {
        long now = Environment.TickCount64;
        var infos = new List<CoroutineInfo>(Math.Max(LiveCount, 0));
        Worker[] detached = DetachedWorkers();
        foreach (CoroutineBase? coroutine in _live.AsSpan())
        {
            if (coroutine is null)
            {
                continue;
            }

            Worker? blocked = Array.Find(detached, worker => ReferenceEquals(worker.Running, coroutine));
            infos.Add(blocked is null
                ? WaitDescriptions.Describe(coroutine, ReferenceEquals(coroutine, running), now)
                : WaitDescriptions.DescribeBlocked(coroutine, blocked.BlockedIn, blocked.BlockedSinceMs, now));
        }

        if (onHolder)
        {
            DescribeAwaitingStarts(infos);
        }

        return infos;
    }

    /// <summary>Takes the snapshot on the holder, as scheduler code (no coroutine runs meanwhile).</summary>
    private sealed class SnapshotItem(Scheduler scheduler) : IRunnable
    {
        public ManualResetEventSlim Done { get; } = new();

        public List<CoroutineInfo>? Result { get; private set; }

        public CoroutineBase? Owner => null;

        public void Execute(Worker runner)
        {
            Baton.AssertHolder(scheduler);
            Result = scheduler.Describe(running: null, onHolder: true);
            Done.Set();
        }
    }
}
