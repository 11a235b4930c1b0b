namespace Co;

/// <summary>
/// A coroutine held its scheduler past <see cref="CoroutineOptions.BlockedSchedulerThreshold"/> without reaching a
/// suspension point: the monitor handed the scheduler to another thread, and the coroutine has now rejoined it.
/// </summary>
/// <param name="coroutineId">The coroutine that blocked its scheduler.</param>
/// <param name="schedulerId">Its scheduler.</param>
/// <param name="blockedFor">From the start of the step that blocked to the rejoin.</param>
/// <param name="stackAtRejoin">The coroutine's managed stack where it rejoined: the frames that made the blocking call
/// are those it shares with this stack up to its next suspension point (another thread's stack cannot be read while
/// it blocks).</param>
public sealed class SchedulerBlockedEventArgs(int coroutineId, int schedulerId, TimeSpan blockedFor, string stackAtRejoin) : EventArgs
{
    /// <summary>The coroutine that blocked its scheduler (-1 if unknown).</summary>
    public int CoroutineId { get; } = coroutineId;

    /// <summary>Its scheduler.</summary>
    public int SchedulerId { get; } = schedulerId;

    /// <summary>From the start of the step that blocked to the rejoin.</summary>
    public TimeSpan BlockedFor { get; } = blockedFor;

    /// <summary>The coroutine's managed stack as it rejoined its scheduler.</summary>
    public string StackAtRejoin { get; } = stackAtRejoin;
}
