using System.Globalization;

namespace Co.Hook.Gates;

/// <summary>
/// The address ranges of the runtime's own native modules (libcoreclr, libclrjit, libclrgc, libSystem.Native) and of
/// libc and the dynamic loader, read once from <c>/proc/self/maps</c>. The sleep family's gates divert only calls
/// whose return address lies outside them: the runtime sleeps on user threads for its own reasons (GC and spin-lock
/// back-off), and libc's functions call each other (usleep → nanosleep → clock_nanosleep); none of those may park a
/// coroutine.
/// </summary>
internal static class RuntimeModules
{
    private static readonly string[] s_names =
    [
        "libcoreclr.so", "libclrjit.so", "libclrgc.so", "libSystem.Native.so", "libc.so.6", "ld-linux-x86-64.so.2",
    ];

    /// <summary>One [start, end) range per loaded module of the list (its lowest to its highest mapping).</summary>
    public static List<(ulong Start, ulong End)> Ranges()
    {
        var ranges = new Dictionary<string, (ulong Start, ulong End)>();
        foreach (string line in File.ReadLines("/proc/self/maps"))
        {
            string? name = s_names.FirstOrDefault(n => line.EndsWith("/" + n, StringComparison.Ordinal));
            int dash = line.IndexOf('-');
            int space = line.IndexOf(' ');
            if (name is null || dash <= 0 || space <= dash
                || !ulong.TryParse(line.AsSpan(0, dash), NumberStyles.HexNumber, CultureInfo.InvariantCulture, out ulong start)
                || !ulong.TryParse(line.AsSpan(dash + 1, space - dash - 1), NumberStyles.HexNumber, CultureInfo.InvariantCulture, out ulong end))
            {
                continue;
            }

            ranges[name] = ranges.TryGetValue(name, out var known) ? (Math.Min(known.Start, start), Math.Max(known.End, end)) : (start, end);
        }

        return ranges.Values.ToList();
    }
}
