namespace Co.Hook.Managed.Replacements;

/// <summary>How many calls the managed replacements diverted into coroutine waits (for tests and diagnostics: a
/// detour that tiering dropped shows up as a count that stops growing).</summary>
internal static class Diversions
{
    private static long s_count;

    /// <summary>Diverted calls so far.</summary>
    public static long Count => Interlocked.Read(ref s_count);

    /// <summary>Counts one diverted call.</summary>
    public static void Record() => Interlocked.Increment(ref s_count);
}
