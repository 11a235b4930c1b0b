namespace Co.Platform;

/// <summary>
/// What a scheduler's loop blocks in when it has nothing to run: wait until the nearest timer, a cross-thread wake-up,
/// or I/O readiness of a registered descriptor. One instance per scheduler; <see cref="Wait"/> is called only by the
/// thread holding that scheduler's baton, <see cref="Wake"/> and <see cref="Register"/> by any thread.
/// </summary>
/// <remarks>
/// Contract: descriptors are registered once, for read and write readiness, edge-triggered — a readiness event means
/// "became ready since the last event", so waiters always try the operation first and wait only after EAGAIN. Events
/// go to the <see cref="IReadinessSink"/> given at construction, on the waiting thread. A closed descriptor leaves the
/// poller by itself. Only epoll is built; kqueue (EV_CLEAR) and IOCP implement the same contract.
/// </remarks>
internal interface IPoller : IDisposable
{
    /// <summary>Blocks until <see cref="Wake"/> is called, an event is ready, or <paramref name="timeoutMs"/> passes
    /// (-1: no limit, 0: just poll). Delivers ready events to the sink before returning.</summary>
    void Wait(int timeoutMs);

    /// <summary>Makes the current or next <see cref="Wait"/> return promptly. Safe from any thread; wake-ups may coalesce.</summary>
    void Wake();

    /// <summary>Registers <paramref name="fd"/> for edge-triggered read and write readiness, reported with
    /// <paramref name="token"/>. Returns 0, or the errno of the failure (EPERM: the descriptor cannot be polled,
    /// e.g. a regular file, which is always ready).</summary>
    int Register(int fd, ulong token);

    /// <summary>Whether <paramref name="fd"/> is still registered (re-asserting <paramref name="token"/>); false once
    /// the descriptor was closed, which removed it.</summary>
    bool IsRegistered(int fd, ulong token);
}

/// <summary>Receives the readiness events a poller collects.</summary>
internal interface IReadinessSink
{
    /// <summary>The descriptor registered with <paramref name="token"/> became readable and/or writable (errors and
    /// hang-ups count as both, so that waiters retry and see them); <paramref name="hungUp"/> when the peer closed its
    /// side or the socket failed.</summary>
    void OnReady(ulong token, bool readable, bool writable, bool hungUp);
}
