using System.Runtime.ExceptionServices;
using Co.Waiting;

namespace Co.Offload;

/// <summary>
/// One call queued to <see cref="BlockingOffload"/>: the call, and the armed wait node of the coroutine parked for it.
/// Exactly one party runs it — an offload thread, or the caller itself when no offload thread could be started — and
/// then claims the node, which nothing else can claim (the wait has no timeout and no cancellation), waking the caller.
/// </summary>
internal sealed class OffloadRequest(IOffloadedCall call, WaitNode node, int version)
{
    private ExceptionDispatchInfo? _failure;

    /// <summary>Its entry in the offload queue while it waits for a thread (guarded by the offload's lock).</summary>
    internal LinkedListNode<OffloadRequest>? QueueEntry { get; set; }

    /// <summary>Makes the call, keeps its exception for the caller, and wakes the caller.</summary>
    public void Execute()
    {
        try
        {
            call.Run();
        }
        catch (Exception failure)
        {
            _failure = ExceptionDispatchInfo.Capture(failure);
        }

        if (!node.TryClaim(version, WaitOutcome.Signaled))
        {
            throw new InvalidOperationException("An offloaded call's wait was claimed by someone else: it has no timeout and no other waker.");
        }

        node.Dispatch();
    }

    /// <summary>On the caller, after it resumed: rethrows the call's exception, if it threw.</summary>
    public void ThrowIfFailed() => _failure?.Throw();
}
