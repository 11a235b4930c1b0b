namespace Co;

/// <summary>
/// co's <c>co::PoolGuard</c>: pops an object from a <see cref="Pool{T}"/> when created and pushes it back when disposed.
/// <code>using var conn = new PoolGuard&lt;Connection&gt;(pool); conn.Value!.Query(...);</code>
/// Create and dispose it in a coroutine.
/// </summary>
/// <typeparam name="T">The pooled type.</typeparam>
public sealed class PoolGuard<T> : IDisposable where T : class
{
    private readonly Pool<T> _pool;
    private bool _disposed;

    /// <summary>Pops an object from <paramref name="pool"/>.</summary>
    /// <exception cref="ArgumentNullException"><paramref name="pool"/> is null.</exception>
    /// <exception cref="InvalidOperationException">Called outside a coroutine.</exception>
    public PoolGuard(Pool<T> pool)
    {
        ArgumentNullException.ThrowIfNull(pool);
        _pool = pool;
        Value = pool.Pop();
    }

    /// <summary>The object obtained from the pool (co's <c>get()</c>); null if the pool was empty and had no create callback.</summary>
    public T? Value { get; private set; }

    /// <summary>Whether <see cref="Value"/> is not null (co's <c>operator bool</c>).</summary>
    public bool HasValue => Value is not null;

    /// <summary>Replaces <see cref="Value"/> (co's <c>reset</c>): the old value, if different, goes to the pool's destroy
    /// callback (co deletes it), or is dropped when the pool has none; the new value goes back to the pool on dispose.</summary>
    public void Reset(T? value = null)
    {
        if (ReferenceEquals(Value, value))
        {
            return;
        }

        if (Value is not null)
        {
            _pool.Destroy(Value);
        }

        Value = value;
    }

    /// <summary>Pushes <see cref="Value"/> back into the pool, once.</summary>
    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        _pool.Push(Value);
        Value = null;
    }
}
