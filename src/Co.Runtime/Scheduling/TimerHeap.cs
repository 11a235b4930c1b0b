using System.Diagnostics;
using System.Numerics;
using Co.Waiting;

namespace Co.Scheduling;

/// <summary>
/// A scheduler's timers: a binary min-heap of wait nodes keyed by <see cref="WaitNode.Deadline"/> (Stopwatch ticks).
/// It serves every timed wait on the scheduler — Sleep, the timeouts of Event/Chan/... waits, and socket timeouts.
/// Each node records its heap index, so a wait satisfied before its deadline is removed in O(log n) instead of lingering
/// until it expires. Only the thread holding the scheduler's baton touches it (checked in Debug builds:
/// <see cref="Baton.AssertHolder"/>).
/// </summary>
/// <remarks>
/// <para><b>Layout.</b> Each slot holds the deadline next to the node, so the comparisons of a sift read the heap's own
/// array (two children share a cache line) instead of one scattered node object per comparison; a node is touched
/// only to record its new index when it moves.</para>
/// <para><b>Bulk expiry.</b> <see cref="FireExpired"/> pops expired nodes one by one, O(log n) each, up to a budget
/// of n / log₂n pops; past it — a million sleepers due at one instant — it takes all the remaining expired nodes out
/// at once in O(n + k log k) with sequential access (<see cref="FireAllExpiredAtOnce"/>), where k pops would each sift
/// down the whole depth and touch a scattered node at every level. Either way nodes complete in deadline order, so the
/// burst costs about what waking as many waiters through one primitive does.</para>
/// </remarks>
internal sealed class TimerHeap(Scheduler owner)
{
    private Slot[] _slots = new Slot[64];
    private int _count;

    /// <summary>Set while <see cref="FireExpired"/> completes the nodes it took out (they sit past <see cref="_count"/>);
    /// nothing may add to or remove from the heap meanwhile (a completion only enqueues its waiter).</summary>
    private bool _firing;

    public int Count => _count;

    /// <summary>The earliest deadline, or <see cref="long.MaxValue"/> when empty.</summary>
    public long NextDeadline => _count == 0 ? long.MaxValue : _slots[0].Deadline;

    public void Add(WaitNode node)
    {
        Baton.AssertHolder(owner);
        Debug.Assert(!_firing, "a completion only enqueues its waiter");
        if (_count == _slots.Length)
        {
            Array.Resize(ref _slots, _slots.Length * 2);
        }

        int index = _count++;
        _slots[index] = new Slot(node.Deadline, node);
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

        Debug.Assert(!_firing && ReferenceEquals(_slots[index].Node, node), "a node's TimerIndex names its own slot");
        node.TimerIndex = -1;
        int last = --_count;
        if (index != last)
        {
            WaitNode moved = _slots[last].Node;
            _slots[index] = _slots[last];
            SiftDown(index);
            SiftUp(moved.TimerIndex);
        }

        _slots[last] = default;
    }

    /// <summary>
    /// Completes every node whose deadline is at or before <paramref name="now"/> as timed out, in deadline order, each
    /// out of the heap before it is completed; returns how many. Completing a node only enqueues its waiter.
    /// </summary>
    public int FireExpired(long now)
    {
        Baton.AssertHolder(owner);
        Debug.Assert(!_firing, "expiry does not nest");
        int fired = 0;
        int popBudget = _count / (BitOperations.Log2((uint)_count | 1) + 1) + 1;
        while (_count > 0 && _slots[0].Deadline <= now)
        {
            if (fired == popBudget)
            {
                return fired + FireAllExpiredAtOnce(now);
            }

            WaitNode first = _slots[0].Node;
            Remove(first);
            first.Complete(WaitOutcome.TimedOut);
            fired++;
        }

        return fired;
    }

    /// <summary>
    /// The bulk path of <see cref="FireExpired"/>, O(n + k log k) with sequential access instead of k sifts: the
    /// expired slots are exactly those with a deadline at or before <paramref name="now"/> (a node's deadline is at or
    /// after its parent's), so one pass moves them to the end of the array, the survivors before them are made a heap
    /// again bottom-up (Floyd), and the expired ones are sorted by deadline and completed from there.
    /// </summary>
    private int FireAllExpiredAtOnce(long now)
    {
        int kept = 0;
        int end = _count;
        while (kept < end)
        {
            if (_slots[kept].Deadline > now)
            {
                kept++;
            }
            else
            {
                end--;
                (_slots[kept], _slots[end]) = (_slots[end], _slots[kept]);
            }
        }

        int total = _count;
        _count = kept;
        for (int i = (kept >> 1) - 1; i >= 0; i--)
        {
            SiftDownOrderOnly(i);
        }

        for (int i = 0; i < kept; i++)
        {
            _slots[i].Node.TimerIndex = i;
        }

        Span<Slot> expired = _slots.AsSpan(kept, total - kept);
        expired.Sort(default(ByDeadline));
        _firing = true;
        try
        {
            for (int i = 0; i < expired.Length; i++)
            {
                WaitNode node = expired[i].Node;
                expired[i] = default;
                node.TimerIndex = -1; // here, not in the partition: one touch of each scattered node instead of two
                node.Complete(WaitOutcome.TimedOut);
            }
        }
        finally
        {
            _firing = false;
        }

        return expired.Length;
    }

    private void SiftUp(int index)
    {
        Slot moving = _slots[index];
        while (index > 0)
        {
            int parent = (index - 1) >> 1;
            Slot p = _slots[parent];
            if (p.Deadline <= moving.Deadline)
            {
                break;
            }

            _slots[index] = p;
            p.Node.TimerIndex = index;
            index = parent;
        }

        _slots[index] = moving;
        moving.Node.TimerIndex = index;
    }

    private void SiftDown(int index)
    {
        int settled = SiftDownOrderOnly(index);
        _slots[settled].Node.TimerIndex = settled;
    }

    /// <summary>Moves the slot at <paramref name="index"/> down to its place and returns that place; records the index
    /// of every slot it moved up, not of the moving slot itself.</summary>
    private int SiftDownOrderOnly(int index)
    {
        Slot moving = _slots[index];
        while (true)
        {
            int child = (index << 1) + 1;
            if (child >= _count)
            {
                break;
            }

            if (child + 1 < _count && _slots[child + 1].Deadline < _slots[child].Deadline)
            {
                child++;
            }

            Slot c = _slots[child];
            if (moving.Deadline <= c.Deadline)
            {
                break;
            }

            _slots[index] = c;
            c.Node.TimerIndex = index;
            index = child;
        }

        _slots[index] = moving;
        return index;
    }

    /// <summary>Orders slots by deadline (a struct, so the sort's comparisons are inlined).</summary>
    private readonly struct ByDeadline : IComparer<Slot>
    {
        public int Compare(Slot x, Slot y) => x.Deadline.CompareTo(y.Deadline);
    }

    /// <summary>A heap entry: the node's deadline beside the node, so comparisons stay in the heap's array.</summary>
    private struct Slot(long deadline, WaitNode node)
    {
        public readonly long Deadline = deadline;
        public WaitNode Node = node;
    }
}
