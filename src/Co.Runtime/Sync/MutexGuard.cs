namespace Co;

/// <summary>
/// co's <c>co::MutexGuard</c>: locks a <see cref="CoMutex"/> when created and unlocks it when disposed.
/// <code>using var guard = new MutexGuard(mutex);</code>
/// </summary>
public readonly struct MutexGuard : IDisposable
{
    private readonly CoMutex? _mutex;

    /// <summary>Which acquisition of <see cref="_mutex"/> this guard made: its Dispose releases that one only.</summary>
    private readonly long _acquisition;

    /// <summary>Locks <paramref name="mutex"/>, waiting as long as it takes.</summary>
    /// <exception cref="ArgumentNullException"><paramref name="mutex"/> is null.</exception>
    public MutexGuard(CoMutex mutex)
    {
        ArgumentNullException.ThrowIfNull(mutex);
        mutex.Lock();
        _mutex = mutex;
        _acquisition = mutex.CurrentAcquisition;
    }

    /// <summary>Unlocks the mutex if this guard's acquisition still holds it. Idempotent, as .NET's Dispose must be:
    /// a second Dispose, or one of a copy of the guard, does nothing — it never releases the mutex for whoever holds it
    /// by then. A default guard does nothing.</summary>
    public void Dispose() => _mutex?.UnlockAcquisition(_acquisition);
}
