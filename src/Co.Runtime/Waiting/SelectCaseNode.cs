using Co.Scheduling;

namespace Co.Waiting;

/// <summary>
/// What a <see cref="Co.Select"/> enlists on each of its channels. A node links into one wait list only, so a select
/// waiting on several channels enlists one of these per case, all standing for the one real wait node of the waiting
/// party. A channel claims a case node as it would any waiter; the case node's dispatch then claims the real node, for
/// that wait's version only, so the select is resumed exactly once however many channels wake it, and a late claim can
/// never resume a later wait. A case node whose claim lost that race took a wake-up its channel meant for some waiter:
/// the select passes it on when it withdraws (<see cref="Chan{T}.SelectWithdraw"/>).
/// </summary>
/// <remarks>One per case and per round of waiting: a fresh node each round, so a dispatch still in flight from an old
/// round cannot be confused with the current one.</remarks>
internal sealed class SelectCaseNode(WaitNode target, int version) : WaitNode
{
    private protected override TimerHeap? Timers => null;

    internal override void Dispatch()
    {
        if (target.TryClaim(version, WaitOutcome.Signaled))
        {
            target.Dispatch();
        }
    }
}
