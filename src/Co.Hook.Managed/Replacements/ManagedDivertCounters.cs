namespace Co.Hook.Managed.Replacements;

/// <summary>How many calls the managed replacements diverted into coroutine waits, per detoured method and in all
/// (for tests and diagnostics: a detour that tiering dropped shows up as a count that stops growing; the meter "Co"
/// publishes the per-method counts as co.hooks.diverted).</summary>
internal static class ManagedDivertCounters
{
    private static readonly long[] s_counts = new long[Enum.GetValues<ManagedHookId>().Length];
    private static long s_total;

    /// <summary>Diverted calls so far, all methods.</summary>
    public static long Count => Interlocked.Read(ref s_total);

    /// <summary>Diverted calls of <paramref name="hook"/> so far.</summary>
    public static long CountOf(ManagedHookId hook) => Interlocked.Read(ref s_counts[(int)hook]);

    /// <summary>Counts one diverted call of <paramref name="hook"/>.</summary>
    public static void Record(ManagedHookId hook)
    {
        Interlocked.Increment(ref s_counts[(int)hook]);
        Interlocked.Increment(ref s_total);
    }
}
