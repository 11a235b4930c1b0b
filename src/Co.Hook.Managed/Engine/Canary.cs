using System.Diagnostics.CodeAnalysis;
using System.Reflection;
using System.Runtime.CompilerServices;

namespace Co.Hook.Managed.Engine;

/// <summary>
/// The install-time self-test of the managed detour engine: a method of this assembly is detoured, called (the
/// replacement must run and reach the original through the trampoline), and restored (the original must run again).
/// Only if all of that holds on this runtime are the real targets patched.
/// </summary>
internal static unsafe class Canary
{
    private static delegate*<int, int> s_original;

    /// <summary>Whether the canary detour behaved; otherwise why not.</summary>
    public static bool Passes([NotNullWhen(false)] out string? reason)
    {
        MethodInfo target = typeof(Canary).GetMethod(nameof(Target), BindingFlags.Static | BindingFlags.NonPublic)!;
        MethodInfo replacement = typeof(Canary).GetMethod(nameof(Replacement), BindingFlags.Static | BindingFlags.NonPublic)!;
        int before = Call(7);
        if (!ManagedDetour.TryInstall(target, replacement, original => s_original = (delegate*<int, int>)original, out ManagedDetour? detour, out reason))
        {
            return false;
        }

        int detoured = Call(7);
        int original = s_original(7);
        detour.Dispose();
        int after = Call(7);
        reason = (before, detoured, original, after) == (22, 1022, 22, 22)
            ? null
            : $"expected 22, 1022, 22, 22 (before, detoured, original, after); got {before}, {detoured}, {original}, {after}";
        return reason is null;
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static int Call(int value) => Target(value);

    /// <summary>Compiled once, optimized (never tiered, no call counting, no OSR), so the canary meets stable code.</summary>
    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static int Target(int value) => (value * 3) + 1;

    private static int Replacement(int value) => s_original(value) + 1000;
}
