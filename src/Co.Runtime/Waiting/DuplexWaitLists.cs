namespace Co.Waiting;

/// <summary>
/// The two wait lists of a primitive whose waiters wait for one of two directions — readers and writers of a
/// <see cref="Co.Chan{T}"/>, read and write readiness of a socket. Guarded by the owning primitive's lock.
/// </summary>
internal sealed class DuplexWaitLists
{
    public WaitList Readers { get; } = new();

    public WaitList Writers { get; } = new();

    /// <summary>Unlinks <paramref name="node"/> from whichever list holds it.</summary>
    public void Remove(WaitNode node)
    {
        if (!Readers.Remove(node))
        {
            Writers.Remove(node);
        }
    }

    /// <summary>Claims every waiter of both lists; dispatch the returned chains with <see cref="DispatchBoth"/> once the
    /// lock is released.</summary>
    public (WaitNode? Readers, WaitNode? Writers) ClaimAll(WaitOutcome outcome) =>
        (Readers.ClaimAll(outcome), Writers.ClaimAll(outcome));

    public static void DispatchBoth((WaitNode? Readers, WaitNode? Writers) claimed)
    {
        WaitNode.DispatchChain(claimed.Readers);
        WaitNode.DispatchChain(claimed.Writers);
    }
}
