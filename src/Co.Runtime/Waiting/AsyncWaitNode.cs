using System.Threading.Tasks.Sources;
using Co.Scheduling;

namespace Co.Waiting;

/// <summary>
/// The wait node behind every <see cref="ValueTask"/> the runtime's async waits return. Nodes created in a coroutine are
/// pooled by its scheduler and always resume there; nodes created elsewhere (Task code awaiting an Event, say) are not
/// pooled and resume on the captured context or the thread pool.
/// </summary>
/// <remarks>
/// <para><b>Continuation hand-shake.</b> <see cref="_continuation"/> is null until either the awaiter registers its
/// continuation (<see cref="OnCompleted"/>) or the completed wait is published; whichever comes second schedules the
/// continuation, and a publication that comes first leaves <see cref="s_completedSentinel"/>. For a coroutine's node
/// both sides run on its scheduler's baton holder — <see cref="Dispatch"/> only enqueues the node, and its
/// <see cref="Execute"/> publishes — so the hand-shake needs no atomic operation. Nodes awaited outside coroutines
/// publish in <see cref="Dispatch"/> itself with a compare-and-swap (as ManualResetValueTaskSourceCore does).</para>
/// <para><b>When the awaiter may see the result.</b> A claim (which fixes the outcome) comes before its dispatch, and
/// the claimer still reads the node between the two (the chain link of <see cref="WaitNode.ListNext"/>). So the awaiter
/// sees the wait as complete only once it is published: the slot holds the sentinel, installed by the publication or by
/// <see cref="InvokeContinuation"/> just before it calls the continuation. Until then <see cref="GetStatus"/> reports
/// Pending, and the node cannot be recycled under the claimer's feet.</para>
/// <para>The ValueTask token is the node's version, so awaiting twice, or after the node was recycled, throws instead of
/// reading another wait's result.</para>
/// </remarks>
internal sealed class AsyncWaitNode : WaitNode, IRunnable, IValueTaskSource, IValueTaskSource<bool>, IValueTaskSource<int>, IValueTaskSource<nint>
{
    /// <summary>Marks "completion published": before registration by the dispatch, after it by the continuation run.</summary>
    private static readonly Action<object?> s_completedSentinel = static _ => throw new InvalidOperationException("Completion sentinel invoked.");

    private static readonly Action<object?> s_cancel = static node => ((WaitNode)node!).Complete(WaitOutcome.Canceled);

    private static readonly TimerCallback s_timeout = static node => ((WaitNode)node!).Complete(WaitOutcome.TimedOut);

    /// <summary>The scheduler of the coroutine that created the wait; null for nodes awaited outside coroutines.</summary>
    private readonly Scheduler? _scheduler;

    /// <summary>The awaiter's continuation, null before registration, or <see cref="s_completedSentinel"/>.</summary>
    private Action<object?>? _continuation;

    /// <summary>The state passed along with <see cref="_continuation"/>.</summary>
    private object? _continuationState;

    /// <summary>What only some waits need (cancellation, flowing an execution context, external nodes' context and
    /// timer, retries and other layers' extensions); created on first need and kept with the pooled node, so a node parked
    /// in a plain wait (Event, Sleep) carries none of it.</summary>
    private Extras? _extras;


    internal AsyncWaitNode(Scheduler? scheduler) => _scheduler = scheduler;

    /// <summary>The coroutine that created the wait: its continuation runs as that coroutine. Null for external nodes.</summary>
    public CoroutineBase? Owner { get; set; }

    internal short Token => (short)Version;

    /// <summary>Whether the current wait's CancellationToken has been cancelled.</summary>
    private bool IsCancellationRequested => _extras?.Token.IsCancellationRequested == true;

    private protected override TimerHeap? Timers => _scheduler?.Timers;

    /// <summary>Arms the node for a new wait on <paramref name="source"/>; returns the ValueTask token.</summary>
    internal short ArmAsync(IWaitSource? source)
    {
        _continuation = null;
        _continuationState = null;
        if (_extras is { } extras)
        {
            extras.Completion = null;
            extras.Retry = null;
        }

        short token = (short)Arm(source);
        Owner?.NoteWaiting(this);
        return token;
    }

    /// <summary>The extension another layer keeps with this node for its waits (see <see cref="IWaitExtension"/>);
    /// null until that layer sets one.</summary>
    internal IWaitExtension? KeptExtension
    {
        get => _extras?.KeptExtension;
        set => GetExtras().KeptExtension = value;
    }

    /// <summary>Makes <paramref name="extension"/> part of the armed wait: it retries when the wait is woken, before the
    /// awaiter sees anything, and gives the awaiter its result.</summary>
    internal void StartExtension(IWaitExtension extension)
    {
        Extras extras = GetExtras();
        extras.Completion = extension;
        extras.Retry = extension;
    }

    /// <summary>Makes <paramref name="retry"/> run when the armed wait is woken, before its awaiter resumes.</summary>
    internal void SetRetry(IWakeRetry retry) => GetExtras().Retry = retry;

