namespace Co;

/// <summary>One live coroutine as <see cref="Coroutine.Dump"/> saw it.</summary>
/// <param name="Id">The coroutine id (co's numbering); -1 for a sync coroutine not started yet, held back for want of a
/// thread (<see cref="CoroutineState.WaitingForThread"/>).</param>
/// <param name="SchedulerId">The scheduler it belongs to.</param>
/// <param name="Kind">Sync (its own thread when parked) or async (stackless).</param>
/// <param name="State">Running, runnable (in its scheduler's queue), waiting, blocked outside its scheduler, or not
/// started for want of a thread.</param>
/// <param name="WaitingOn">What it waits on — "fd 12 read", "sleep", "Event", "Chan&lt;Int32&gt;", "WaitGroup",
/// "CoMutex" — with the remaining timeout when there is one; for a blocked coroutine, the system call its thread was
/// blocked in when the monitor handed its scheduler off ("futex", "read(fd 9: /tmp/in.fifo)"); null otherwise.</param>
/// <param name="WaitingFor">How long it has waited so far; null unless waiting or blocked, and for a wait that began
/// before the process's first dump (waits are timed only from then on, so a process that never dumps pays nothing for
/// it).</param>
public sealed record CoroutineInfo(int Id, int SchedulerId, CoroutineKind Kind, CoroutineState State, string? WaitingOn, TimeSpan? WaitingFor)
{
    /// <summary>One line, as <see cref="Coroutine.DumpTo"/> writes it.</summary>
    public override string ToString() => $"coroutine {Id} (scheduler {SchedulerId}, {Kind.ToString().ToLowerInvariant()}): " + State switch
    {
        CoroutineState.Waiting => $"waiting on {WaitingOn}{For}",
        CoroutineState.Blocked => $"blocked in {WaitingOn ?? "an unknown call"}{For}, outside its scheduler (handed off by the monitor)",
        CoroutineState.WaitingForThread => "not started, waiting for a thread (the OS refused one: its thread limit)",
        _ => State.ToString().ToLowerInvariant(),
    };

    private string For => WaitingFor is { } waited ? $" for {waited.TotalMilliseconds:0} ms" : "";
}

/// <summary>The two kinds of coroutine.</summary>
public enum CoroutineKind
{
    /// <summary>Created from an <see cref="Action"/>: ordinary synchronous code.</summary>
    Sync,

    /// <summary>Created from a <see cref="Func{Task}"/>: stackless, suspends at <c>await</c>.</summary>
    Async,
}

/// <summary>Where a live coroutine is.</summary>
public enum CoroutineState
{
    /// <summary>Its scheduler is running it (seen when the scheduler did not answer the dump: it may be blocked).</summary>
    Running,

    /// <summary>Ready, in its scheduler's queue.</summary>
    Runnable,

    /// <summary>Parked in a wait.</summary>
    Waiting,

    /// <summary>Its thread is blocked in a call no hook diverted, and the blocked-scheduler monitor handed its
    /// scheduler to another thread; it rejoins at its next suspension point.</summary>
    Blocked,

    /// <summary>A sync coroutine that <c>Go</c> accepted but its scheduler has not started yet: the OS refused the
    /// thread it would need if it parked (the process is at its thread limit). It starts, in order, once a thread of
    /// its scheduler is free or the OS gives one. It has no id yet (-1).</summary>
    WaitingForThread,
}
