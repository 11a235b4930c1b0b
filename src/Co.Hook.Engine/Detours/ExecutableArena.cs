namespace Co.Hook.Detours;

/// <summary>
/// Bump allocation of small blocks of executable memory (trampolines, jump stubs) near their targets. Blocks are never
/// freed: after an uninstall another thread may still be executing inside a trampoline, and they are tens of bytes.
/// Thread-safe.
/// </summary>
internal static class ExecutableArena
{
    private const int ArenaSize = 64 * 1024;
    private const long Reach = int.MaxValue - (1L << 20);

    private static readonly Lock s_lock = new();
    private static readonly List<Arena> s_arenas = [];

    /// <summary>Bytes handed out so far, over all arenas (for leak tests: repeated installs must not grow it).</summary>
    public static long BytesAllocated
    {
        get
        {
            lock (s_lock)
            {
                return s_arenas.Sum(arena => (long)arena.Used);
            }
        }
    }

    /// <summary>A block of <paramref name="length"/> bytes within rel32 reach of <paramref name="near"/>, 16-byte aligned.</summary>
    public static nint? Allocate(nint near, int length, out string? reason)
    {
        lock (s_lock)
        {
            foreach (Arena arena in s_arenas)
            {
                if (Math.Abs((long)arena.Base - (long)near) < Reach - ArenaSize && arena.TryTake(length, out nint block))
                {
                    reason = null;
                    return block;
                }
            }

            if (NearMemory.AllocateNear(near, ArenaSize, out reason) is not { } memory)
            {
                return null;
            }

            var fresh = new Arena(memory);
            s_arenas.Add(fresh);
            fresh.TryTake(length, out nint first);
            return first;
        }
    }

    /// <summary>A block of <paramref name="length"/> bytes anywhere, 16-byte aligned: for code reached only through
    /// absolute addresses. Any arena with room will do; else a new one is mapped wherever the kernel likes.</summary>
    public static nint? AllocateAnywhere(int length, out string? reason)
    {
        lock (s_lock)
        {
            foreach (Arena arena in s_arenas)
            {
                if (arena.TryTake(length, out nint block))
                {
                    reason = null;
                    return block;
                }
            }

            if (NearMemory.AllocateAnywhere(ArenaSize, out reason) is not { } memory)
            {
                return null;
            }

            var fresh = new Arena(memory);
            s_arenas.Add(fresh);
            fresh.TryTake(length, out nint first);
            return first;
        }
    }

    private sealed class Arena(nint baseAddress)
    {
        public nint Base { get; } = baseAddress;

        public int Used { get; private set; }

        public bool TryTake(int length, out nint block)
        {
            int aligned = (length + 15) & ~15;
            if (Used + aligned > ArenaSize)
            {
                block = 0;
                return false;
            }

            block = Base + Used;
            Used += aligned;
            return true;
        }
    }
}
