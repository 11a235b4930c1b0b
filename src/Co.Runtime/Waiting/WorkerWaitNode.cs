using Co.Scheduling;

namespace Co.Waiting;

/// <summary>The wait node of a scheduler thread: a sync coroutine, or an async step that called a synchronous wait.
/// Completing it enqueues the worker on its scheduler, which hands the baton back to the parked thread.</summary>
internal sealed class WorkerWaitNode(Worker worker) : WaitNode
{
    private protected override TimerHeap Timers => worker.Scheduler.Timers;

    internal override void Dispatch() => worker.Scheduler.Enqueue(worker);
}
