namespace Co.Scheduling;

/// <summary>
/// A stackless coroutine (<c>Go(Func&lt;Task&gt;)</c>): its state lives in the compiler's state machine, it suspends at
/// <c>await</c>, and each step runs on its scheduler's baton holder.
/// </summary>
/// <remarks>
/// Life cycle: the run queue executes it once to <b>start</b> (assign an id, call the body). If the body's task is not
/// complete by then, a continuation on the task <b>finishes</b> it (report a fault, release the id) — inline when the
/// task completes on this scheduler's baton holder, otherwise by enqueueing the coroutine a second time, since ids are
/// scheduler-local state. It is the synchronization context of its own steps (see <see cref="CoroutineBase"/>).
/// </remarks>
internal abstract class AsyncCoroutine(Scheduler scheduler) : CoroutineBase(scheduler)
{
    /// <summary>The body's task once started and not yet complete; the second run-queue execution finishes it.</summary>
    private Task? _pending;

    internal sealed override SynchronizationContext StepContext => this;

    public sealed override void Execute(Worker runner)
    {
        if (_pending is { } pending)
        {
            Finish(pending);
            return;
        }

        AssignId();
        StartInCreatorContext();
    }

    protected sealed override void Start()
    {
        Task? task;
        try
        {
            task = StartBody();
        }
        catch (Exception exception)
        {
            UnhandledExceptions.Report(this, exception);
            ReleaseId();
            return;
        }

        if (task is null)
        {
            UnhandledExceptions.Report(this, new InvalidOperationException("The async coroutine's delegate returned a null Task."));
            ReleaseId();
            return;
        }

        if (task.IsCompleted)
        {
            Finish(task);
            return;
        }

        _pending = task;
        task.ConfigureAwait(false).GetAwaiter().UnsafeOnCompleted(OnBodyCompleted);
    }

    public override void Post(SendOrPostCallback callback, object? state) =>
        Scheduler.Enqueue(new PostedCallback(this, callback, state));

    public override void Send(SendOrPostCallback callback, object? state)
    {
        if (Scheduler.IsHeldByCurrentThread)
        {
            callback(state);
            return;
        }

        using var done = new ManualResetEventSlim();
        Exception? failure = null;
        Post(_ =>
        {
            try
            {
                callback(state);
            }
            catch (Exception exception)
            {
                failure = exception;
            }
            finally
            {
                done.Set();
            }
        }, null);
        done.Wait();
        if (failure is not null)
        {
            throw new System.Reflection.TargetInvocationException(failure);
        }
    }

    public override SynchronizationContext CreateCopy() => this;

    protected abstract Task StartBody();

    private void OnBodyCompleted()
    {
        if (Scheduler.IsHeldByCurrentThread)
        {
            Finish(_pending!);
        }
        else
        {
            Scheduler.Enqueue(this);
        }
    }

    private void Finish(Task task)
    {
        _pending = null;
        if (task.IsFaulted)
        {
            foreach (Exception exception in task.Exception!.InnerExceptions)
            {
                UnhandledExceptions.Report(this, exception);
            }
        }
        else if (task.IsCanceled)
        {
            UnhandledExceptions.Report(this, new TaskCanceledException(task));
        }

        ReleaseId();
    }
}

/// <summary>An async coroutine running a <see cref="Func{Task}"/>.</summary>
internal sealed class TaskCoroutine(Scheduler scheduler, Func<Task> body) : AsyncCoroutine(scheduler)
{
    protected override Task StartBody() => body();
}

/// <summary>An async coroutine with one argument, without a closure.</summary>
internal sealed class TaskCoroutine<T>(Scheduler scheduler, Func<T, Task> body, T argument) : AsyncCoroutine(scheduler)
{
    protected override Task StartBody() => body(argument);
}
