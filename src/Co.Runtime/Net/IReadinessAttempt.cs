namespace Co.Net;

/// <summary>
/// One operation that the readiness loop (<see cref="ReadinessLoop"/>) drives: co's socket calls, the libc hook
/// handlers, the managed socket replacements, each as a small struct (or the pooled <see cref="IoOperation"/>) so the
/// loop is specialized for it and allocates nothing.
/// </summary>
internal interface IReadinessAttempt
{
    /// <summary>Makes one attempt that never blocks: done, would block, or failed (EINTR is the attempt's business:
    /// co's calls retry it inside, the hooked calls report it as the original did).</summary>
    IoResult Attempt();

    /// <summary>Asked after an attempt would have blocked: whether the caller wants to wait for readiness and attempt
    /// again (false: "would block" is the final answer, as for a socket the user made non-blocking).</summary>
    bool WaitsWhenBlocked();

    /// <summary>The deadline of the waits in Stopwatch ticks (long.MaxValue: none), asked before each wait of a
    /// synchronous call; the attempt computes it once.</summary>
    long Deadline();
}
