using Co.Scheduling;

namespace Co;

/// <summary>
/// co's <c>co::Pool</c>: a pool of objects (connections, buffers, ...) with separate storage per scheduler, so it needs
/// no lock — coroutines of one scheduler never run in parallel. Push an object back in a coroutine of the scheduler that
/// popped it. Every member must be called in a coroutine.
/// </summary>
/// <typeparam name="T">The pooled type.</typeparam>
public sealed class Pool<T> where T : class
{
    private readonly Func<T>? _create;
    private readonly Action<T>? _destroy;
    private readonly int _capacity;
    /// <summary>Storage per scheduler id, created on first use so that constructing a pool does not start the schedulers.</summary>
    private List<T>?[]? _perScheduler;

    /// <summary>Creates a pool with no create or destroy callback and no capacity limit.</summary>
    public Pool()
        : this(null, null)
    {
    }

    /// <summary>Creates a pool.</summary>
    /// <param name="create">Creates an object when <see cref="Pop"/> finds the pool empty; null: Pop returns null then.</param>
    /// <param name="destroy">Destroys objects pushed beyond the capacity (and by <see cref="Clear"/>).</param>
    /// <param name="capacity">The most objects kept <b>per scheduler</b>; -1 for no limit. Ignored when
    /// <paramref name="destroy"/> is null, as in co: surplus objects can only be dropped through it.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="capacity"/> is less than -1.</exception>
    public Pool(Func<T>? create, Action<T>? destroy, int capacity = -1)
    {
        if (capacity < -1)
        {
            throw new ArgumentOutOfRangeException(nameof(capacity), capacity, "The capacity must be -1 (unlimited) or non-negative.");
        }

        _create = create;
        _destroy = destroy;
        _capacity = capacity;
    }

    /// <summary>The number of objects stored for the current scheduler.</summary>
    /// <exception cref="InvalidOperationException">Called outside a coroutine.</exception>
    public int Size
    {
        get
        {
            using HolderSection section = HolderSection.Enter();
            return Current(nameof(Size)).Count;
        }
    }

    /// <summary>Takes an object from the current scheduler's storage; when it is empty, creates one with the create
    /// callback, or returns null without one.</summary>
    /// <exception cref="InvalidOperationException">Called outside a coroutine.</exception>
    public T? Pop()
    {
        T? item = null;
        using (HolderSection.Enter())
        {
            List<T> items = Current(nameof(Pop));
            if (items.Count > 0)
            {
                item = items[^1];
                items.RemoveAt(items.Count - 1);
            }
        }

        return item ?? _create?.Invoke(); // the callback runs outside the section: it may block
    }

    /// <summary>Returns <paramref name="item"/> to the current scheduler's storage (null is ignored). At capacity, with a
    /// destroy callback, the object is destroyed instead.</summary>
    /// <exception cref="InvalidOperationException">Called outside a coroutine.</exception>
    public void Push(T? item)
    {
        bool destroy;
        using (HolderSection.Enter())
        {
            List<T> items = Current(nameof(Push));
            if (item is null)
            {
                return;
            }

            destroy = _destroy is not null && _capacity >= 0 && items.Count >= _capacity;
            if (!destroy)
            {
                items.Add(item);
            }
        }

        if (destroy)
        {
            _destroy!(item); // outside the section: it may block
        }
    }

    /// <summary>Empties the current scheduler's storage, destroying the objects with the destroy callback if set.</summary>
    /// <exception cref="InvalidOperationException">Called outside a coroutine.</exception>
    public void Clear()
    {
        T[] removed;
        using (HolderSection.Enter())
        {
            List<T> items = Current(nameof(Clear));
            removed = _destroy is null ? [] : [.. items];
            items.Clear();
        }

        foreach (T item in removed)
        {
            _destroy!(item); // outside the section: it may block
        }
    }

    /// <summary>Hands <paramref name="item"/> to the destroy callback, if there is one.</summary>
    internal void Destroy(T item) => _destroy?.Invoke(item);

    private List<T> Current(string member)
    {
        CoroutineBase coroutine = Coroutine.RequireCoroutine($"Pool<{typeof(T).Name}>.{member}");
        Baton.AssertHolder(coroutine.Scheduler);
        List<T>?[] perScheduler = Volatile.Read(ref _perScheduler)
            ?? Interlocked.CompareExchange(ref _perScheduler, new List<T>?[SchedulerGroup.All.Length], null)
            ?? _perScheduler!;

        // Only this scheduler's coroutines touch this slot, one at a time: the callers hold a HolderSection (a coroutine
        // the blocked-scheduler monitor detached rejoins as it opens one).
        return perScheduler[coroutine.Scheduler.Id] ??= [];
    }
}
