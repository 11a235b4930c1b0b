using System.Diagnostics;
using Co.Platform;
using Co.Waiting;

namespace Co.Scheduling;

/// <summary>
/// An OS thread of one scheduler: the baton holder, a thread parked in a wait (its coroutine's stack lives on it), or a
/// spare that sleeps until someone needs a thread to carry on the loop (docs/ARCHITECTURE.md, "The baton invariant").
/// The worker is also the run-queue entry that resumes it: executing it hands the baton to this thread.
/// <para>
/// Whether the thread runs coroutine code is said three times — <see cref="Running"/> (for Coroutine.Id and the
/// runtime), the state of <see cref="BatonWord"/> (for the blocked-scheduler monitor, while it runs) and the
/// <see cref="Platform.HookFlags.RunningCoroutine"/> bit of <see cref="HookFlags"/> (for the hook gates) — and written
/// only by <see cref="EnterCoroutineCode"/> and <see cref="LeaveCoroutineCode"/>, so the three always agree. A holder
/// section flips only the section bit of the baton word, inside coroutine code (<see cref="HolderSection"/>).
/// </para>
/// </summary>
internal sealed unsafe class Worker : IRunnable
{
    [ThreadStatic]
    private static Worker? t_current;

    /// <summary>Hands the baton to this worker and its parked thread; the baton-free thread is the sole one to run.</summary>
    internal readonly ThreadSignal Signal = new();

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

    /// <summary>The coroutine whose code this thread is running; null while it runs the scheduler (between steps, and
    /// while it parks). Read by Coroutine.Id.</summary>
    internal CoroutineBase? Running { get; private set; }

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
    /// Written by this worker only, and only while the monitor runs; read by the monitor: a step sequence number above a
    /// state (<see cref="StateMask"/>). <see cref="InScheduler"/> → <see cref="InCoroutine"/> with the next sequence
    /// number (<see cref="EnterCoroutineCode"/>); → <see cref="InHolderSection"/> and back around each holder section;
    /// → <see cref="InScheduler"/>, same sequence number (<see cref="LeaveCoroutineCode"/>: a step's end, a park, a
    /// rejoin). The stores that leave coroutine code or open a section are followed by a read of <see cref="DetachWord"/>
    /// (the Dekker handshake of Scheduler.Monitor.cs), so the worker pays plain stores and loads, no atomic instruction.
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

    /// <summary>No request: the monitor saw the step's thread asleep in the kernel short of the threshold (in
    /// <see cref="ShortBlockedIn"/>), and the worker counts it at its next section or park in that step. A request
    /// for the same step overwrites it. (State 0 of a real step: step numbers start at 1, so a zero word never matches.)</summary>
    internal const int DetachSampled = 0;

    /// <summary>The state part of <paramref name="word"/>.</summary>
    internal static int StateOf(long word) => (int)(word & StateMask);

    /// <summary>The OS thread id (gettid), for the monitor's look at what the thread is blocked in.</summary>
    internal int ThreadId { get; private set; }

    /// <summary>Written by the monitor before it detaches this worker: when it first saw the step that blocked
    /// (Environment.TickCount64) and the system call the thread was blocked in; read as the worker rejoins.</summary>
    internal long BlockedSinceMs;

    /// <inheritdoc cref="BlockedSinceMs"/>
    internal string? BlockedIn;

    /// <summary>Written by the monitor before it marks a step <see cref="DetachSampled"/>: the system call the thread
    /// slept in then; read by the worker as it counts the sample.</summary>
    internal string? ShortBlockedIn;

    /// <summary>This worker's own: the step (sequence bits) whose sample it counted last, so a step is counted once
    /// however many sections it opens afterwards.</summary>
    internal long ShortSampleCountedStep;

    /// <summary>Set when the worker left its scheduler (idle spare timed out, or the scheduler stopped).</summary>
    internal bool Retired { get; set; }

