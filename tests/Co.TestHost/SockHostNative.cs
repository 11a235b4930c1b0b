namespace Co.TestHost;

/// <summary>RLIMIT_NOFILE for the sock-clients (raised) and descriptor-limit (lowered) scenarios.</summary>
internal static unsafe partial class SockHostNative
{
    private const int RlimitNofile = 7;

    [System.Runtime.InteropServices.StructLayout(System.Runtime.InteropServices.LayoutKind.Sequential)]
    private struct RLimit
    {
        public ulong Cur;
        public ulong Max;
    }

    [System.Runtime.InteropServices.LibraryImport("libc", EntryPoint = "getrlimit", SetLastError = true)]
    private static partial int GetRLimit(int resource, RLimit* limit);

    [System.Runtime.InteropServices.LibraryImport("libc", EntryPoint = "setrlimit", SetLastError = true)]
    private static partial int SetRLimit(int resource, RLimit* limit);

    /// <summary>Raises the soft limit to at least <paramref name="needed"/> (up to the hard limit); returns it.</summary>
    public static long EnsureFdLimit(long needed)
    {
        RLimit limit;
        if (GetRLimit(RlimitNofile, &limit) != 0) return -1;
        if (limit.Cur < (ulong)needed)
        {
            RLimit raised = limit;
            raised.Cur = Math.Min((ulong)needed, limit.Max);
            if (SetRLimit(RlimitNofile, &raised) == 0) limit = raised;
        }
        return limit.Cur > long.MaxValue ? long.MaxValue : (long)limit.Cur;
    }

    /// <summary>Lowers the soft limit to <paramref name="limit"/>; returns the soft limit now in force.</summary>
    public static long LowerFdLimit(long limit)
    {
        RLimit current;
        if (GetRLimit(RlimitNofile, &current) != 0) return -1;
        RLimit lowered = current;
        lowered.Cur = Math.Min((ulong)limit, current.Cur);
        if (SetRLimit(RlimitNofile, &lowered) == 0) current = lowered;
        return current.Cur > long.MaxValue ? long.MaxValue : (long)current.Cur;
    }

    /// <summary>The highest open descriptor number plus one (new descriptors take the lowest free numbers, and the
    /// limit bounds the numbers, not the count).</summary>
    public static long OpenFdCeiling() =>
        Directory.EnumerateFiles("/proc/self/fd").Select(path => long.TryParse(Path.GetFileName(path), out long fd) ? fd : -1).Max() + 1;
}
