using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using Co.Platform;
using Co.Scheduling;
using Co.Waiting;

namespace Co;

// The scheduler loop and the baton: how the holder runs the run queue, parks, and hands the baton on. The invariant
// these keep, and its words, are stated once, in docs/ARCHITECTURE.md ("The baton invariant"); Debug builds check it
// (Scheduling/Baton.cs). The holder gives the baton away only in PassBatonFromLoop and Park, as its last act before it
// parks; other threads reach the scheduler only through Enqueue (the lock-free inbox plus a poller wake-up).
public sealed partial class Scheduler
{
    private const int FairnessInterval = 64;

    /// <summary>How many times an idle holder re-checks its inbox (about 10 µs in all) before sleeping in the poller: work
    /// that arrives within that window costs no wake-up syscall on either side.</summary>
    private const int IdleSpins = 32;
    private const int MaxPooledNodes = 1024;

    /// <summary>Work ready to run; holder only.</summary>
    private readonly RunQueue _local;

    /// <summary>Work enqueued by threads that do not hold the baton; drained into <see cref="_local"/> by the holder.</summary>
    private readonly ConcurrentQueue<IRunnable> _inbox = new();

    private readonly IPoller _poller;

    /// <summary>Workers with nothing to carry, most recently used last; guarded by <see cref="_sparesLock"/> because a
    /// spare that times out removes itself without the baton.</summary>
    private readonly List<Worker> _spares = [];
    private readonly Lock _sparesLock = new();

    /// <summary>Freed id slots (a coroutine's id is Id + N × slot), reused first; holder only.</summary>
    private readonly Stack<int> _freeSlots = new();

    /// <summary>Pooled yield items; holder only.</summary>
    private readonly Stack<ContinuationItem> _continuationItems = new();

    private readonly int _schedulerCount;
    private readonly int _stackSize;
    private readonly int _pinCpu;
    private readonly long _spareIdleTimeoutMs;

    /// <summary>The worker holding the baton. Written by the giver just before it wakes the receiver.</summary>
    private Worker? _holder;

    /// <summary>1 while the holder sleeps in the poller (or is about to); a waker that swaps it back to 0 wakes the poller.</summary>
    private int _idle;

    private volatile bool _stopping;

    /// <summary>Set once a descriptor is registered with this scheduler's poller: from then on the loop also polls for
    /// readiness while it has work, and does not spin before sleeping (readiness would wait out the spin).</summary>
    private volatile bool _pollsIo;

    /// <summary>Counts picks from the local queue so the inbox and timers are looked at every <see cref="FairnessInterval"/>.</summary>
    private int _picks;

    /// <summary>How many ids this scheduler has handed out in total: the next new id is Id + count * N.</summary>
    private int _idsIssued;

    /// <summary>Pooled async wait nodes, linked through <see cref="WaitNode.ListNext"/> (free while pooled); holder only.</summary>
    private AsyncWaitNode? _freeNodes;
    private int _freeNodeCount;

    internal Scheduler(int id, int schedulerCount, CoroutineOptions options, int pinCpu)
    {
        Id = id;
        _schedulerCount = schedulerCount;
        _stackSize = options.SyncStackSize;
        _pinCpu = pinCpu;
        _spareIdleTimeoutMs = (long)options.SpareThreadIdleTimeout.TotalMilliseconds;
        _poller = CurrentPlatform.Sockets.CreatePoller(Net.PollDescriptorTable.Instance);
        _local = new RunQueue(this);
        _startsAwaitingThread = new RunQueue(this);
        _stepsAwaitingThread = new RunQueue(this);
        Timers = new TimerHeap(this);
    }

    /// <summary>The scheduler's timers; holder only.</summary>
    internal TimerHeap Timers { get; }

    /// <summary>Whether the calling thread holds this scheduler's baton (and so may touch its local state).</summary>
    internal bool IsHeldByCurrentThread => Worker.Current is { } current && ReferenceEquals(_holder, current);

    /// <summary>Starts the first worker and gives it the baton.</summary>
    internal void Start() => HandBatonTo(Worker.Start(this, _stackSize, _pinCpu));

    /// <summary>Stops the loop: the holder leaves it at its next pick and spare threads exit. Parked coroutines stay parked.</summary>
    internal void Stop()
    {
        _stopping = true;
        _poller.Wake();
        lock (_sparesLock)
        {
            foreach (Worker spare in _spares)
            {
                spare.Signal.Set();
            }
        }
    }

    internal void Submit(CoroutineBase coroutine)
    {
        if (_stopping)
        {
            throw new InvalidOperationException("The coroutine schedulers were stopped (Coroutine.Stop); no new coroutine can start.");
        }

        Enqueue(coroutine);
    }

