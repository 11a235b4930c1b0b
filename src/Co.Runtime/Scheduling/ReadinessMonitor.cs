namespace Co.Scheduling;

/// <summary>
/// The readiness monitor: one background thread that, once any socket is registered, looks at every scheduler every
/// <see cref="LookIntervalMs"/> and polls the poller of one whose holder has not polled since the last look (it runs
/// one long item: a coroutine that computes or blocks), as Go's sysmon polls the network when no P has for 10 ms.
/// Readiness therefore reaches a waiter on another scheduler within one to two look intervals whatever the
/// registering scheduler is doing (Scheduler.Readiness.cs states the protocol).
/// </summary>
/// <remarks>Independent of the blocked-scheduler monitor, which may be off (its threshold is zero, or the platform has
/// no reliable process-wide barrier) or use a longer period: readiness needs its own short cadence. A process that
/// never registers a socket pays for a thread parked on an event, and nothing per look.</remarks>
internal static class ReadinessMonitor
{
    /// <summary>How often the monitor looks: a poller whose holder is stalled is polled 10–20 ms after its last poll.</summary>
    internal const int LookIntervalMs = 10;

    private static readonly ManualResetEventSlim s_socketsInUse = new();
    private static Scheduler[] s_schedulers = [];

    /// <summary>Starts the monitor's thread for <paramref name="schedulers"/>; it looks only once a socket is in use.</summary>
    internal static void Start(Scheduler[] schedulers)
    {
        s_schedulers = schedulers;
        var thread = new Thread(Watch) { IsBackground = true, Name = "Co readiness monitor" };
        thread.UnsafeStart();
    }

    /// <summary>A descriptor was registered with a scheduler's poller (any thread; costs a read once set).</summary>
    internal static void NoteSocketsInUse()
    {
        if (!s_socketsInUse.IsSet)
        {
            s_socketsInUse.Set();
        }
    }

    private static void Watch()
    {
        s_socketsInUse.Wait();
        Scheduler[] schedulers = s_schedulers;
        var seenSequences = new long[schedulers.Length];
        while (true)
        {
            Thread.Sleep(LookIntervalMs);
            for (int i = 0; i < schedulers.Length; i++)
            {
                schedulers[i].PollIfHolderStalled(ref seenSequences[i]);
            }
        }
    }
}
