namespace Co.Platform;

/// <summary>
/// What a scheduler's loop blocks in when it has nothing to run: wait until the nearest timer, a cross-thread wake-up,
/// or I/O readiness of a registered descriptor. One instance per scheduler; <see cref="Wait"/> is called only by the
/// thread holding that scheduler's baton, <see cref="PollOnBehalf"/> only by the readiness monitor's thread,
/// <see cref="Wake"/> and <see cref="Register"/> by any thread.
/// </summary>
/// <remarks>
/// <para>Contract: descriptors are registered once, for read and write readiness, edge-triggered — a readiness event
/// means "became ready since the last event", so waiters always try the operation first and wait only after EAGAIN.
/// Events go to the <see cref="IReadinessSink"/> given at construction, on the thread that collected them. A closed
/// descriptor leaves the poller by itself. Only epoll is built; kqueue (EV_CLEAR) and IOCP implement the same
/// contract.</para>
/// <para>A registration never moves to another poller (an IOCP handle is bound to one completion port for life).
/// When the holder runs one long item and does not poll, the readiness monitor polls for it
/// (<see cref="PollOnBehalf"/>), possibly while the holder enters <see cref="Wait"/>: each event must reach exactly
/// one of the two callers (epoll: an edge-triggered event is reported once; IOCP: a completion packet is dequeued
/// once), and a wake-up meant for the holder must stay for the holder.</para>
/// </remarks>
internal interface IPoller : IDisposable
{
    /// <summary>Blocks until <see cref="Wake"/> is called, an event is ready, or <paramref name="timeoutMs"/> passes
    /// (-1: no limit, 0: just poll). Delivers ready events to the sink before returning.</summary>
    void Wait(int timeoutMs);

    /// <summary>Collects the ready events without blocking, from a thread that does not hold the scheduler's baton (the
    /// readiness monitor, one call at a time), and delivers them to the sink on that thread. Leaves a pending
    /// <see cref="Wake"/> in place for the holder's next <see cref="Wait"/> (epoll: the wake descriptor is
    /// level-triggered and not drained here; IOCP would post a dequeued wake packet again). Returns how many readiness
    /// events it delivered.</summary>
    int PollOnBehalf();

    /// <summary>Makes the current or next <see cref="Wait"/> return promptly. Safe from any thread; wake-ups may coalesce.</summary>
    void Wake();

    /// <summary>Registers <paramref name="fd"/> for edge-triggered read and write readiness, reported with
    /// <paramref name="token"/>. Returns 0, or the errno of the failure (EPERM: the descriptor cannot be polled,
    /// e.g. a regular file, which is always ready).</summary>
    int Register(int fd, ulong token);

    /// <summary>Whether <paramref name="fd"/> is still registered (re-asserting <paramref name="token"/>); false once
    /// the descriptor was closed, which removed it. Writes <paramref name="token"/> onto whatever socket the number
    /// holds now if that one is registered, so the caller must know the token is that registration's own (the
    /// descriptor table calls it under its lock).</summary>
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
