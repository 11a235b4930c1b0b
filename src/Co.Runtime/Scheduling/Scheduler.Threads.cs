using Co.Scheduling;

namespace Co;

// The scheduler's OS threads: its spares, how many threads it has, and the rule that keeps a park from ever needing a
// thread it cannot get (docs/ARCHITECTURE.md, "Threads and the OS thread limit").
//
// A park hands the baton to a spare whenever the next item is not a parked thread's resume, and any coroutine code may
// park (a sync coroutine's wait, or a synchronous wait in an async coroutine's step). So the holder admits coroutine
// code (TakeNext → Admit) only while a spare stands by: one for a step of any kind, two for the start of a sync
// coroutine — its own park's, and one kept back for the async coroutines' steps, so that at the limit sync starts are
// held back first while async coroutines go on. Spares are started here, by the holder in scheduler code, before the
// coroutine code that may need them; a start the OS refuses (its thread limit: pids.max, RLIMIT_NPROC,
// vm.max_map_count, memory) is caught here and the item waits in one of two queues, in order, until the spares are
// there: a parked coroutine resumes (the thread that runs its resume joins the spares), or a retry every
// ThreadRetryMs gets a thread. Park and the monitor's detach only take a spare (TakeSpare), never start one.
//
//   item taken ─▶ Admit: enough spares (or started now)? ── yes ─▶ runs
//                                    │ no (the OS refused; retry after ThreadRetryMs)
//                                    ▼
//                 _startsAwaitingThread (sync starts) / _stepsAwaitingThread (any other coroutine item)
//                                    │ TakeAwaitingThread, first thing in every TakeNext, once enough spares are there
//                                    ▼
//                                   runs
//
// Items with no coroutine code (a parked thread's resume, a dump's snapshot) are always admitted: running a resume
// frees a thread.
public sealed partial class Scheduler
{
    /// <summary>Spares that must stand by before the holder runs a coroutine step (a park's hand-off).</summary>
    private const int SparesForStep = 1;

    /// <summary>Spares that must stand by before a sync coroutine starts: one for its park, one kept for async steps.</summary>
    private const int SparesForSyncStart = 2;

    /// <summary>How long after a thread start the OS refused the holder tries again (unless a resume frees a thread first).</summary>
    private const int ThreadRetryMs = 10;

    /// <summary>Sync coroutine starts held back until two spares stand by; holder only.</summary>
    private readonly RunQueue _startsAwaitingThread;

    /// <summary>Other coroutine items (async steps, continuations, wait completions) held back until a spare stands by;
    /// holder only.</summary>
    private readonly RunQueue _stepsAwaitingThread;

    /// <summary>When the holder may try to start a thread again after the OS refused one (<see cref="Clock"/> ticks);
    /// holder only.</summary>
    private long _nextThreadAttempt;

    /// <summary>The OS threads of this scheduler (holder, threads of parked coroutines, spares); interlocked.</summary>
    private int _threadCount;

    /// <summary>Thread starts the OS refused; holder only (racy reads).</summary>
    private long _threadStartsRefused;

    /// <summary>Items in the two awaiting queues; holder only (racy reads).</summary>
    private int _awaitingThreadCount;

    /// <summary>The OS threads of this scheduler (racy read).</summary>
    internal int ThreadCount => Volatile.Read(ref _threadCount);

    /// <summary>Thread starts the OS refused so far: the scheduler met the thread limit (racy read).</summary>
    internal long ThreadStartsRefused => Volatile.Read(ref _threadStartsRefused);

    /// <summary>Coroutine starts and steps held back until the scheduler has a spare thread (racy read).</summary>
    internal int AwaitingThreadCount => Volatile.Read(ref _awaitingThreadCount);

    /// <summary>Counts a worker thread that started (<see cref="Worker.Start"/>).</summary>
    internal void NoteThreadStarted() => Interlocked.Increment(ref _threadCount);