    /// <summary>Starts the timeout and cancellation of the armed wait; called after it is published to its source.</summary>
    internal void StartLimits(int timeoutMs, CancellationToken cancellationToken)
    {
        if (timeoutMs >= 0)
        {
            if (_scheduler is not null)
            {
                StartTimer(timeoutMs);
            }
            else
            {
                GetExtras().Timer = TimeProvider.System.CreateTimer(s_timeout, this, TimeSpan.FromMilliseconds(timeoutMs), Timeout.InfiniteTimeSpan);
            }
        }

        if (cancellationToken.CanBeCanceled)
        {
            Extras extras = GetExtras();
            extras.Token = cancellationToken;
            extras.Registration = cancellationToken.UnsafeRegister(s_cancel, this);
        }
    }

    internal override void Dispatch()
    {
        if (_scheduler is not null)
        {
            // Published by Execute on the holder; the node is not read here after it is enqueued.
            _scheduler.Enqueue(this);
        }
        else if (Interlocked.CompareExchange(ref _continuation, s_completedSentinel, null) is not null)
        {
            // Published by the compare-and-swap; a continuation was registered, so the awaiter is suspended.
            ScheduleExternalContinuation();
        }
    }

    public ValueTaskSourceStatus GetStatus(short token)
    {
        ValidateToken(token);
        if (!ReferenceEquals(Volatile.Read(ref _continuation), s_completedSentinel))
        {
            return ValueTaskSourceStatus.Pending;
        }

        return Outcome == WaitOutcome.Canceled ? ValueTaskSourceStatus.Canceled : ValueTaskSourceStatus.Succeeded;
    }

