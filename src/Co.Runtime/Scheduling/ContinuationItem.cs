namespace Co.Scheduling;

/// <summary>A run-queue entry that invokes a continuation delegate, used by <c>await Coroutine.YieldAsync()</c>.
/// Pooled per scheduler: it is rented and returned by the baton holder only.</summary>
internal sealed class ContinuationItem : IRunnable
{
    private Action? _continuation;
    private CoroutineBase? _owner;

    public CoroutineBase? Owner => _owner;

    internal void Set(CoroutineBase? owner, Action continuation)
    {
        _owner = owner;
        _continuation = continuation;
    }

    public void Execute(Worker runner)
    {
        Action continuation = _continuation!;
        _continuation = null;
        _owner = null;
        runner.Scheduler.ReturnContinuationItem(this);
        continuation();
    }
}
