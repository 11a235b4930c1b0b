namespace Co.Waiting;

/// <summary>A primitive whose wait list a <see cref="WaitNode"/> can be linked into (Event, WaitGroup, CoMutex, Chan).</summary>
internal interface IWaitSource
{
    /// <summary>Unlinks <paramref name="node"/> from this source's wait list if it is still there. Called by the waiting
    /// party after its wait ended by timeout or cancellation, before the node is armed again.</summary>
    void Detach(WaitNode node);
}
