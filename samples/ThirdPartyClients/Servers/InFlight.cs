namespace ThirdPartyClients.Servers;

/// <summary>
/// Counts requests that are being served right now and remembers the most there ever were at once: the demo's measure
/// of achieved concurrency. Serial clients can never push it past 1, however fast they are, so it tells "overlapped"
/// from "merely quick" where elapsed time alone could not.
/// </summary>
/// <remarks>Thread-safe: the TLS server updates it from thread-pool threads, the coroutine servers from their
/// scheduler, and the PostgreSQL clients (whose server we cannot instrument) from the client side.</remarks>
internal sealed class InFlight
{
    private int _current;
    private int _max;

    /// <summary>The most requests held at once since the last <see cref="Reset"/>.</summary>
    public int Max => Volatile.Read(ref _max);

    /// <summary>A request started being served.</summary>
    public void Enter()
    {
        int now = Interlocked.Increment(ref _current);
        int max;
        while (now > (max = Volatile.Read(ref _max)) && Interlocked.CompareExchange(ref _max, now, max) != max)
        {
        }
    }

    /// <summary>That request was answered.</summary>
    public void Exit() => Interlocked.Decrement(ref _current);

    /// <summary>Forgets the maximum (after a warm-up, so the timed run starts from zero).</summary>
    public void Reset() => Volatile.Write(ref _max, 0);
}
