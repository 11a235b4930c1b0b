namespace Co.Scheduling;

/// <summary>Routes a rescued coroutine's report to <see cref="Coroutine.SchedulerBlocked"/>. Never throws into the
/// scheduler: a failing handler is ignored, like a missing one.</summary>
internal static class BlockedReports
{
    internal static event EventHandler<SchedulerBlockedEventArgs>? Raised;

    internal static void Report(SchedulerBlockedEventArgs report)
    {
        try
        {
            Raised?.Invoke(null, report);
        }
        catch (Exception)
        {
            // A diagnostics handler must not take the scheduler down.
        }
    }
}
