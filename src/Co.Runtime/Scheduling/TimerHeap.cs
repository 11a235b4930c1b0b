using Co.Waiting;

namespace Co.Scheduling;

/// <summary>
/// A scheduler's timers: a binary min-heap of wait nodes keyed by <see cref="WaitNode.Deadline"/> (Stopwatch ticks).
/// It serves every timed wait on the scheduler — Sleep, the timeouts of Event/Chan/... waits, and later socket timeouts.
/// Each node records its heap index, so a wait satisfied before its deadline is removed in O(log n) instead of lingering
/// until it expires. Only the thread holding the scheduler's baton touches it (checked in Debug builds:
/// <see cref="Baton.AssertHolder"/>).
/// </summary>
internal sealed class TimerHeap(Scheduler owner)
{
    private WaitNode[] _nodes = new WaitNode[64];
    private int _count;

    public int Count => _count;

    /// <summary>The earliest deadline, or <see cref="long.MaxValue"/> when empty.</summary>
    public long NextDeadline => _count == 0 ? long.MaxValue : _nodes[0].Deadline;

    public void Add(WaitNode node)
    {
        Baton.AssertHolder(owner);
        if (_count == _nodes.Length)
        {
            Array.Resize(ref _nodes, _nodes.Length * 2);
        }

        int index = _count++;
        _nodes[index] = node;
        node.TimerIndex = index;
        SiftUp(index);
    }

    /// <summary>Removes <paramref name="node"/> if it is still in the heap.</summary>
    public void Remove(WaitNode node)
    {
        Baton.AssertHolder(owner);
        int index = node.TimerIndex;
        if (index < 0)
        {
            return;
        }

        node.TimerIndex = -1;
        int last = --_count;
        if (index != last)
        {
            WaitNode moved = _nodes[last];
            _nodes[index] = moved;
            moved.TimerIndex = index;
            SiftDown(index);
            SiftUp(moved.TimerIndex);
        }

        _nodes[last] = null!;
    }

    /// <summary>Removes and returns the earliest node if its deadline is at or before <paramref name="now"/>.</summary>
    public WaitNode? PopExpired(long now)
    {
        Baton.AssertHolder(owner);
        if (_count == 0 || _nodes[0].Deadline > now)
        {
            return null;
        }

        WaitNode first = _nodes[0];
        Remove(first);
        return first;
    }

    private void SiftUp(int index)
    {
        WaitNode node = _nodes[index];
        while (index > 0)
        {
            int parent = (index - 1) >> 1;
            WaitNode p = _nodes[parent];
            if (p.Deadline <= node.Deadline)
            {
                break;
            }

            _nodes[index] = p;
            p.TimerIndex = index;
            index = parent;
        }

        _nodes[index] = node;
        node.TimerIndex = index;
    }

    private void SiftDown(int index)
    {
        WaitNode node = _nodes[index];
        while (true)
        {
            int child = (index << 1) + 1;
            if (child >= _count)
            {
                break;
            }

            if (child + 1 < _count && _nodes[child + 1].Deadline < _nodes[child].Deadline)
            {
                child++;
            }

            WaitNode c = _nodes[child];
            if (node.Deadline <= c.Deadline)
            {
                break;
            }

            _nodes[index] = c;
            c.TimerIndex = index;
            index = child;
        }

        _nodes[index] = node;
        node.TimerIndex = index;
    }
}
