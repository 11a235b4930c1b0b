namespace Co.Platform;

/// <summary>
/// What a scheduler's loop blocks in when it has nothing to run: wait until the nearest timer, a cross-thread wake-up,
/// or I/O readiness of a registered descriptor. One instance per scheduler; <see cref="Wait"/> is called only by the
/// thread holding that scheduler's baton, <see cref="PollOnBehalf"/> only by the readiness monitor's thread,
/// <see cref="Wake"/> and <see cref="Register"/> by any thread.
/// </summary>
/// <remarks>
/// <para>Contract: descriptors are registered once, for read and write readiness, and a readiness event means "became
/// ready since the last event", so waiters always try the operation first and wait only after EAGAIN (WSAEWOULDBLOCK).
/// Two kinds of poller meet it. An edge-triggered one (epoll; kqueue with EV_CLEAR would be a third) reports every
/// edge of a registered descriptor by itself. A request-driven one (IOCP: readiness is an AFD poll request that
/// completes on the port once) reports only what was asked for: its registration (<see cref="IPollRegistration"/>) is
/// armed for a direction each time a waiter links itself and none is armed yet, and the request completes at once when
/// the descriptor is ready already — so an edge that came between the EAGAIN and the wait is never lost either way.
/// Events go to the <see cref="IReadinessSink"/> given at construction, on the thread that collected them. A closed
/// descriptor leaves the poller by itself.</para>
/// <para>A registration never moves to another poller: its readiness is reported on the registering scheduler's
/// poller for the descriptor's life. When the holder runs one long item and does not poll, the readiness monitor polls for it
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
    /// level-triggered and not drained here; IOCP posts a dequeued wake packet again). Returns how many readiness
    /// events it delivered.</summary>
    int PollOnBehalf();

    /// <summary>Makes the current or next <see cref="Wait"/> return promptly. Safe from any thread; wake-ups may coalesce.</summary>
    void Wake();

    /// <summary>Registers <paramref name="fd"/> for read and write readiness, reported with <paramref name="token"/>.
    /// Returns 0, or the error code of the failure (EPERM: the descriptor cannot be polled, e.g. a regular file, which
    /// is always ready; WSAENOTSOCK: not a socket). <paramref name="registration"/> is what a request-driven poller
    /// must be told of each wait (null for an edge-triggered one, which needs nothing more).</summary>
    int Register(int fd, ulong token, out IPollRegistration? registration);

    /// <summary>Whether <paramref name="fd"/> is still registered (re-asserting <paramref name="token"/>); false once
    /// the descriptor was closed, which removed it. epoll's check writes <paramref name="token"/> onto whatever socket
    /// the number holds now if that one is registered, so the caller must know the token is that registration's own
    /// (the descriptor table calls it under its lock); IOCP's only asks whether the handle is still a socket.</summary>
    bool IsRegistered(int fd, ulong token);
}

/// <summary>
/// One descriptor's registration with a request-driven poller (IOCP): readiness is reported only for a direction that
/// was armed, once per arming. Called by <see cref="Net.PollDescriptor"/>, from any thread.
/// </summary>
internal interface IPollRegistration
{
    /// <summary>A waiter for <paramref name="read"/> (else write) readiness has just linked itself: request the next
    /// readiness of that direction unless a request is outstanding already. A request made while the descriptor is
    /// ready completes at once.</summary>
    void Arm(bool read);

    /// <summary>The descriptor was forgotten (closed): arm nothing more, and free what the registration holds once
    /// every outstanding request has completed (closing the socket completes them).</summary>
    void Release();
}

/// <summary>Receives the readiness events a poller collects.</summary>
internal interface IReadinessSink
{
    /// <summary>The descriptor registered with <paramref name="token"/> became readable and/or writable (errors and
    /// hang-ups count as both, so that waiters retry and see them); <paramref name="hungUp"/> when the peer closed its
    /// side or the socket failed.</summary>
    void OnReady(ulong token, bool readable, bool writable, bool hungUp);
}