    /// <summary>Counts a worker thread that ended (it retired, or the scheduler stopped).</summary>
    internal void NoteThreadExited() => Interlocked.Decrement(ref _threadCount);

    /// <summary>Whether <paramref name="item"/> may run now; if not, it is held back in its awaiting queue. Holder only,
    /// in scheduler code.</summary>
    private bool Admit(IRunnable item)
    {
        if (item.Owner is null)
        {
            return true;
        }

        bool syncStart = item is SyncCoroutine;
        if (HaveSpares(syncStart ? SparesForSyncStart : SparesForStep))
        {
            return true;
        }

        (syncStart ? _startsAwaitingThread : _stepsAwaitingThread).PushBack(item);
        Volatile.Write(ref _awaitingThreadCount, _awaitingThreadCount + 1);
        return false;
    }

    /// <summary>The oldest held-back item that may run now (steps first: they belong to started coroutines), or null.</summary>
    private IRunnable? TakeAwaitingThread()
    {
        RunQueue? queue =
            _stepsAwaitingThread.Count > 0 && HaveSpares(SparesForStep) ? _stepsAwaitingThread :
            _startsAwaitingThread.Count > 0 && HaveSpares(SparesForSyncStart) ? _startsAwaitingThread :
            null;
        if (queue is null)
        {
            return null;
        }

        Volatile.Write(ref _awaitingThreadCount, _awaitingThreadCount - 1);
        return queue.PopFront();
    }

    /// <summary>How long the idle holder may sleep for the sake of the held-back items: until the next thread start
    /// attempt while any wait, else for ever (-1).</summary>
    private int MsUntilThreadRetry() => _awaitingThreadCount > 0 ? Clock.MsUntil(_nextThreadAttempt) : -1;

    /// <summary>Whether at least <paramref name="wanted"/> spares stand by, starting the missing ones unless the OS
    /// refused a thread less than <see cref="ThreadRetryMs"/> ago. Holder only, in scheduler code.</summary>
    private bool HaveSpares(int wanted)
    {
        // Read without the lock: only this holder takes spares, and a spare that retires leaves one.
        if (_spares.Count >= wanted)
        {
            return true;
        }

        long now = Clock.Now;
        if (now < _nextThreadAttempt)
        {
            return false;
        }

        while (_spares.Count < wanted)
        {
            Worker spare;
            try
            {
                spare = Worker.Start(this, _stackSize, _pinCpu);
            }
            catch (Exception refused) when (refused is OutOfMemoryException or ThreadStartException)
            {
                // The thread limit (Thread.Start reports a refused clone as OutOfMemoryException): try again later.
                Volatile.Write(ref _threadStartsRefused, _threadStartsRefused + 1);
                _nextThreadAttempt = Clock.DeadlineAfter(ThreadRetryMs);
                return false;
            }

            lock (_sparesLock)
            {
                _spares.Add(spare);
            }
        }

        return true;
    }

    /// <summary>A spare to carry on the loop (for a park or the monitor's detach). One always stands by while the holder
    /// runs coroutine code (<see cref="Admit"/>); none would mean a runtime bug, never the thread limit.</summary>
    private Worker TakeSpare()
    {
        lock (_sparesLock)
        {
            if (_spares.Count == 0)
            {
                throw new BatonInvariantException("a thread parks (or is detached) with no spare thread standing by.");
            }

            Worker spare = _spares[^1];
            _spares.RemoveAt(_spares.Count - 1);
            return spare;
        }
    }

    /// <summary>Describes the sync coroutines held back before their start (no id yet), for a dump on the holder.</summary>
    private void DescribeAwaitingStarts(List<CoroutineInfo> infos)
    {
        for (int i = 0; i < _startsAwaitingThread.Count; i++)
        {
            infos.Add(new CoroutineInfo(-1, Id, CoroutineKind.Sync, CoroutineState.WaitingForThread, null, null));
        }
    }
}