    public void OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags)
    {
        ValidateToken(token);
        if ((flags & ValueTaskSourceOnCompletedFlags.FlowExecutionContext) != 0)
        {
            GetExtras().ExecutionContext = ExecutionContext.Capture();
        }

        if (_scheduler is null && (flags & ValueTaskSourceOnCompletedFlags.UseSchedulingContext) != 0)
        {
            GetExtras().SchedulingContext = CaptureSchedulingContext();
        }

        _continuationState = state;
        if (_scheduler is not null)
        {
            // On the holder, as is every publication of this node: a thread the monitor detached rejoins first.
            EnsureOnOwnerScheduler();
            using HolderSection section = HolderSection.Enter();
            if (_continuation is null)
            {
                _continuation = continuation;
            }
            else
            {
                _continuation = continuation;
                _scheduler.Enqueue(this);
            }
        }
        else if (Interlocked.CompareExchange(ref _continuation, continuation, null) is not null)
        {
            // Completed before the awaiter registered.
            _continuation = continuation;
            ScheduleExternalContinuation();
        }
    }

    void IValueTaskSource.GetResult(short token) => Finish(token, out _);

    bool IValueTaskSource<bool>.GetResult(short token) => Finish(token, out long result) == WaitOutcome.Signaled && result >= 0;

    int IValueTaskSource<int>.GetResult(short token)
    {
        Finish(token, out long result);
        return (int)result;
    }

    nint IValueTaskSource<nint>.GetResult(short token)
    {
        Finish(token, out long result);
        return (nint)result;
    }

    /// <summary>On the owning scheduler's holder: publishes the completion, running the continuation if one is
    /// registered (also reached through <see cref="OnCompleted"/> when the publication came first).</summary>
    public void Execute(Worker runner)
    {
        Owner?.NoteResumed();
        if (_extras?.Retry is { } retry && Outcome == WaitOutcome.Signaled)
        {
            // A retry that finds nothing re-arms the wait under its primitive's gate, timer included: open the section
            // here, outside any gate, so the one inside is nested and never has to rejoin there. The retry never
            // blocks (a MSG_DONTWAIT attempt, a channel's buffer), so holding the section through it costs nothing.
            bool finished;
            using (HolderSection.Enter())
            {
                finished = retry.TryFinish(this);
            }

            if (!finished)
            {
                // Nothing to do after all: the same wait was re-armed. A cancellation that fired while the claim held
                // the wait could not claim it; the token says so now, and whichever of this check and a later
                // callback comes first claims it.
                if (IsCancellationRequested)
                {
                    Complete(WaitOutcome.Canceled);
                }

                return;
            }

            _extras!.Retry = null;
        }

        if (_continuation is null)
        {
            _continuation = s_completedSentinel;
            return;
        }

        RunContinuation();
    }

    internal override void ReleaseClaimSources()
    {
        if (_extras is { } extras)
        {
            extras.Timer?.Dispose();
            extras.Timer = null;
            extras.Registration.Dispose();
            extras.Registration = default;
        }

        base.ReleaseClaimSources();
    }

    private static object? CaptureSchedulingContext()
    {
        SynchronizationContext? context = SynchronizationContext.Current;
        if (context is not null && context.GetType() != typeof(SynchronizationContext))
        {
            return context;
        }

        return TaskScheduler.Current != TaskScheduler.Default ? TaskScheduler.Current : null;
    }

    private Extras GetExtras() => _extras ??= new Extras();

    private void ScheduleExternalContinuation()
    {
        if (_extras?.SchedulingContext is SynchronizationContext context)
        {
            context.Post(static node => ((AsyncWaitNode)node!).RunContinuation(), this);
        }
        else if (_extras?.SchedulingContext is TaskScheduler taskScheduler)
        {
            Task.Factory.StartNew(static node => ((AsyncWaitNode)node!).RunContinuation(), this, CancellationToken.None, TaskCreationOptions.DenyChildAttach, taskScheduler);
        }
        else
        {
            ThreadPool.UnsafeQueueUserWorkItem(static node => node.RunContinuation(), this, preferLocal: false);
        }
    }

    private void RunContinuation()
    {
        if (_extras?.ExecutionContext is { } executionContext)
        {
            ExecutionContext.Run(executionContext, static node => ((AsyncWaitNode)node!).InvokeContinuation(), this);
        }
        else
        {
            InvokeContinuation();
        }
    }

    private void InvokeContinuation()
    {
        // Read both, then publish the completion to the awaiter: the continuation calls GetResult, which recycles the node.
        Action<object?> continuation = _continuation!;
        object? state = _continuationState;
        Volatile.Write(ref _continuation, s_completedSentinel);
        continuation(state);
    }

    /// <summary>Ends the wait for its awaiter: detaches it from its claim sources, lets an extension complete it,
    /// recycles the node, and returns the outcome (throwing OperationCanceledException for a cancelled wait).
    /// <paramref name="result"/> is the extension's result for a wait that has one, else 0 when signalled and -1
    /// otherwise.</summary>
    private WaitOutcome Finish(short token, out long result)
    {
        ValidateToken(token);
        if (!ReferenceEquals(Volatile.Read(ref _continuation), s_completedSentinel))
        {
            throw new InvalidOperationException("The wait has not completed; await the ValueTask instead of reading its result.");
        }

        EnsureOnOwnerScheduler();
        WaitOutcome outcome = Outcome;
        result = outcome == WaitOutcome.Signaled ? 0 : -1;
        if (_extras?.Completion is { } completion)
        {
            _extras.Completion = null;
            result = completion.Complete(this, outcome);
        }

        CancellationToken cancellationToken = _extras?.Token ?? default;
        ReleaseClaimSources();
        RetireVersion(); // a second await of this ValueTask now throws (ValidateToken)
        if (_extras is { } extras)
        {
            extras.Token = default;
            extras.ExecutionContext = null;
            extras.SchedulingContext = null;
        }

        _continuation = null;
        _continuationState = null;
        if (_extras is not null)
        {
            _extras.Retry = null;
        }

        if (_scheduler is not null)
        {
            Owner = null;
            _scheduler.ReturnAsyncNode(this);
        }

        if (outcome == WaitOutcome.Canceled)
        {
            throw new OperationCanceledException(cancellationToken);
        }

        return outcome;
    }

    private void EnsureOnOwnerScheduler()
    {
        // A thread of the scheduler, not necessarily its holder: the monitor may have detached the awaiting coroutine's
        // thread, which rejoins as it returns the node.
        if (_scheduler is not null && !ReferenceEquals(Worker.Current?.Scheduler, _scheduler))
        {
            throw new InvalidOperationException("A ValueTask returned by a wait inside a coroutine must be awaited by that coroutine.");
        }
    }

    private void ValidateToken(short token)
    {
        if (token != Token)
        {
            throw new InvalidOperationException("This ValueTask was already awaited; a ValueTask may be awaited only once.");
        }
    }

    /// <summary>The rarely needed part of a wait.</summary>
    private sealed class Extras
    {
        /// <summary>The wait's token, for the OperationCanceledException.</summary>
        public CancellationToken Token;

        /// <summary>The registration that cancels the wait; disposed before the node is armed again.</summary>
        public CancellationTokenRegistration Registration;

        /// <summary>Captured when the awaiter asked for the context to flow (OnCompleted rather than UnsafeOnCompleted).</summary>
        public ExecutionContext? ExecutionContext;

        /// <summary>External nodes: the SynchronizationContext or TaskScheduler captured at the await.</summary>
        public object? SchedulingContext;

        /// <summary>External nodes: the timer of a timed wait (coroutine nodes use the scheduler's timer heap).</summary>
        public ITimer? Timer;

        /// <summary>Another layer's extension kept with the node for its waits (see <see cref="IWaitExtension"/>).</summary>
        public IWaitExtension? KeptExtension;

        /// <summary>The extension that gives the current wait's result, or null (plain waits).</summary>
        public IWaitExtension? Completion;

        /// <summary>The operation the current wait retries when woken (see <see cref="IWakeRetry"/>); null once it
        /// finished, and for plain waits.</summary>
        public IWakeRetry? Retry;
    }
}
