using Co.Waiting;
namespace Co.Scheduling;

/// <summary>
/// What the two coroutine kinds share: the scheduler they belong to for life, their id (assigned when they start on
/// that scheduler, released when they finish), and per-coroutine state such as co::timeout().
/// </summary>
/// <remarks>
/// It derives from <see cref="SynchronizationContext"/> because an async coroutine <i>is</i> the synchronization
/// context of its own steps: a foreign awaiter (Task, Task.Delay, ...) captures it and posts the continuation back, and
/// the posted callback knows which coroutine it belongs to without a lookup. Sync coroutines run with no context.
/// </remarks>
internal abstract class CoroutineBase : SynchronizationContext, IRunnable
{
    private static readonly ContextCallback s_start = static coroutine => ((CoroutineBase)coroutine!).Start();

    /// <summary>The creator's execution context (AsyncLocal values, Activity.Current, culture), flowed into the
    /// coroutine as Task.Run and Thread.Start flow it; null when the creator suppressed the flow.</summary>
    private readonly ExecutionContext? _creatorContext;

    protected CoroutineBase(Scheduler scheduler)
    {
        Scheduler = scheduler;
        _creatorContext = ExecutionContext.Capture();
    }

    internal Scheduler Scheduler { get; }

    /// <summary>The coroutine's id slot on its scheduler (its id is Id + N × slot), valid while it is live.</summary>
    private int _slot;

    /// <summary>The coroutine id (co's formula: scheduler i runs ids i, i+N, ...); -1 until the coroutine starts.</summary>
    internal int Id { get; private set; } = -1;

    /// <summary>The synchronization context the coroutine's steps run in: the coroutine itself for async coroutines,
    /// none for sync ones (a blocking wait on a context-bound continuation would deadlock their own thread).</summary>
    internal abstract SynchronizationContext? StepContext { get; }

    /// <summary>co::timeout(): whether the last I/O call of this coroutine timed out.</summary>
    internal bool TimedOut { get; set; }

    /// <summary>co::error(): the errno of the last failed socket call of this coroutine. Kept per coroutine, not per
    /// thread, because an async coroutine may continue on another of its scheduler's threads.</summary>
    internal int LastError { get; set; }

    /// <summary>The wait the coroutine is parked in, or null while it runs or is runnable: for <see cref="Coroutine.Dump"/>.
    /// Written by the coroutine as it parks and resumes; read by the dump on its scheduler's holder.</summary>
    internal WaitNode? CurrentWait { get; private set; }

    /// <summary>The value of <see cref="WaitStartedMs"/> while waits are not being timed.</summary>
    internal const long UnknownStart = long.MinValue;

    /// <summary>Whether waits record when they start: off until someone asks (the first <see cref="Coroutine.Dump"/>,
    /// CO_DUMP_SIGNAL, the blocked-scheduler monitor), so that a process that never dumps does not read the clock on
    /// every wait.</summary>
    internal static volatile bool TimingWaits;

    /// <summary>When <see cref="CurrentWait"/> began (Environment.TickCount64), or <see cref="UnknownStart"/>.</summary>
    internal long WaitStartedMs { get; private set; }

    CoroutineBase? IRunnable.Owner => this;

    /// <summary>Records that the coroutine parks in <paramref name="node"/>.</summary>
    internal void NoteWaiting(WaitNode node)
    {
        WaitStartedMs = TimingWaits ? Environment.TickCount64 : UnknownStart;
        CurrentWait = node;
    }

    /// <summary>Records that the coroutine's wait is over.</summary>
    internal void NoteResumed() => CurrentWait = null;

    /// <summary>Starts the coroutine (or, for an async one that completed elsewhere, finishes it) on the runner.</summary>
    public abstract void Execute(Worker runner);

    /// <summary>Runs <see cref="Start"/> in the creator's execution context.</summary>
    protected void StartInCreatorContext()
    {
        if (_creatorContext is null)
        {
            Start();
        }
        else
        {
            ExecutionContext.Run(_creatorContext, s_start, this);
        }
    }

    /// <summary>Runs the body up to its end (sync) or its first suspension (async).</summary>
    protected abstract void Start();

    /// <summary>Takes an id from the scheduler; runs on the baton holder when the coroutine starts.</summary>
    protected void AssignId()
    {
        using HolderSection section = HolderSection.Enter();
        _slot = Scheduler.AllocateSlot();
        Id = Scheduler.IdOf(_slot);
        Scheduler.TrackStarted(this, _slot);
    }

    /// <summary>Gives the id back; runs on the baton holder when the coroutine has finished.</summary>
    protected void ReleaseId()
    {
        using HolderSection section = HolderSection.Enter();
        Scheduler.TrackFinished(this, _slot);
        Scheduler.ReleaseSlot(_slot);
    }
}
