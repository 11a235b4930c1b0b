namespace Co.Waiting;

/// <summary>
/// What another layer adds to an <see cref="AsyncWaitNode"/>'s wait without the node knowing what it is (the socket
/// operations of Net/, for one): a retry when the wait is woken (<see cref="IWakeRetry"/>) and the
/// result its awaiter reads. An instance is kept with its pooled node (<see cref="AsyncWaitNode.KeptExtension"/>) and
/// reused by that node's later waits, so such a wait allocates nothing once the node has one.
/// </summary>
internal interface IWaitExtension : IWakeRetry
{
    /// <summary>Ends the wait for its awaiter, on the owning scheduler, before the node is recycled: records what the
    /// layer records (an error code, say) and returns the awaiter's result for <paramref name="outcome"/> (negative
    /// for a failure). Must drop what it holds of the wait (user buffers).</summary>
    long Complete(AsyncWaitNode node, WaitOutcome outcome);
}
