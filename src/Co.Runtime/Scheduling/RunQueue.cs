namespace Co.Scheduling;

/// <summary>
/// A scheduler's local run queue: a growable ring buffer used as a deque. Only the thread holding the scheduler's baton
/// touches it, so it needs no synchronization (checked in Debug builds: <see cref="Baton.AssertHolder"/>). Items from
/// other threads arrive through the scheduler's inbox.
/// </summary>
internal sealed class RunQueue(Scheduler owner)
{
    /// <summary>The ring; slots are a struct so that stores skip the covariant array-store type check.</summary>
    private Slot[] _items = new Slot[256];
    private int _head;
    private int _count;

    /// <summary>The number of items; any thread may read it (racily, for metrics).</summary>
    public int Count => _count;

    public void PushBack(IRunnable item)
    {
        Baton.AssertHolder(owner);
        if (_count == _items.Length)
        {
            Grow();
        }

        _items[(_head + _count) & (_items.Length - 1)].Item = item;
        _count++;
    }

    /// <summary>Puts an item back in front, to be taken next (used when a parking thread looked at it first).</summary>
    public void PushFront(IRunnable item)
    {
        Baton.AssertHolder(owner);
        if (_count == _items.Length)
        {
            Grow();
        }

        _head = (_head - 1) & (_items.Length - 1);
        _items[_head].Item = item;
        _count++;
    }

    public IRunnable? PopFront()
    {
        Baton.AssertHolder(owner);
        if (_count == 0)
        {
            return null;
        }

        IRunnable? item = _items[_head].Item;
        _items[_head].Item = null;
        _head = (_head + 1) & (_items.Length - 1);
        _count--;
        return item;
    }

    private void Grow()
    {
        var larger = new Slot[_items.Length * 2];
        for (int i = 0; i < _count; i++)
        {
            larger[i] = _items[(_head + i) & (_items.Length - 1)];
        }

        _items = larger;
        _head = 0;
    }

    private struct Slot
    {
        public IRunnable? Item;
    }
}