    /// <summary>Makes <paramref name="item"/> runnable. Any thread; the holder's own enqueues skip the inbox.</summary>
    internal void Enqueue(IRunnable item)
    {
        if (Worker.Current is { } me)
        {
            using (HolderSection.Enter(me))
            {
                if (ReferenceEquals(_holder, me))
                {
                    _local.PushBack(item);
                    return;
                }
            }
        }

        _inbox.Enqueue(item);
        if (Volatile.Read(ref _idle) != 0 && Interlocked.Exchange(ref _idle, 0) != 0)
        {
            _poller.Wake();
        }
    }

    /// <summary>The loop of a worker that holds the baton and carries no parked coroutine of its own.</summary>
    internal void RunLoop(Worker me)
    {
        while (!me.Retired)
        {
            RunNext(me);
        }
    }

    /// <summary>
    /// Blocks the code running on <paramref name="me"/> (the holder) until its pending wait completes, that is until
    /// <paramref name="me"/> itself is taken from the run queue. Meanwhile the scheduler carries on: on the thread
    /// whose resume is next, or on a spare. The caller has armed its wait and published it before calling.
    /// </summary>
    internal void Park(Worker me)
    {
        SpinGate.AssertNoneHeld("a coroutine parks");

        // While it schedules, the thread runs scheduler code (hook gates let its calls through, Coroutine.Id is -1);
        // its coroutine's code goes on once its resume hands it the baton again.
        CoroutineBase? coroutine = me.Running;
        if (coroutine is not null)
        {
            LeaveCoroutineCode(me); // a thread the monitor detached rejoins before it schedules
        }

        ParkCore(me);
        if (coroutine is not null)
        {
            me.EnterCoroutineCode(coroutine);
        }
    }

    private void ParkCore(Worker me)
    {
        IRunnable? next = TakeNext();
        if (ReferenceEquals(next, me))
        {
            _switches++; // our own resume: the coroutine continues on this thread
            return;
        }

        if (next is null)
        {
            // Stopped: this coroutine is never resumed; its thread sleeps until the process ends.
            while (true)
            {
                me.Signal.Wait();
            }
        }

        if (next is Worker target)
        {
            _switches++; // a resume handed over directly, not run through RunNext
            HandBatonTo(target);
        }
        else
        {
            _local.PushFront(next);
            HandBatonTo(TakeSpare()); // one stands by: this thread entered coroutine code only then (Scheduler.Threads.cs)
        }

        // Only the dispatch of our own resume hands the baton back to this thread.
        me.Signal.Wait();
    }

    /// <summary>The loop took <paramref name="target"/>'s resume: <paramref name="runner"/> becomes a spare and hands
    /// the baton over. Returns when the runner is given the baton again, or with <see cref="Worker.Retired"/> set after
    /// it idled for the spare timeout.</summary>
    internal void PassBatonFromLoop(Worker runner, Worker target)
    {
        lock (_sparesLock)
        {
            _spares.Add(runner);
        }

        HandBatonTo(target);
        while (!runner.Signal.Wait(_spareIdleTimeoutMs))
        {
            lock (_sparesLock)
            {
                if (_spares.Count > SparesForStep && _spares.Remove(runner))
                {
                    runner.Retired = true;
                    return;
                }
            }

            // Taken by a parking worker just as the timeout passed (the baton is on its way), or the last spare, which
            // stays: the holder runs coroutine code only while one stands by (Scheduler.Threads.cs).
        }
    }

    /// <summary>Registers a descriptor with this scheduler's poller (any thread); returns 0 or the error code, and
    /// what a request-driven poller must be told of each wait (<see cref="IPoller.Register"/>).</summary>
    internal int RegisterWithPoller(int fd, ulong token, out IPollRegistration? registration)
    {
        _pollsIo = true;
        ReadinessMonitor.NoteSocketsInUse();
        return _poller.Register(fd, token, out registration);
    }

    /// <summary>Whether a descriptor is still registered with this scheduler's poller (any thread).</summary>
    internal bool IsStillRegistered(int fd, ulong token) => _poller.IsRegistered(fd, token);

    /// <summary>A slot for a starting coroutine (a freed one first); its id is <see cref="IdOf"/>.</summary>
    internal int AllocateSlot()
    {
        Baton.AssertHolder(this);
        return _freeSlots.TryPop(out int slot) ? slot : _idsIssued++;
    }

    /// <summary>co's id of slot <paramref name="slot"/> on this scheduler: i, i + N, i + 2N, …</summary>
    internal int IdOf(int slot) => Id + (_schedulerCount * slot);

    internal void ReleaseSlot(int slot)
    {
        Baton.AssertHolder(this);
        _freeSlots.Push(slot);
    }

