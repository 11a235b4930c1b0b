namespace Co.Platform;

/// <summary>What the blocked-scheduler monitor asks the OS (<see cref="Scheduling.BlockedSchedulerMonitor"/>): what
/// another thread of the process is doing, and whether its detach handshake can rely on the process-wide barrier.
/// Failures read as "not known", never as blocked.</summary>
internal interface IThreadInspector
{
    /// <summary>Whether thread <paramref name="threadId"/> sleeps in the kernel; false when it runs, waits for a CPU,
    /// or cannot be read.</summary>
    bool IsBlocked(int threadId);

    /// <summary>The system call thread <paramref name="threadId"/> is blocked in, as "name(fd N: what it is)" for calls
    /// on a descriptor, "name" otherwise; null when it runs or cannot be read.</summary>
    string? BlockedIn(int threadId);

    /// <summary>Whether <see cref="Interlocked.MemoryBarrierProcessWide"/> orders every thread's stores before its
    /// later loads (the monitor stays off otherwise); when not, <paramref name="problem"/> says why.</summary>
    bool IsProcessBarrierReliable(out string? problem);
}
