namespace Co.Scheduling;

/// <summary>
/// An entry of a scheduler's run queue: starting a coroutine, resuming an async continuation, running a callback
/// posted to a coroutine's synchronization context, or handing the baton to a parked thread (<see cref="Worker"/>).
/// </summary>
/// <remarks>An object is in at most one run queue at a time; the code that enqueues it guarantees that.</remarks>
internal interface IRunnable
{
    /// <summary>The coroutine whose code runs in <see cref="Execute"/>; null for a baton hand-off.</summary>
    CoroutineBase? Owner { get; }

    /// <summary>Runs on <paramref name="runner"/>, the thread that holds the scheduler's baton.</summary>
    void Execute(Worker runner);
}
