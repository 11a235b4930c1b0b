namespace Co.Platform;

/// <summary>
/// What a scheduler's loop blocks in when it has nothing to run: wait until the nearest timer, a cross-thread wake-up,
/// or (once sockets are registered) I/O readiness. One instance per scheduler, used only by the thread holding that
/// scheduler's baton, except <see cref="Wake"/>, which any thread may call.
/// </summary>
/// <remarks>Only epoll is built; kqueue and IOCP implement the same contract.</remarks>
internal interface IPoller : IDisposable
{
    /// <summary>Blocks until <see cref="Wake"/> is called, an event is ready, or <paramref name="timeoutMs"/> passes
    /// (-1: no limit, 0: just poll).</summary>
    void Wait(int timeoutMs);

    /// <summary>Makes the current or next <see cref="Wait"/> return promptly. Safe from any thread; wake-ups may coalesce.</summary>
    void Wake();
}
