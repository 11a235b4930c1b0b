namespace Co.Waiting;

/// <summary>
/// An operation that an async wait performs when it is woken, before its awaiter sees anything: a socket call retried
/// after readiness (Net/), or a channel read or write retried after the channel changed.
/// It runs on the holder of the waiting coroutine's scheduler, from the node's completion.
/// </summary>
internal interface IWakeRetry
{
    /// <summary>Retries after <paramref name="node"/> was claimed with <see cref="WaitOutcome.Signaled"/>. Returns true
    /// when the operation finished (the node is then published to its awaiter), false when it re-armed the same wait
    /// (<see cref="WaitNode.Rearm"/>) to be woken again.</summary>
    bool TryFinish(AsyncWaitNode node);
}
