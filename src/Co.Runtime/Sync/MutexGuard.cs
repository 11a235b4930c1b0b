namespace Co;

/// <summary>
/// co's <c>co::MutexGuard</c>: locks a <see cref="CoMutex"/> when created and unlocks it when disposed.
/// <code>using var guard = new MutexGuard(mutex);</code>
/// </summary>
public readonly struct MutexGuard : IDisposable
{
    private readonly CoMutex? _mutex;

    /// <summary>Locks <paramref name="mutex"/>, waiting as long as it takes.</summary>
    /// <exception cref="ArgumentNullException"><paramref name="mutex"/> is null.</exception>
    public MutexGuard(CoMutex mutex)
    {
        ArgumentNullException.ThrowIfNull(mutex);
        mutex.Lock();
        _mutex = mutex;
    }

    /// <summary>Unlocks the mutex. Dispose a guard exactly once (a default guard does nothing).</summary>
    public void Dispose() => _mutex?.Unlock();
}
