using System.Diagnostics.CodeAnalysis;
using System.Reflection;
using System.Runtime.CompilerServices;

namespace Co.Hook.Managed.Engine;

/// <summary>
/// The install-time self-test of the managed detour engine: a method of this assembly is detoured, called (the
/// replacement must run and reach the original through the trampoline), and restored (the original must run again).
/// Only if all of that holds on this runtime are the real targets patched.
/// </summary>
/// <remarks>The engine may refuse a candidate for its surroundings rather than for anything about this runtime: it scans
/// a kilobyte past the prologue for branches into it, and past a method this small lie other methods and their code
/// headers, whose bytes can decode as such a branch. A refusal is safe (nothing was written), so the next candidate —
/// compiled at another place — is tried; a candidate that installs but misbehaves fails the test at once.</remarks>
internal static unsafe class Canary
{
    private const int Candidates = 3;

    private static delegate*<int, int> s_original;

    /// <summary>Whether a canary detour behaved; otherwise why not.</summary>
    public static bool Passes([NotNullWhen(false)] out string? reason)
    {
        reason = "no canary candidate";
        for (int candidate = 0; candidate < Candidates; candidate++)
        {
            if (TryCandidate(candidate, out bool installed, out reason))
            {
                return true;
            }

            if (installed)
            {
                return false; // detoured, but wrong: the engine does not work on this runtime
            }
        }

        return false;
    }

    /// <summary>Detours candidate <paramref name="candidate"/>, checks the four calls, restores it.</summary>
    private static bool TryCandidate(int candidate, out bool installed, [NotNullWhen(false)] out string? reason)
    {
        MethodInfo target = typeof(Canary).GetMethod("Target" + candidate, BindingFlags.Static | BindingFlags.NonPublic)!;
        MethodInfo replacement = typeof(Canary).GetMethod(nameof(Replacement), BindingFlags.Static | BindingFlags.NonPublic)!;
        int before = Call(candidate, 7);
        installed = false;
        if (!ManagedDetour.TryInstall(target, replacement, original => s_original = (delegate*<int, int>)original, out ManagedDetour? detour, out reason))
        {
            return false;
        }

        installed = true;
        int detoured = Call(candidate, 7);
        int original = s_original(7);
        detour.Dispose();
        int after = Call(candidate, 7);
        if ((before, detoured, original, after) == (22, 1022, 22, 22))
        {
            reason = null;
            return true;
        }

        reason = $"expected 22, 1022, 22, 22 (before, detoured, original, after); got {before}, {detoured}, {original}, {after}";
        return false;
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static int Call(int candidate, int value) => candidate switch
    {
        0 => Target0(value),
        1 => Target1(value),
        _ => Target2(value),
    };

    // Compiled once, optimized (never tiered, no call counting, no OSR), so the canary meets stable code.
    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static int Target0(int value) => (value * 3) + 1;

    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static int Target1(int value) => (value * 3) + 1;

    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static int Target2(int value) => (value * 3) + 1;

    private static int Replacement(int value) => s_original(value) + 1000;
}
