using System.Runtime.InteropServices;

namespace Co.Hook.Gates;

/// <summary>
/// One bit per descriptor number: set while the descriptor is a socket the hook layer knows of. The gates of
/// read, write, readv, writev and close test it natively before anything else, so that the runtime's own calls on
/// files, pipes and eventfds (which it makes on every thread, in modes where entering managed code would abort the
/// process) always go straight to libc.
/// </summary>
/// <remarks>
/// <para>Who writes the bits: the gates of socket, socketpair, accept, accept4, dup, dup2 and dup3 set them natively
/// after the original call succeeds, on any thread (no managed code); the gate of close clears its bit before the
/// call; the accept handlers set theirs (their originals are called past the gate); <see cref="Rebuild"/> marks the
/// sockets already open when the hooks are enabled.</para>
/// <para>Invariant of the memory: allocated once, zeroed, never freed or moved (gates hold its address as an
/// immediate), <see cref="Capacity"/> bits long; every access is bounds-checked against Capacity first (the gates
/// compare unsigned, so negative descriptors fail the check); every write is an atomic read-modify-write of one
/// 32-bit word (<c>lock bts</c>/<c>lock btr</c> in the gates, <see cref="Interlocked"/> here), so concurrent updates of
/// neighbouring descriptors never lose each other.</para>
/// <para>A bit can go stale only when a socket is closed past libc's close (close_range, a raw syscall) and its number
/// is reused by a file; the handlers then meet ENOTSOCK, clear the bit and call the original.</para>
/// </remarks>
internal static unsafe partial class SocketBitmap
{
    private const int RlimitNofile = 7;

    /// <summary>Descriptors at or above this number are never tracked (their calls are never diverted).</summary>
    public static readonly int Capacity = ChooseCapacity();

    /// <summary>The bitmap's address, for the gates.</summary>
    public static readonly nint Address = (nint)NativeMemory.AllocZeroed((nuint)(Capacity / 8));

    private static int* Words => (int*)Address;

    /// <summary>Whether <paramref name="fd"/> is a tracked socket.</summary>
    public static bool IsTracked(int fd) =>
        (uint)fd < (uint)Capacity && (Volatile.Read(ref Words[fd >> 5]) & (1 << (fd & 31))) != 0;

    /// <summary>Marks <paramref name="fd"/> as a socket.</summary>
    public static void Track(int fd)
    {
        if ((uint)fd < (uint)Capacity)
        {
            Interlocked.Or(ref Words[fd >> 5], 1 << (fd & 31));
        }
    }

    /// <summary>Forgets <paramref name="fd"/>.</summary>
    public static void Untrack(int fd)
    {
        if ((uint)fd < (uint)Capacity)
        {
            Interlocked.And(ref Words[fd >> 5], ~(1 << (fd & 31)));
        }
    }

    /// <summary>Clears every bit, then marks the sockets open now (from <c>/proc/self/fd</c>): enabling the hooks
    /// after sockets exist, or again after they were disabled, starts from the truth.</summary>
    public static void Rebuild()
    {
        NativeMemory.Clear((void*)Address, (nuint)(Capacity / 8));
        foreach (string entry in Directory.EnumerateFileSystemEntries("/proc/self/fd"))
        {
            if (int.TryParse(Path.GetFileName(entry), out int fd) && IsSocketLink(entry))
            {
                Track(fd);
            }
        }
    }

    private static bool IsSocketLink(string entry)
    {
        try
        {
            return new FileInfo(entry).LinkTarget?.StartsWith("socket:", StringComparison.Ordinal) == true;
        }
        catch (IOException)
        {
            return false; // closed while we looked
        }
        catch (UnauthorizedAccessException)
        {
            return false;
        }
    }

    /// <summary>The process's descriptor limit (RLIMIT_NOFILE, hard), rounded up to whole words, between 64 Ki and
    /// 4 Mi descriptors (8 KiB to 512 KiB of bitmap).</summary>
    private static int ChooseCapacity()
    {
        long limit = 1 << 16;
        long* rlimit = stackalloc long[2];
        if (GetRLimit(RlimitNofile, rlimit) == 0)
        {
            limit = Math.Max(limit, rlimit[1]);
        }

        limit = Math.Min(limit, 1 << 22);
        return (int)((limit + 31) & ~31L);
    }

    [LibraryImport("libc", EntryPoint = "getrlimit")]
    private static partial int GetRLimit(int resource, long* rlimit);
}
