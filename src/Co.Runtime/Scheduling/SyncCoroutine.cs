namespace Co.Scheduling;

/// <summary>
/// A coroutine running ordinary synchronous code (<c>Go(Action)</c>). It starts on the thread holding its scheduler's
/// baton; that thread stays with it for life and, when the coroutine waits, parks while another thread carries on the
/// scheduler (see <see cref="Scheduler.Park"/>).
/// </summary>
internal abstract class SyncCoroutine(Scheduler scheduler) : CoroutineBase(scheduler)
{
    internal sealed override SynchronizationContext? StepContext => null;

    public sealed override void Execute(Worker runner)
    {
        AssignId();
        try
        {
            StartInCreatorContext();
        }
        finally
        {
            ReleaseId();
        }
    }

    protected sealed override void Start()
    {
        try
        {
            RunBody();
        }
        catch (Exception exception)
        {
            UnhandledExceptions.Report(this, exception);
        }
    }

    protected abstract void RunBody();
}

/// <summary>A sync coroutine running an <see cref="Action"/> (co's <c>go(f)</c>).</summary>
internal sealed class ActionCoroutine(Scheduler scheduler, Action body) : SyncCoroutine(scheduler)
{
    protected override void RunBody() => body();
}

/// <summary>A sync coroutine with one argument (co's <c>go(f, p)</c>), without a closure.</summary>
internal sealed class ActionCoroutine<T>(Scheduler scheduler, Action<T> body, T argument) : SyncCoroutine(scheduler)
{
    protected override void RunBody() => body(argument);
}
