using System.Diagnostics.CodeAnalysis;
using System.Reflection;
using System.Runtime.CompilerServices;

namespace Co.Hook.Managed.Engine;

/// <summary>
/// A detour of a managed method: calls to <see cref="Target"/>, from callers compiled before or after, run the
/// replacement, which reaches the original code through <see cref="Original"/> — the native detour engine's
/// relocated-prologue trampoline (one engine, two front ends: here the "function" is the method's current code).
/// </summary>
/// <remarks>
/// Install order, each step closing a way the detour could be lost: (1) the target's no-inlining bit, so callers
/// compiled from now on call it rather than copy it; (2) code made to exist (PrepareMethod — before the guard, which
/// would refuse that first compile); (3) the JIT guard, so no later tier replaces the code we patch; (4) the current
/// code located through the precode and the jump written into it; (5) the code located again — if a re-compile landed
/// meanwhile the patch went into dead code: undo and retry.
/// The replacement must be a static method whose parameters are the target's (the instance first, for an instance
/// method), so both are called with the same registers.
/// </remarks>
internal sealed class ManagedDetour : IDisposable
{
    private const int Attempts = 3;

    private readonly NativeDetour _native;

    private ManagedDetour(MethodInfo target, NativeDetour native)
    {
        Target = target;
        _native = native;
    }

    /// <summary>The detoured method.</summary>
    public MethodInfo Target { get; }

    /// <summary>Entry point of the original code, to call through a managed function pointer of the target's
    /// signature (the instance first).</summary>
    public nint Original => _native.Original;

    /// <summary>Detours <paramref name="target"/> to <paramref name="replacement"/>, or says why not (changing nothing
    /// but the target's no-inlining bit and guard). <paramref name="publishOriginal"/> receives the original's entry
    /// point before the jump is written, so the replacement never runs without it.</summary>
    public static bool TryInstall(MethodInfo target, MethodInfo replacement, Action<nint> publishOriginal, [NotNullWhen(true)] out ManagedDetour? detour, [NotNullWhen(false)] out string? reason)
    {
        detour = null;
        if (target.IsGenericMethodDefinition || target.DeclaringType?.IsGenericType == true || target.IsAbstract || (target.IsVirtual && !target.IsFinal))
        {
            reason = "only non-generic, non-virtual methods can be detoured";
            return false;
        }

        if (!JitGuard.EnsureInstalled(out reason))
        {
            reason ??= "the JIT guard could not be installed";
            return false;
        }

        MethodDescFlags.SetNoInlining(target);
        RuntimeHelpers.PrepareMethod(target.MethodHandle); // code must exist before the guard refuses compiles of it
        if (!JitGuard.Guard(target))
        {
            reason = "the JIT guard's table is full";
            return false;
        }

        RuntimeHelpers.PrepareMethod(replacement.MethodHandle);
        nint replacementEntry = replacement.MethodHandle.GetFunctionPointer();
        for (int attempt = 0; attempt < Attempts; attempt++)
        {
            if (CodeLocator.CurrentCode(target, out reason) is not { } code)
            {
                break;
            }

            if (!NativeDetour.TryInstall(code, replacementEntry, publishOriginal, out NativeDetour? native, out reason))
            {
                break;
            }

            if (CodeLocator.CurrentCode(target, out _) == code)
            {
                detour = new ManagedDetour(target, native);
                return true;
            }

            native.Dispose(); // the method got new code meanwhile: patch that instead
            reason = "the method's code kept changing while it was being patched";
        }

        JitGuard.Release(target);
        reason ??= "the method's code could not be patched";
        return false;
    }

    /// <summary>Takes the detour out: the original code's bytes are written back. The method stays guarded against
    /// re-compiles, so a later install patches the same code again and reuses its trampoline (its tier does not matter
    /// next to the socket call it makes).</summary>
    public void Dispose() => _native.Dispose();
}
