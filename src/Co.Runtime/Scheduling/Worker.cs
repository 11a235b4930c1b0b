using Co.Platform;
using Co.Waiting;

namespace Co.Scheduling;

/// <summary>
/// An OS thread of one scheduler. At any moment a worker is in one of three situations:
/// <list type="bullet">
/// <item><b>holding the baton</b> — it runs the scheduler loop or coroutine code (at most one worker per scheduler);</item>
/// <item><b>parked in a wait</b> — it carries a sync coroutine (or an async step that called a synchronous wait) whose
/// stack lives on this thread; it gets the baton back only when its wait completes;</item>
/// <item><b>spare</b> — it owns nothing and sleeps until a parking worker needs someone to carry on the loop, or it
/// retires after <see cref="CoroutineOptions.SpareThreadIdleTimeout"/>.</item>
/// </list>
/// The worker is also the run-queue entry that resumes it: executing it hands the baton to this thread.
/// </summary>
internal sealed unsafe class Worker : IRunnable
{
    [ThreadStatic]
    private static Worker? t_current;

    /// <summary>Hands the baton to this worker and its parked thread; the baton-free thread is the sole one to run.</summary>
    internal readonly Parker Parker = new();

    /// <summary>The node this thread waits with; a thread waits on one thing at a time.</summary>
    internal readonly WorkerWaitNode WaitNode;

    internal Worker(Scheduler scheduler)
    {
        Scheduler = scheduler;
        WaitNode = new WorkerWaitNode(this);
    }

    /// <summary>The worker of the calling thread, or null on threads that are not scheduler threads.</summary>
    internal static Worker? Current => t_current;

    internal Scheduler Scheduler { get; }

    /// <summary>The coroutine whose code this thread is running; null between coroutines. Read by Coroutine.Id.</summary>
    internal CoroutineBase? Running { get; set; }

    /// <summary>The worker holds the baton and runs the scheduler (or nothing): a state of <see cref="BatonWord"/>.</summary>
    internal const int InScheduler = 0;

    /// <summary>The worker runs coroutine code: the monitor may detach it.</summary>
    internal const int InCoroutine = 1;

    /// <summary>The worker runs coroutine code, inside a <see cref="HolderSection"/>: runtime code that touches a
    /// holder-only structure. The monitor leaves it alone.</summary>
    internal const int InHolderSection = 3;

    /// <summary>The state bits of <see cref="BatonWord"/> and <see cref="DetachWord"/>; the bits above number coroutine
    /// steps.</summary>
    internal const long StateMask = 3;

    /// <summary>
    /// Written by this worker only, read by the monitor: a step sequence number above a state (<see cref="StateMask"/>).
    /// <see cref="InScheduler"/> → <see cref="InCoroutine"/> with the next sequence number as the worker enters
    /// coroutine code; → <see cref="InHolderSection"/> and back around each holder section; → <see cref="InScheduler"/>,
    /// same sequence number, as it leaves coroutine code (a step's end, a park) or rejoins after a detach. Every store is
    /// followed by a read of <see cref="DetachWord"/> where it matters (leaving, entering a section): with the monitor's
    /// process-wide barrier between its request and its own read of this word, at least one of the two sees the other
    /// (Scheduler.Monitor.cs), so the worker pays plain stores and loads, no atomic instruction.
    /// </summary>
    internal long BatonWord;

    /// <summary>
    /// Written by the monitor only: its request to detach one step (that step's sequence bits | <see cref="DetachRequested"/>),
    /// then its decision (| <see cref="DetachCommitted"/> or | <see cref="DetachCanceled"/>). A word of another step is
    /// stale and means nothing.
    /// </summary>
    internal long DetachWord;

    /// <summary>The monitor is deciding whether to detach the step (see <see cref="DetachWord"/>).</summary>
    internal const int DetachRequested = 1;

    /// <summary>The monitor detached the step: the baton went to another worker.</summary>
    internal const int DetachCommitted = 2;

    /// <summary>The monitor saw the step end or enter a holder section, and left it alone.</summary>
    internal const int DetachCanceled = 3;

    /// <summary>The state part of <paramref name="word"/>.</summary>
    internal static int StateOf(long word) => (int)(word & StateMask);

    /// <summary>The OS thread id (gettid), for the monitor's look at what the thread is blocked in.</summary>
    internal int ThreadId { get; private set; }

    /// <summary>Written by the monitor before it detaches this worker: when it first saw the step that blocked
    /// (Environment.TickCount64) and the system call the thread was blocked in; read as the worker rejoins.</summary>
    internal long BlockedSinceMs;

    /// <inheritdoc cref="BlockedSinceMs"/>
    internal string? BlockedIn;

    /// <summary>Set when the worker left its scheduler (idle spare timed out, or the scheduler stopped).</summary>
    internal bool Retired { get; set; }

    /// <summary>This thread's word of <see cref="Co.Platform.HookFlags"/> flags (native memory, read by hook gates).</summary>
    internal int* HookFlags { get; private set; }

    CoroutineBase? IRunnable.Owner => null;

    /// <summary>Starts the thread of a new worker; it sleeps until it is handed the baton.</summary>
    internal static Worker Start(Scheduler scheduler, int stackSize, int pinCpu)
    {
        var worker = new Worker(scheduler);
        var thread = new Thread(() => worker.ThreadMain(pinCpu), stackSize)
        {
            IsBackground = true,
            Name = $"Co scheduler {scheduler.Id}",
        };
        thread.UnsafeStart();
        return worker;
    }

    /// <summary>Resuming a parked worker: the runner gives the baton to this thread and becomes a spare.</summary>
    void IRunnable.Execute(Worker runner) => Scheduler.PassBatonFromLoop(runner, this);

    private void ThreadMain(int pinCpu)
    {
        t_current = this;
        ThreadId = CurrentPlatform.Threads.CurrentThreadId();
        HookFlags = CurrentPlatform.HookFlags.Attach();
        if (pinCpu >= 0)
        {
            CurrentPlatform.Threads.PinCurrentThread(pinCpu);
        }

        Parker.Park();
        Scheduler.RunLoop(this);
        CurrentPlatform.HookFlags.Detach(HookFlags);
        HookFlags = null;
    }
}