    /// <summary>This thread's word of <see cref="Co.Platform.HookFlags"/> flags (native memory, read by hook gates). The runtime
    /// writes its <see cref="Co.Platform.HookFlags.RunningCoroutine"/> bit (only in <see cref="EnterCoroutineCode"/> and
    /// <see cref="LeaveCoroutineCode"/>); the hook layer writes its <see cref="Co.Platform.HookFlags.InHook"/> bit.</summary>
    internal int* HookFlags { get; private set; }

    CoroutineBase? IRunnable.Owner => null;

    /// <summary>
    /// The thread, holding the baton in scheduler code, starts running <paramref name="coroutine"/>'s code: a step, or
    /// the rest of one after a park or a rejoin. Sets all three marks of it (type comment): <see cref="Running"/>, the
    /// hook gates' bit, and — while the monitor runs — a new step in <see cref="BatonWord"/>, so a step the monitor saw
    /// before is never taken for this one.
    /// </summary>
    internal void EnterCoroutineCode(CoroutineBase coroutine)
    {
        AssertMarksAgree(inCoroutineCode: false);
        Running = coroutine;
        *HookFlags |= Platform.HookFlags.RunningCoroutine;
        if (Scheduler.IsMonitored)
        {
            Volatile.Write(ref BatonWord, (BatonWord & ~StateMask) + (StateMask + 1) | InCoroutine);
        }
    }

    /// <summary>
    /// The thread stops running coroutine code (the step ended, it parks, or it rejoins): clears all three marks, the
    /// baton word last. Returns the baton word it had in coroutine code; unless its state is <see cref="InScheduler"/>
    /// (the monitor was off when the step began), the caller must load <see cref="DetachWord"/> right after (the
    /// worker's half of the handshake: this store, then that load), to learn whether the monitor detached the step.
    /// </summary>
    internal long LeaveCoroutineCode()
    {
        AssertMarksAgree(inCoroutineCode: true);
        *HookFlags &= ~Platform.HookFlags.RunningCoroutine;
        Running = null;
        long word = BatonWord;
        if (StateOf(word) != InScheduler)
        {
            Volatile.Write(ref BatonWord, word & ~StateMask);
        }

        return word;
    }

    /// <summary>Debug builds: the three marks say the same (the baton word only while the monitor runs, and only for
    /// scheduler code: a step that began before the monitor started has no state in it); and no holder section is
    /// open as the thread leaves coroutine code — a section that spanned a park would close on a stale step.</summary>
    [Conditional("DEBUG")]
    private void AssertMarksAgree(bool inCoroutineCode)
    {
        bool hookBit = (*HookFlags & Platform.HookFlags.RunningCoroutine) != 0;
        Debug.Assert(hookBit == inCoroutineCode && (Running is not null) == inCoroutineCode, "Running and the hook gates' bit disagree on whether the thread runs coroutine code.");
        Debug.Assert(inCoroutineCode || StateOf(BatonWord) == InScheduler, "The baton word says coroutine code while the thread runs the scheduler.");
        if (inCoroutineCode && StateOf(BatonWord) == InHolderSection)
        {
            throw new BatonInvariantException("a thread leaves coroutine code (a park, a step's end) inside a holder section.");
        }
    }

    /// <summary>Starts the thread of a new worker; it sleeps until it is handed the baton. At the OS thread limit,
    /// throws what <see cref="Thread.Start()"/> throws (OutOfMemoryException): only the holder calls it, in scheduler
    /// code, where that is handled (Scheduler.Threads.cs), and the first worker of a scheduler as it starts.</summary>
    internal static Worker Start(Scheduler scheduler, int stackSize, int pinCpu)
    {
        var worker = new Worker(scheduler);
        var thread = new Thread(() => worker.ThreadMain(pinCpu), stackSize)
        {
            IsBackground = true,
            Name = $"Co scheduler {scheduler.Id}",
        };
        thread.UnsafeStart();
        scheduler.NoteThreadStarted();
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

        Signal.Wait();
        Scheduler.RunLoop(this);
        CurrentPlatform.HookFlags.Detach(HookFlags);
        HookFlags = null;
        Scheduler.NoteThreadExited();
    }
}
