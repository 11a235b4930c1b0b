namespace Co.Platform.Linux;

/// <summary><see cref="IThreadInspector"/> on procfs (<see cref="ThreadActivity"/>) and membarrier
/// (<see cref="ProcessBarrier"/>).</summary>
internal sealed class LinuxThreadInspector : IThreadInspector
{
    public bool IsBlocked(int threadId) => ThreadActivity.IsBlocked(threadId);

    public string? BlockedIn(int threadId) => ThreadActivity.BlockedIn(threadId);

    public bool IsProcessBarrierReliable() => ProcessBarrier.IsReliable();
}
