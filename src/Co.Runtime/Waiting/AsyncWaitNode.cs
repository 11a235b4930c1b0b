using System.Threading.Tasks.Sources;
using Co.Scheduling;

namespace Co.Waiting;

/// <summary>
/// The wait node behind every <see cref="ValueTask"/> the runtime's async waits return. Nodes created in a coroutine are
/// pooled by its scheduler and always resume there; nodes created elsewhere (Task code awaiting an Event, say) are not
/// pooled and resume on the captured context or the thread pool.
/// </summary>
/// <remarks>
/// Continuation hand-shake (as in ManualResetValueTaskSourceCore): <see cref="_continuation"/> is null until either the
/// awaiter registers its continuation (<see cref="OnCompleted"/>) or the wait is claimed (<see cref="Dispatch"/>);
/// whichever comes second schedules the continuation. The claimer marks an early completion with
/// <see cref="s_completedSentinel"/>. The ValueTask token is the node's version, so awaiting twice, or after the node was
/// recycled, throws instead of reading another wait's result.
/// </remarks>
internal sealed class AsyncWaitNode : WaitNode, IRunnable, IValueTaskSource, IValueTaskSource<bool>
{
    /// <summary>Marks "completed before any continuation was registered".</summary>
    private static readonly Action<object?> s_completedSentinel = static _ => throw new InvalidOperationException("Completion sentinel invoked.");

    private static readonly TimerCallback s_timeout = static node => ((WaitNode)node!).Complete(WaitOutcome.TimedOut);

    /// <summary>The scheduler of the coroutine that created the wait; null for nodes awaited outside coroutines.</summary>
    private readonly Scheduler? _scheduler;

    /// <summary>The awaiter's continuation; null before registration, <see cref="s_completedSentinel"/> on early completion.</summary>
    private Action<object?>? _continuation;

    /// <summary>The state passed along with <see cref="_continuation"/>.</summary>
    private object? _continuationState;

    /// <summary>Captured only when the awaiter asked for the context to flow (OnCompleted rather than UnsafeOnCompleted).</summary>
    private ExecutionContext? _executionContext;

    /// <summary>Nodes outside coroutines: the SynchronizationContext or TaskScheduler captured at the await, if any.</summary>
    private object? _schedulingContext;

    /// <summary>Nodes outside coroutines: the timer of a timed wait (coroutine nodes use the scheduler's timer heap).</summary>
    private ITimer? _externalTimer;

    /// <summary>The wait's token, for the OperationCanceledException thrown on cancellation.</summary>
    private CancellationToken _cancellationToken;

    internal AsyncWaitNode(Scheduler? scheduler) => _scheduler = scheduler;

    /// <summary>The coroutine that created the wait: its continuation runs as that coroutine.</summary>
    public CoroutineBase? Owner { get; set; }

    internal short Token => (short)Version;

    /// <summary>Arms the node for a new wait on <paramref name="source"/>; returns the ValueTask token.</summary>
    internal short ArmAsync(IWaitSource? source)
    {
        _continuation = null;
        _continuationState = null;
        _executionContext = null;
        _schedulingContext = null;
        return (short)Arm(source);
    }

    /// <summary>Starts the timeout and cancellation of the armed wait; called after it is published to its source.</summary>
    internal void StartLimits(int timeoutMs, CancellationToken cancellationToken)
    {
        _cancellationToken = cancellationToken;
        if (timeoutMs >= 0)
        {
            if (_scheduler is not null)
            {
                StartTimer(_scheduler.Timers, timeoutMs);
            }
            else
            {
                _externalTimer = TimeProvider.System.CreateTimer(s_timeout, this, TimeSpan.FromMilliseconds(timeoutMs), Timeout.InfiniteTimeSpan);
            }
        }

        RegisterCancellation(cancellationToken);
    }

    internal override void Dispatch()
    {
        if (Interlocked.CompareExchange(ref _continuation, s_completedSentinel, null) is not null)
        {
            ScheduleContinuation();
        }
    }

    public ValueTaskSourceStatus GetStatus(short token)
    {
        ValidateToken(token);
        return Outcome switch
        {
            WaitOutcome.None => ValueTaskSourceStatus.Pending,
            WaitOutcome.Canceled => ValueTaskSourceStatus.Canceled,
            _ => ValueTaskSourceStatus.Succeeded,
        };
    }

    public void OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags)
    {
        ValidateToken(token);
        if ((flags & ValueTaskSourceOnCompletedFlags.FlowExecutionContext) != 0)
        {
            _executionContext = ExecutionContext.Capture();
        }

        if (_scheduler is null && (flags & ValueTaskSourceOnCompletedFlags.UseSchedulingContext) != 0)
        {
            _schedulingContext = CaptureSchedulingContext();
        }

        _continuationState = state;
        if (Interlocked.CompareExchange(ref _continuation, continuation, null) is not null)
        {
            _continuation = continuation;
            ScheduleContinuation();
        }
    }

    void IValueTaskSource.GetResult(short token) => Finish(token);

    bool IValueTaskSource<bool>.GetResult(short token) => Finish(token) == WaitOutcome.Signaled;

    /// <summary>Runs the continuation; the run queue calls it on the owning scheduler.</summary>
    public void Execute(Worker runner) => RunContinuation();

    private static object? CaptureSchedulingContext()
    {
        SynchronizationContext? context = SynchronizationContext.Current;
        if (context is not null && context.GetType() != typeof(SynchronizationContext))
        {
            return context;
        }

        return TaskScheduler.Current != TaskScheduler.Default ? TaskScheduler.Current : null;
    }

    private void ScheduleContinuation()
    {
        if (_scheduler is not null)
        {
            _scheduler.Enqueue(this);
        }
        else if (_schedulingContext is SynchronizationContext context)
        {
            context.Post(static node => ((AsyncWaitNode)node!).RunContinuation(), this);
        }
        else if (_schedulingContext is TaskScheduler taskScheduler)
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
        if (_executionContext is { } executionContext)
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
        // Read both before invoking: the continuation calls GetResult, which recycles the node.
        Action<object?> continuation = _continuation!;
        object? state = _continuationState;
        continuation(state);
    }

    /// <summary>Ends the wait for its awaiter: detaches it from its claim sources, recycles the node, and returns the
    /// outcome (throwing OperationCanceledException for a cancelled wait).</summary>
    private WaitOutcome Finish(short token)
    {
        ValidateToken(token);
        WaitOutcome outcome = Outcome;
        if (outcome == WaitOutcome.None)
        {
            throw new InvalidOperationException("The wait has not completed; await the ValueTask instead of reading its result.");
        }

        if (_scheduler is not null && !_scheduler.IsHeldByCurrentThread)
        {
            throw new InvalidOperationException("A ValueTask returned by a wait inside a coroutine must be awaited by that coroutine.");
        }

        CancellationToken cancellationToken = _cancellationToken;
        _cancellationToken = default;
        _externalTimer?.Dispose();
        _externalTimer = null;
        ReleaseClaimSources();
        _continuation = null;
        _continuationState = null;
        _executionContext = null;
        _schedulingContext = null;
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

    private void ValidateToken(short token)
    {
        if (token != Token)
        {
            throw new InvalidOperationException("This ValueTask was already awaited; a ValueTask may be awaited only once.");
        }
    }
}
