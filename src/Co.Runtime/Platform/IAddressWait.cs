namespace Co.Platform;

/// <summary>Sleeping on a 32-bit word until another thread changes it and wakes the sleeper: the baton hand-off
/// between a scheduler's threads (<see cref="Scheduling.ThreadSignal"/>). futex on Linux; WaitOnAddress on Windows.</summary>
/// <remarks>Callers keep the word in memory that never moves (a pinned array): waiters are keyed by address.</remarks>
internal unsafe interface IAddressWait
{
    /// <summary>Sleeps while <c>*address == expected</c>, at most <paramref name="timeoutNanoseconds"/> (negative: no
    /// limit). Returns early on a wake, a signal or a spurious wake-up: callers re-check their word.</summary>
    void Wait(int* address, int expected, long timeoutNanoseconds);

    /// <summary>Wakes up to <paramref name="count"/> threads sleeping on <paramref name="address"/>.</summary>
    void Wake(int* address, int count);
}
