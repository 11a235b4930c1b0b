namespace Co.Scheduling;

/// <summary>
/// The blocked-scheduler monitor (DESIGN.md §2, "Blocking that no hook catches"): one background thread that looks at
/// every scheduler every half threshold and rescues one whose holder has run the same coroutine step for longer than
/// <see cref="CoroutineOptions.BlockedSchedulerThreshold"/> (see Scheduler.Monitor.cs for the hand-off and the window
/// it opens). A holder that sleeps in the poller or runs the loop is never touched: only coroutine code is.
/// </summary>
internal static class BlockedSchedulerMonitor
{
    /// <summary>Starts the monitor for <paramref name="schedulers"/> if <paramref name="threshold"/> is positive.</summary>
    public static void StartIfEnabled(Scheduler[] schedulers, TimeSpan threshold)
    {
        if (threshold <= TimeSpan.Zero)
        {
            return;
        }

        Scheduler.EnableMonitoring();
        CoroutineBase.TimingWaits = true;
        Diagnostics.BlockingSites.Collect();
        long thresholdMs = Math.Max((long)threshold.TotalMilliseconds, 1);
        int periodMs = (int)Math.Clamp(thresholdMs / 2, 1, 1000);
        var thread = new Thread(() => Watch(schedulers, thresholdMs, periodMs)) { IsBackground = true, Name = "Co blocked-scheduler monitor" };
        thread.UnsafeStart();
    }

    private static void Watch(Scheduler[] schedulers, long thresholdMs, int periodMs)
    {
        while (true)
        {
            Thread.Sleep(periodMs);
            long now = Environment.TickCount64;
            foreach (Scheduler scheduler in schedulers)
            {
                if (scheduler.Holder is { } holder &&
                    Volatile.Read(ref holder.BatonState) == Worker.InCoroutine &&
                    now - Volatile.Read(ref holder.CoroutineEnteredMs) >= thresholdMs)
                {
                    scheduler.TryRescue(holder);
                }
            }
        }
    }
}
