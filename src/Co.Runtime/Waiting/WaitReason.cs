namespace Co.Waiting;

/// <summary>
/// The "source" of a wait that no primitive's list holds — a Task awaited by a sync coroutine, a select over several
/// channels — so that <see cref="Coroutine.Dump"/> can say what the coroutine waits on. Nothing to detach from.
/// </summary>
internal sealed class WaitReason(string name) : IWaitSource
{
    /// <summary>Coroutine.Await of a Task or ValueTask.</summary>
    public static readonly WaitReason Task = new("Task");

    /// <summary>A select over channels (its per-channel case nodes carry the channels).</summary>
    public static readonly WaitReason Select = new("select");

    /// <summary>What the dump prints.</summary>
    public string Name { get; } = name;

    void IWaitSource.Detach(WaitNode node)
    {
    }
}
