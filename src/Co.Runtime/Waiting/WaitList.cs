namespace Co.Waiting;

/// <summary>
/// A primitive's FIFO of waiting nodes: an intrusive doubly linked list through <see cref="WaitNode.ListPrev"/> and
/// <see cref="WaitNode.ListNext"/>, so a timed-out or cancelled waiter unlinks itself in O(1). Every member is called
/// under the owning primitive's lock.
/// </summary>
internal sealed class WaitList
{
    private WaitNode? _head;
    private WaitNode? _tail;

    public bool IsEmpty => _head is null;

    public void Append(WaitNode node)
    {
        node.List = this;
        node.ListNext = null;
        node.ListPrev = _tail;
        if (_tail is null)
        {
            _head = node;
        }
        else
        {
            _tail.ListNext = node;
        }

        _tail = node;
    }

    /// <summary>Unlinks <paramref name="node"/> if it is in this list; returns whether it was.</summary>
    public bool Remove(WaitNode node)
    {
        if (!ReferenceEquals(node.List, this))
        {
            return false;
        }

        if (node.ListPrev is null)
        {
            _head = node.ListNext;
        }
        else
        {
            node.ListPrev.ListNext = node.ListNext;
        }

        if (node.ListNext is null)
        {
            _tail = node.ListPrev;
        }
        else
        {
            node.ListNext.ListPrev = node.ListPrev;
        }

        node.List = null;
        node.ListPrev = null;
        node.ListNext = null;
        return true;
    }

    /// <summary>Unlinks waiters from the front until one can be claimed with <paramref name="outcome"/>; returns it,
    /// or null if none could. Waiters that could not be claimed had already timed out or been cancelled.</summary>
    public WaitNode? ClaimFirst(WaitOutcome outcome)
    {
        while (_head is { } node)
        {
            Remove(node);
            if (node.TryClaim(outcome))
            {
                return node;
            }
        }

        return null;
    }

    /// <summary>Unlinks every waiter and returns the ones claimed with <paramref name="outcome"/>, chained through
    /// <see cref="WaitNode.ListNext"/>, for <see cref="WaitNode.DispatchChain"/> once the lock is released.</summary>
    public WaitNode? ClaimAll(WaitOutcome outcome)
    {
        WaitNode? first = null;
        WaitNode? last = null;
        while (_head is { } node)
        {
            Remove(node);
            if (!node.TryClaim(outcome))
            {
                continue;
            }

            if (last is null)
            {
                first = node;
            }
            else
            {
                last.ListNext = node;
            }

            last = node;
        }

        return first;
    }
}
