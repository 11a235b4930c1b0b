using System.Reflection;

namespace Co.Hook.Managed.Engine;

/// <summary>
/// The one bit of CoreCLR's MethodDesc the managed detours write: "never inline this method" (mdcNotInline). A caller
/// compiled after the bit is set calls the target through its entry point — which the detour patches — instead of
/// copying the target's body into itself, where no detour could reach it (the BCL's tier-1 code inlines even
/// 250-byte Socket methods into NetworkStream.Read).
/// </summary>
/// <remarks>
/// Invariant (CoreCLR 10, x64): <c>MethodDesc::m_wFlags</c> is the 16-bit field at offset 6, and mdcNotInline is its
/// bit 0x2000. <see cref="LayoutIsKnown"/> checks this on methods whose inlining attribute is known (Thread.Sleep(int)
/// is declared NoInlining, Math.Max(int, int) is not) before anything is written; the write is a compare-and-swap of
/// the aligned 32-bit word at offset 4, so a concurrent update of the neighbouring 16 bits by the runtime is not lost.
/// </remarks>
internal static unsafe class MethodDescFlags
{
    private const int WordOffset = 4;
    private const uint NotInline = 0x2000u << 16;

    /// <summary>Whether the layout assumption holds on this runtime.</summary>
    public static bool LayoutIsKnown(out string? reason)
    {
        reason = null;
        MethodInfo? declaredNoInlining = typeof(Thread).GetMethod(nameof(Thread.Sleep), [typeof(int)]);
        MethodInfo? inlinable = typeof(Math).GetMethod(nameof(Math.Max), [typeof(int), typeof(int)]);
        if (declaredNoInlining is null || inlinable is null ||
            (declaredNoInlining.MethodImplementationFlags & MethodImplAttributes.NoInlining) == 0)
        {
            reason = "the probe methods of the MethodDesc layout check are missing or changed";
            return false;
        }

        if (!IsNoInlining(declaredNoInlining) || IsNoInlining(inlinable))
        {
            reason = "the MethodDesc flags are not where CoreCLR 10 keeps them";
            return false;
        }

        return true;
    }

    /// <summary>Whether <paramref name="method"/>'s no-inlining bit is set.</summary>
    public static bool IsNoInlining(MethodBase method) =>
        (Volatile.Read(ref *(uint*)(method.MethodHandle.Value + WordOffset)) & NotInline) != 0;

    /// <summary>Sets <paramref name="method"/>'s no-inlining bit (callers compiled from now on will call it).</summary>
    public static void SetNoInlining(MethodBase method)
    {
        uint* word = (uint*)(method.MethodHandle.Value + WordOffset);
        while (true)
        {
            uint current = Volatile.Read(ref *word);
            if ((current & NotInline) != 0 || Interlocked.CompareExchange(ref *word, current | NotInline, current) == current)
            {
                return;
            }
        }
    }
}
