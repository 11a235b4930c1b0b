using System.Diagnostics;

namespace Co.Scheduling;

/// <summary>The monotonic clock of timers and timeouts: Stopwatch ticks (nanoseconds on Linux).</summary>
internal static class Clock
{
    private static readonly long TicksPerMs = Stopwatch.Frequency / 1000;

    public static long Now => Stopwatch.GetTimestamp();

    public static long DeadlineAfter(int timeoutMs) => Stopwatch.GetTimestamp() + timeoutMs * TicksPerMs;

    /// <summary>Milliseconds from now until <paramref name="deadline"/>, rounded up so a wait never returns early;
    /// 0 if it has passed, -1 for <see cref="long.MaxValue"/> (no deadline).</summary>
    public static int MsUntil(long deadline)
    {
        if (deadline == long.MaxValue)
        {
            return -1;
        }

        long remaining = deadline - Stopwatch.GetTimestamp();
        if (remaining <= 0)
        {
            return 0;
        }

        long ms = (remaining + TicksPerMs - 1) / TicksPerMs;
        return ms > int.MaxValue ? int.MaxValue : (int)ms;
    }
}
