using Co.Hook.Detours;

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
        foreach ((long start, long end, _, string path) in NearMemory.Mappings())
        {
            string? name = s_names.FirstOrDefault(n => path.EndsWith("/" + n, StringComparison.Ordinal));
            if (name is null)
            {
                continue;
            }

            ranges[name] = ranges.TryGetValue(name, out var known)
                ? (Math.Min(known.Start, (ulong)start), Math.Max(known.End, (ulong)end))
                : ((ulong)start, (ulong)end);
        }

        return ranges.Values.ToList();
    }
}
