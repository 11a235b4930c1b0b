namespace Co.TestHost;

/// <summary>RLIMIT_NOFILE for the sock-clients scenario.</summary>
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
}
