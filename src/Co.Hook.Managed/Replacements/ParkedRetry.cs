namespace Co.Hook.Managed.Replacements;

/// <summary>
/// Waiting for a thread primitive that has no coroutine-aware wait by trying it without waiting: each try is the
/// original call with a zero timeout on the coroutine's own thread (so ownership, exceptions and results are the
/// runtime's), and between tries the coroutine parks until a detoured signal names one of its handles
/// (<see cref="HandleWaiters"/>), an interrupt of its thread (<see cref="ParkedWaits"/>), or a pause of 1, 2, 4 … 50 ms
/// passes — the bound on how late it notices what no detour sees.
/// </summary>
internal static class ParkedRetry
{
    private const int LongestPauseMs = 50;

    /// <summary>Tries <paramref name="attempt"/> until it returns true (then true) or <paramref name="millisecondsTimeout"/>
    /// (or <see cref="Timeout.Infinite"/>) passes after a last try (then false). <paramref name="keys"/>: the OS handles
    /// whose signals end a park at once.</summary>
    public static bool Until(Func<bool> attempt, int millisecondsTimeout, nint[] keys)
    {
        // The runtime's clock (Stopwatch ticks): Environment.TickCount64 is coarse (a few ms on Linux), and a wait that
        // ends by it can return before its timeout has passed.
        long deadline = millisecondsTimeout == Timeout.Infinite ? long.MaxValue : Co.Scheduling.Clock.DeadlineAfter(millisecondsTimeout);
        ParkedWait park = ParkedWaits.Begin();
        HandleWaiters.Add(park, keys);
        try
        {
            int pauseMs = 1;
            while (true)
            {
                if (attempt())
                {
                    return true;
                }

                int remaining = Co.Scheduling.Clock.MsUntil(deadline); // rounded up; -1: no deadline
                if (remaining == 0)
                {
                    return false;
                }

                park.Park(remaining < 0 ? pauseMs : Math.Min(remaining, pauseMs));
                pauseMs = Math.Min(pauseMs * 2, LongestPauseMs);
            }
        }
        finally
        {
            HandleWaiters.Remove(park, keys);
            ParkedWaits.End(park);
        }
    }
}