    /// <summary>A pooled async wait node for <paramref name="owner"/>; <paramref name="underGate"/> when the caller holds
    /// a primitive's gate (a thread the monitor detached then gets a fresh node instead of rejoining there).</summary>
    internal AsyncWaitNode RentAsyncNode(CoroutineBase owner, bool underGate = false)
    {
        using HolderSection section = underGate ? HolderSection.EnterWithoutRejoin() : HolderSection.Enter();
        if (!section.IsDetached)
        {
            Baton.AssertHolder(this);
        }

        AsyncWaitNode? node = section.IsDetached ? null : _freeNodes;
        if (node is null)
        {
            node = new AsyncWaitNode(this);
        }
        else
        {
            _freeNodes = (AsyncWaitNode?)node.ListNext;
            node.ListNext = null;
            _freeNodeCount--;
        }

        node.Owner = owner;
        return node;
    }

    internal void ReturnAsyncNode(AsyncWaitNode node)
    {
        using HolderSection section = HolderSection.Enter();
        Baton.AssertHolder(this);
        if (_freeNodeCount < MaxPooledNodes)
        {
            node.ListNext = _freeNodes;
            _freeNodes = node;
            _freeNodeCount++;
        }
    }

    internal ContinuationItem RentContinuationItem()
    {
        using HolderSection section = HolderSection.Enter();
        Baton.AssertHolder(this);
        return _continuationItems.TryPop(out ContinuationItem? item) ? item : new ContinuationItem();
    }

    internal void ReturnContinuationItem(ContinuationItem item)
    {
        using HolderSection section = HolderSection.Enter();
        Baton.AssertHolder(this);
        if (_continuationItems.Count < MaxPooledNodes)
        {
            _continuationItems.Push(item);
        }
    }

    /// <summary>One turn of <see cref="RunLoop"/>: takes the next item and runs it as its owner coroutine, in its
    /// synchronization context.</summary>
    /// <remarks>Kept out of the loop method: a method entered once per thread and never left only ever runs as
    /// on-stack-replacement code, which reaches thread statics through the slow <c>__tls_get_addr</c> path; a method
    /// called once per item is tiered up normally.</remarks>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private void RunNext(Worker me)
    {
        IRunnable? item = TakeNext();
        if (item is null)
        {
            me.Retired = true;
            return;
        }

        CoroutineBase? owner = item.Owner;
        if (owner is not null)
        {
            SynchronizationContext? context = owner.StepContext;
            if (!ReferenceEquals(SynchronizationContext.Current, context))
            {
                SynchronizationContext.SetSynchronizationContext(context);
            }

            me.EnterCoroutineCode(owner);
        }

        _switches++;
        try
        {
            item.Execute(me);
        }
        catch (Exception exception)
        {
            UnhandledExceptions.Report(owner, exception);
        }

        if (owner is not null)
        {
            LeaveCoroutineCode(me);
        }
    }

    /// <summary>The next runnable item, sleeping in the poller while there is none; null once stopped. Coroutine code
    /// comes out only while a spare thread stands by for its park (<see cref="Admit"/>). Holder only.</summary>
    private IRunnable? TakeNext()
    {
        while (!_stopping)
        {
            if (_awaitingThreadCount > 0 && TakeAwaitingThread() is { } admitted)
            {
                return admitted;
            }

            IRunnable item;
            if (_local.Count > 0 && ++_picks % FairnessInterval != 0)
            {
                item = _local.PopFront()!;
                if (Admit(item))
                {
                    return item;
                }

                continue;
            }

            DrainInbox();
            FireTimers();
            if (_local.Count > 0)
            {
                if (_pollsIo)
                {
                    PollWithoutSleeping(); // readiness gets its turn under load too
                }

                item = _local.PopFront()!;
                if (Admit(item))
                {
                    return item;
                }

                continue;
            }

            if (!_pollsIo && SpinForInbox())
            {
                continue;
            }

            Interlocked.Exchange(ref _idle, 1);
            if (!_inbox.IsEmpty || _stopping)
            {
                Volatile.Write(ref _idle, 0);
                continue;
            }

            SleepInPoller(SoonerOf(Clock.MsUntil(Timers.NextDeadline), MsUntilThreadRetry()));
            Volatile.Write(ref _idle, 0);
        }

        return null;
    }

    /// <summary>Spins briefly; true as soon as the inbox has work.</summary>
    private bool SpinForInbox()
    {
        for (int i = 0; i < IdleSpins; i++)
        {
            if (!_inbox.IsEmpty)
            {
                return true;
            }

            Thread.SpinWait(10);
        }

        return false;
    }

    private void DrainInbox()
    {
        while (_inbox.TryDequeue(out IRunnable? item))
        {
            _local.PushBack(item);
        }
    }

    private void FireTimers()
    {
        if (Timers.Count > 0)
        {
            Timers.FireExpired(Clock.Now);
        }
    }

    /// <summary>The shorter of two poller timeouts in milliseconds, where -1 means none.</summary>
    private static int SoonerOf(int a, int b) => a < 0 ? b : b < 0 ? a : Math.Min(a, b);

    private void HandBatonTo(Worker target)
    {
        _holder = target;
        target.Signal.Set();
    }
}
