namespace Co;

/// <summary>
/// A coroutine held its scheduler past <see cref="CoroutineOptions.BlockedSchedulerThreshold"/>, blocked in the kernel
/// without reaching a suspension point: the monitor handed the scheduler to another thread, and the coroutine has now
/// rejoined it.
/// </summary>
/// <param name="coroutineId">The coroutine that blocked its scheduler.</param>
/// <param name="schedulerId">Its scheduler.</param>
/// <param name="blockedFor">From when the monitor first saw the step that blocked to the rejoin.</param>
/// <param name="blockedIn">The system call its thread was blocked in when the monitor stepped in, or null if that
/// could not be read.</param>
/// <param name="stackAtRejoin">The coroutine's managed stack where it rejoined.</param>
public sealed class SchedulerBlockedEventArgs(int coroutineId, int schedulerId, TimeSpan blockedFor, string? blockedIn, string stackAtRejoin) : EventArgs
{
    /// <summary>The coroutine that blocked its scheduler (-1 if unknown).</summary>
    public int CoroutineId { get; } = coroutineId;

    /// <summary>Its scheduler.</summary>
    public int SchedulerId { get; } = schedulerId;

    /// <summary>How long the coroutine held its scheduler: from when the monitor first saw the step that blocked (at
    /// most half a threshold after it began) to the rejoin.</summary>
    public TimeSpan BlockedFor { get; } = blockedFor;

    /// <summary>
    /// The system call the coroutine's thread was blocked in when the monitor stepped in, as the kernel reported it:
    /// <c>"read(fd 9: /tmp/in.fifo)"</c>, <c>"recvfrom(fd 12: socket:[48213])"</c>, <c>"openat"</c>, or <c>"futex"</c> —
    /// the latter for every managed wait (a contended <c>lock</c>, <c>Monitor.Wait</c>, <c>Task.Wait</c>/<c>.Result</c>,
    /// a wait handle). Null if it could not be read.
    /// </summary>
    public string? BlockedIn { get; } = blockedIn;

    /// <summary>
    /// The coroutine's managed stack as it rejoined its scheduler, at its next suspension point. Another thread's
    /// managed stack cannot be read while it blocks, so the frames that made the blocking call are those this stack
    /// shares with it: the method that blocked, unless it returned before the coroutine next suspended.
    /// </summary>
    public string StackAtRejoin { get; } = stackAtRejoin;

    /// <summary>The first frame of the stack at rejoin that is neither Co's nor .NET's (<see cref="Diagnostics.CallSites"/>),
    /// the site <see cref="Coroutine.BlockingSites"/> counts this rescue under.</summary>
    internal string CallSite { get; init; } = Diagnostics.CallSites.NoneOutsideRuntime;
}
