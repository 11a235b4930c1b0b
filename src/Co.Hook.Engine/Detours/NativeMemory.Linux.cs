using System.Globalization;
using System.Runtime.InteropServices;

namespace Co.Hook.Detours;

/// <summary>
/// Executable memory within ±2 GiB of a target, so that a 5-byte <c>jmp rel32</c> at the target reaches it, and the
/// page-protection changes that patching needs. Linux only: gaps are found in <c>/proc/self/maps</c> and taken with
/// <c>mmap(MAP_FIXED_NOREPLACE)</c>, which fails rather than replace anything mapped there meanwhile.
/// </summary>
internal static unsafe partial class NearMemory
{
    private const int ProtRead = 1;
    private const int ProtWrite = 2;
    private const int ProtExec = 4;
    private const int MapPrivate = 0x02;
    private const int MapAnonymous = 0x20;
    private const int MapFixedNoReplace = 0x100000;
    private const long Reach = int.MaxValue - (1L << 20); // stay a MiB inside rel32 range
    private const long Granularity = 64 * 1024;

    public const int PageSize = 4096;

    [LibraryImport("libc", EntryPoint = "mmap", SetLastError = true)]
    private static partial nint Mmap(nint address, nint length, int protection, int flags, int fd, nint offset);

    [LibraryImport("libc", EntryPoint = "mprotect", SetLastError = true)]
    private static partial int Mprotect(nint address, nint length, int protection);

    /// <summary>Maps <paramref name="length"/> bytes of read-write-execute memory wherever the kernel likes: for code
    /// reached only through absolute addresses (a gate installed by swapping a pointer).</summary>
    public static nint? AllocateAnywhere(int length, out string? reason)
    {
        long size = (length + Granularity - 1) / Granularity * Granularity;
        nint mapped = Mmap(0, (nint)size, ProtRead | ProtWrite | ProtExec, MapPrivate | MapAnonymous, -1, 0);
        reason = mapped == -1 ? $"mmap of {size / 1024} KiB failed (errno {Marshal.GetLastPInvokeError()})" : null;
        return mapped == -1 ? null : mapped;
    }

    /// <summary>Maps <paramref name="length"/> bytes of read-write-execute memory within reach of
    /// <paramref name="target"/>; null (with the reason) when no gap is free.</summary>
    /// <remarks>RWX because a trampoline is written once and then only executed, and the arena must never lose X while
    /// another thread might run code in it.</remarks>
    public static nint? AllocateNear(nint target, int length, out string? reason)
    {
        long size = (length + Granularity - 1) / Granularity * Granularity;
        foreach ((long gapStart, long gapEnd) in Gaps())
        {
            foreach (long candidate in CandidatesIn(gapStart, gapEnd, size, target))
            {
                nint mapped = Mmap((nint)candidate, (nint)size, ProtRead | ProtWrite | ProtExec, MapPrivate | MapAnonymous | MapFixedNoReplace, -1, 0);
                if (mapped != -1 && mapped == (nint)candidate)
                {
                    reason = null;
                    return mapped;
                }
            }
        }

        reason = $"no free {size / 1024} KiB gap within ±2 GiB of 0x{target:x}";
        return null;
    }

    /// <summary>PROT_WRITE, for adding write permission to a protection read with <see cref="ProtectionOf"/>.</summary>
    public const int Writable = ProtWrite;

    /// <summary>The protection (PROT_READ | PROT_WRITE | PROT_EXEC bits) of the mapping that holds
    /// <paramref name="address"/>, or -1 when nothing is mapped there.</summary>
    public static int ProtectionOf(nint address)
    {
        foreach ((long start, long end, int protection, _) in Mappings())
        {
            if ((long)address >= start && (long)address < end)
            {
                return protection;
            }
        }

        return -1;
    }

    /// <summary>Sets the protection of the pages holding [<paramref name="address"/>, +<paramref name="length"/>).</summary>
    public static bool SetProtection(nint address, int length, int protection)
    {
        nint first = address & ~(nint)(PageSize - 1);
        nint last = (address + length - 1) & ~(nint)(PageSize - 1);
        return Mprotect(first, last - first + PageSize, protection) == 0;
    }

    /// <summary>How many bytes from <paramref name="address"/> to the end of its mapping are readable without a fault
    /// (0 if it is not mapped).</summary>
    public static long ReadableBytesFrom(nint address)
    {
        foreach ((long start, long end, int protection, _) in Mappings())
        {
            if ((long)address >= start && (long)address < end)
            {
                return (protection & ProtRead) != 0 ? end - (long)address : 0;
            }
        }

        return 0;
    }

    private static IEnumerable<long> CandidatesIn(long gapStart, long gapEnd, long size, nint target)
    {
        long low = Math.Max(gapStart, (long)target - Reach);
        long high = Math.Min(gapEnd, (long)target + Reach) - size;
        if (high < low)
        {
            yield break;
        }

        // The aligned address closest to the target within the gap, from below and from above.
        long below = AlignDown(Math.Min(high, (long)target), Granularity);
        long above = AlignUp(Math.Max(low, (long)target), Granularity);
        if (below >= low)
        {
            yield return below;
        }

        if (above <= high && above != below)
        {
            yield return above;
        }
    }

    /// <summary>The process's mappings from <c>/proc/self/maps</c>, by address: start, end, protection (PROT_* bits),
    /// and the mapped file's path ("" for anonymous memory).</summary>
    public static List<(long Start, long End, int Protection, string Path)> Mappings()
    {
        var mapped = new List<(long Start, long End, int Protection, string Path)>();
        foreach (string line in File.ReadLines("/proc/self/maps"))
        {
            int dash = line.IndexOf('-');
            int space = line.IndexOf(' ');
            if (dash > 0 && space > dash && line.Length > space + 1
                && long.TryParse(line.AsSpan(0, dash), NumberStyles.HexNumber, CultureInfo.InvariantCulture, out long start)
                && long.TryParse(line.AsSpan(dash + 1, space - dash - 1), NumberStyles.HexNumber, CultureInfo.InvariantCulture, out long end))
            {
                int slash = line.IndexOf('/');
                mapped.Add((start, end, ProtectionIn(line.AsSpan(space + 1)), slash < 0 ? "" : line[slash..]));
            }
        }

        mapped.Sort();
        return mapped;
    }

    /// <summary>The PROT_* bits of a maps line's permission field ("r-xp", "rwxp", ...).</summary>
    private static int ProtectionIn(ReadOnlySpan<char> permissions) =>
        (permissions.Length > 0 && permissions[0] == 'r' ? ProtRead : 0)
        | (permissions.Length > 1 && permissions[1] == 'w' ? ProtWrite : 0)
        | (permissions.Length > 2 && permissions[2] == 'x' ? ProtExec : 0);

    private static List<(long Start, long End)> Gaps()
    {
        var gaps = new List<(long Start, long End)>();
        long previousEnd = Granularity; // never the zero page
        foreach ((long start, long end, _, _) in Mappings())
        {
            if (start > previousEnd)
            {
                gaps.Add((AlignUp(previousEnd, Granularity), start));
            }

            previousEnd = Math.Max(previousEnd, end);
        }

        return gaps;
    }

    private static long AlignDown(long value, long alignment) => value / alignment * alignment;

    private static long AlignUp(long value, long alignment) => (value + alignment - 1) / alignment * alignment;
}
