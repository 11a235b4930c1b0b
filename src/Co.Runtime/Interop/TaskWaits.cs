using System.Runtime.CompilerServices;
using Co.Waiting;

namespace Co.Interop;

/// <summary>
/// Parks the calling context until a foreign awaitable (a <see cref="Task"/> or <see cref="ValueTask"/>) completes:
/// the awaitable's continuation claims the caller's own wait node, so in a coroutine only the coroutine waits (its
/// scheduler goes on, as in <see cref="Event.Wait()"/>) and on a plain thread the thread blocks.
/// </summary>
internal static class TaskWaits
{
    private static readonly Action<object?> s_cancel = static wake => ((NodeWake)wake!).Claim(WaitOutcome.Canceled);

    /// <summary>Waits until <paramref name="awaiter"/> completes, <paramref name="timeoutMs"/> passes (-1: no limit) or
    /// <paramref name="cancellationToken"/> is cancelled; returns how the wait ended. The caller reads the result.</summary>
    internal static WaitOutcome Park<TAwaiter>(TAwaiter awaiter, int timeoutMs, CancellationToken cancellationToken)
        where TAwaiter : ICriticalNotifyCompletion
    {
        WaitNode node = Waits.SyncNode();
        var wake = new NodeWake(node, node.Arm(WaitReason.Task));

        // The continuation only claims and resumes, so it may run inline on whichever thread completes the task.
        awaiter.UnsafeOnCompleted(wake.Signal);
        CancellationTokenRegistration registration = cancellationToken.CanBeCanceled
            ? cancellationToken.UnsafeRegister(s_cancel, wake)
            : default;
        try
        {
            return Waits.Block(node, timeoutMs);
        }
        finally
        {
            // The version check makes a callback that runs after this wait a no-op; disposing just drops it early.
            registration.Dispose();
        }
    }

    /// <summary>One wait's claim: a continuation that fires after the wait ended (timeout, cancellation) carries the old
    /// version and cannot claim a later wait of the same node.</summary>
    private sealed class NodeWake(WaitNode node, int version)
    {
        public void Signal() => Claim(WaitOutcome.Signaled);

        public void Claim(WaitOutcome outcome)
        {
            if (node.TryClaim(version, outcome))
            {
                node.Dispatch();
            }
        }
    }
}
