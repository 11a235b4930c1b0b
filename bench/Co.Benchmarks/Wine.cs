using System.Runtime.InteropServices;

namespace Co.Benchmarks;

/// <summary>Whether this Windows process runs under Wine, and which: Wine's ntdll exports wine_get_version, Windows'
/// does not. The table's header says "under Wine" so that nobody reads its figures as Windows figures.</summary>
internal static unsafe class Wine
{
    /// <summary>Wine's version ("8.0"), or null on Windows proper and on every other OS.</summary>
    public static readonly string? Version = Detect();

    private static string? Detect()
    {
        if (!OperatingSystem.IsWindows() || !NativeLibrary.TryLoad("ntdll.dll", out nint ntdll)) return null;
        if (!NativeLibrary.TryGetExport(ntdll, "wine_get_version", out nint export)) return null;
        return Marshal.PtrToStringUTF8((nint)((delegate* unmanaged<byte*>)export)()) ?? "?";
    }
}
