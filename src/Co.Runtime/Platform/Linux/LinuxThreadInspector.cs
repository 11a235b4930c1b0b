namespace Co.Platform.Linux;

/// <summary><see cref="IThreadInspector"/> on procfs (<see cref="ThreadActivity"/>) and membarrier
/// (<see cref="ProcessBarrier"/>).</summary>
internal sealed class LinuxThreadInspector : IThreadInspector
{
    public bool IsBlocked(int threadId) => ThreadActivity.IsBlocked(threadId);

    public string? BlockedIn(int threadId) => ThreadActivity.BlockedIn(threadId);

    public bool IsProcessBarrierReliable(out string? problem)
    {
        bool reliable = ProcessBarrier.IsReliable();
        problem = reliable ? null : $"on {System.Runtime.InteropServices.RuntimeInformation.ProcessArchitecture} without membarrier(MEMBARRIER_CMD_PRIVATE_EXPEDITED), Interlocked.MemoryBarrierProcessWide is not known to be a process-wide barrier";
        return reliable;
    }
}
