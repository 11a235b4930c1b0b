using Co.Diagnostics;

namespace Co.Scheduling;

/// <summary>
/// Routes a rescued coroutine's report: into the bypass report (<see cref="BlockingSites"/>) at once, and to
/// <see cref="Coroutine.SchedulerBlocked"/> on a thread-pool thread. The event's handlers are user code: run on the
/// rejoining scheduler thread, they could wait, touch the scheduler or take a hooked call at a point where that thread
/// is neither a coroutine nor its scheduler's holder. A failing handler is ignored, like a missing one.
/// </summary>
internal static class BlockedReports
{
    internal static event EventHandler<SchedulerBlockedEventArgs>? Raised;

    internal static void Report(SchedulerBlockedEventArgs report)
    {
        BlockingSites.Add(report);
        if (Raised is not null)
        {
            ThreadPool.UnsafeQueueUserWorkItem(Raise, report, preferLocal: false);
        }
    }

    private static void Raise(SchedulerBlockedEventArgs report)
    {
        try
        {
            Raised?.Invoke(null, report);
        }
        catch (Exception)
        {
            // A diagnostics handler must not take the process down.
        }
    }
}
