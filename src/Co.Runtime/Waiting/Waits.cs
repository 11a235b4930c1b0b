using Co.Scheduling;

namespace Co.Waiting;

/// <summary>Picks the wait node for the calling context and blocks on it: the one place that knows how a synchronous
/// wait behaves on a scheduler thread (park the coroutine, the scheduler goes on) versus a plain thread (block it).</summary>
internal static class Waits
{
    /// <summary>The node a synchronous wait of the calling thread uses, taken under a primitive's gate: no rejoin
    /// there (the caller made its <see cref="HolderSection.Checkpoint"/> before taking the gate).</summary>
    internal static WaitNode SyncNodeUnderGate() => Worker.Current is { } worker ? worker.WaitNode : ThreadWaitNode.ForCurrentThread;

    /// <summary>The node a synchronous wait of the calling thread uses; outside any gate.</summary>
    internal static WaitNode SyncNode() => Worker.Current is { } worker ? SyncNode(worker) : ThreadWaitNode.ForCurrentThread;

    /// <summary>The node of a sync wait on scheduler thread <paramref name="worker"/> (the caller's); outside any gate.
    /// A thread the blocked-scheduler monitor detached rejoins first, so it never publishes a resume of its own while
    /// detached (<see cref="HolderSection.Checkpoint"/>).</summary>
    internal static WaitNode SyncNode(Worker worker)
    {
        HolderSection.Checkpoint();
        return worker.WaitNode;
    }

    /// <summary>A node for an async wait, taken under the primitive's gate: pooled by the current coroutine's scheduler,
    /// or a fresh external one.</summary>
    internal static AsyncWaitNode AsyncNode() =>
        Worker.Current is { Running: { } owner } worker ? worker.Scheduler.RentAsyncNode(owner, underGate: true) : new AsyncWaitNode(null);

    /// <summary>
    /// Waits until <paramref name="node"/> — armed by the caller and already published to its primitive — is claimed,
    /// or <paramref name="timeoutMs"/> passes (-1: no limit). Then detaches it from every claim source and returns how
    /// the wait ended.
    /// </summary>
    internal static WaitOutcome Block(WaitNode node, int timeoutMs)
    {
        if (node is ThreadWaitNode threadNode)
        {
            if (timeoutMs < 0)
            {
                threadNode.Signal.Wait();
            }
            else if (!threadNode.Signal.Wait(timeoutMs) && !threadNode.TryClaim(WaitOutcome.TimedOut))
            {
                // Claimed just as the timeout passed: its unpark is on the way, consume it.
                threadNode.Signal.Wait();
            }
        }
        else
        {
            Worker worker = Worker.Current!;
            if (timeoutMs >= 0)
            {
                node.StartTimer(timeoutMs);
            }

            CoroutineBase? owner = worker.Running;
            owner?.NoteWaiting(node);
            worker.Scheduler.Park(worker);
            owner?.NoteResumed();
        }

        WaitOutcome outcome = node.Outcome;
        node.ReleaseClaimSources();
        return outcome;
    }

    /// <summary>Checks a timeout argument: -1 (infinite) or a non-negative number of milliseconds.</summary>
    internal static void ValidateTimeout(int timeoutMs, string paramName)
    {
        if (timeoutMs < -1)
        {
            throw new ArgumentOutOfRangeException(paramName, timeoutMs, "The timeout must be -1 (infinite) or a non-negative number of milliseconds.");
        }
    }
}
