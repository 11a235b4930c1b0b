using Co.Waiting;

namespace Co;

// What Select needs of a channel: a try that never waits, and enlisting a case node only while the case is not ready,
// both under the channel's gate so a change between the look and the enlisting cannot be missed.
public sealed partial class Chan<T>
{
    /// <summary>Reads an item, or reports Closed once drained, without waiting; false when the channel is empty.</summary>
    internal bool SelectTryRead(out T item, out ChanStatus status)
    {
        WaitNode? woken;
        bool done;
        using (_gate.Enter())
        {
            done = TryTakeLocked(out item, out status, out woken);
        }

        woken?.Dispatch();
        return done;
    }

    /// <summary>Buffers <paramref name="item"/>, or reports Closed, without waiting; false when the channel is full.</summary>
    internal bool SelectTryWrite(T item, out ChanStatus status)
    {
        WaitNode? woken;
        bool done;
        using (_gate.Enter())
        {
            done = TryPutLocked(item, out status, out woken);
        }

        woken?.Dispatch();
        return done;
    }

    /// <summary>Arms and enlists <paramref name="caseNode"/> as a reader (or writer) unless a read (or write) would not
    /// wait now; returns true, without enlisting, in that case.</summary>
    internal bool SelectEnlist(SelectCaseNode caseNode, bool read)
    {
        using (_gate.Enter())
        {
            if (_closed || (read ? _count > 0 : !IsFullLocked))
            {
                return true;
            }

            caseNode.Arm(this);
            (read ? _waiters.Readers : _waiters.Writers).Append(caseNode);
            return false;
        }
    }

    /// <summary>
    /// Takes <paramref name="caseNode"/> out of its wait list once the select's wait is over. If the channel had
    /// claimed it, that wake-up was meant for one waiter of this channel and the select may not use it (it was woken by
    /// another case, timed out, or its retry picked another ready case): it is passed on to the next waiter while the
    /// channel can still serve one, so no waiter sleeps beside an item or a free slot. Woken parties always retry, so
    /// a wake-up passed on needlessly costs a retry, never a value.
    /// </summary>
    internal void SelectWithdraw(SelectCaseNode caseNode, bool read)
    {
        WaitNode? passedOn = null;
        using (_gate.Enter())
        {
            _waiters.Remove(caseNode);

            // Still armed: nobody claimed it, and this claim keeps a late one from dispatching.
            bool claimedByChannel = !caseNode.TryClaim(WaitOutcome.Canceled);
            if (claimedByChannel && !_closed && (read ? _count > 0 : !IsFullLocked))
            {
                passedOn = (read ? _waiters.Readers : _waiters.Writers).ClaimFirst(WaitOutcome.Signaled);
            }
        }

        passedOn?.Dispatch();
    }
}
