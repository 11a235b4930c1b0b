using System.Diagnostics.CodeAnalysis;
using System.Runtime.InteropServices;
using Co.Hook.Detours;

namespace Co.Hook;

/// <summary>
/// An inline detour of a native function (x64 Linux): calls to <see cref="Target"/> go to <see cref="Replacement"/>,
/// which can still call the function through <see cref="Original"/>.
/// </summary>
/// <remarks>
/// <para>How: the target's first instructions (at least 5 bytes) are decoded and re-encoded with Iced into a trampoline
/// allocated within ±2 GiB, followed by a jump back — that trampoline is <see cref="Original"/>. A stub next to it
/// jumps to the replacement (which may live anywhere). Then the target's first 5 bytes become <c>jmp stub</c>, written
/// as one atomic 8-byte store. Nothing is guessed: a prologue that cannot be moved safely is refused, with the reason.</para>
/// <para>Install detours early, before other threads call the target (see <see cref="Detours.CodePatcher"/>), and call
/// <see cref="Dispose"/> to take one out; the trampoline memory stays, as a thread may still be inside it.</para>
/// </remarks>
public sealed class NativeDetour : IDisposable
{
    /// <summary>Stub: <c>jmp qword [rip+0]</c> followed by the 8-byte absolute address.</summary>
    private const int StubLength = 14;
    private const int TrampolineCapacity = 64;

    /// <summary>Every block ever written, per target: reused by a later detour of that target with identical code.</summary>
    private static readonly Dictionary<nint, List<Site>> s_sites = [];

    private readonly byte[] _replacedBytes;
    private int _removed;

    private NativeDetour(nint target, nint replacement, nint original, byte[] replacedBytes)
    {
        Target = target;
        Replacement = replacement;
        Original = original;
        _replacedBytes = replacedBytes;
    }

    /// <summary>The detoured function.</summary>
    public nint Target { get; }

    /// <summary>Where calls to <see cref="Target"/> go.</summary>
    public nint Replacement { get; }

    /// <summary>A callable entry point of the original function (its relocated prologue, then the rest of it).</summary>
    public nint Original { get; }

    /// <summary>Whether the detour is still installed.</summary>
    public bool IsInstalled => Volatile.Read(ref _removed) == 0;

    /// <summary>Detours <paramref name="target"/> to <paramref name="replacement"/>.</summary>
    /// <exception cref="ArgumentException">A null pointer.</exception>
    /// <exception cref="NativeDetourException">The detour was refused; the message says why, and nothing was changed.</exception>
    public static NativeDetour Install(nint target, nint replacement) =>
        TryInstall(target, replacement, out NativeDetour? detour, out string? reason)
            ? detour
            : throw new NativeDetourException($"Cannot detour 0x{target:x}: {reason}");

    /// <summary>Detours <paramref name="target"/> to <paramref name="replacement"/>, or says why not (and changes nothing).</summary>
    /// <exception cref="ArgumentException">A null pointer.</exception>
    public static bool TryInstall(nint target, nint replacement, [NotNullWhen(true)] out NativeDetour? detour, [NotNullWhen(false)] out string? reason)
    {
        if (target == 0 || replacement == 0)
        {
            throw new ArgumentException("The target and the replacement must be non-null function pointers.");
        }

        return TryInstall(target, replacement, StubLength, (stub, _) => JumpStub(replacement), out detour, out reason);
    }

    /// <summary>As the public overload, calling <paramref name="publishOriginal"/> with the trampoline before the jump
    /// is written: a replacement that calls the original never runs before it knows where that is.</summary>
    internal static bool TryInstall(nint target, nint replacement, Action<nint> publishOriginal, [NotNullWhen(true)] out NativeDetour? detour, [NotNullWhen(false)] out string? reason) =>
        TryInstall(target, replacement, StubLength, (_, trampoline) =>
        {
            publishOriginal(trampoline);
            return JumpStub(replacement);
        }, out detour, out reason);

    /// <summary>
    /// Detours <paramref name="target"/> to code built by <paramref name="buildEntry"/> — given the entry's address and
    /// the trampoline's (the original), it returns at most <paramref name="entryCapacity"/> bytes, e.g. a hook gate
    /// that decides natively between the trampoline and a handler.
    /// </summary>
    internal static bool TryInstall(
        nint target,
        nint replacement,
        int entryCapacity,
        Func<nint, nint, byte[]?> buildEntry,
        [NotNullWhen(true)] out NativeDetour? detour,
        [NotNullWhen(false)] out string? reason)
    {
        detour = null;
        if (!RuntimeInformation.IsOSPlatform(OSPlatform.Linux) || RuntimeInformation.ProcessArchitecture != Architecture.X64)
        {
            reason = "native detours are implemented for x64 Linux only";
            return false;
        }

        if (!CodePatcher.CanPatchAtomically(target))
        {
            reason = $"0x{target:x}: the patched bytes would straddle an 8-byte boundary, so they cannot be written atomically";
            return false;
        }

        if (!PrologueRelocator.TryRead(target, out var stolen, out int stolenLength, out reason))
        {
            return false;
        }

        if (!TryPrepareSite(target, stolen, stolenLength, entryCapacity, buildEntry, out nint stub, out nint trampoline, out reason))
        {
            return false;
        }

        byte[]? replaced = CodePatcher.WriteJump(target, stub, out string? patchError);
        if (replaced is null)
        {
            reason = patchError ?? "the target could not be patched";
            return false;
        }

        detour = new NativeDetour(target, replacement, trampoline, replaced);
        reason = null;
        return true;
    }

    /// <summary>
    /// Finds or builds the entry code and trampoline of a detour of <paramref name="target"/>. Blocks are never freed
    /// (a thread may still run in one after an uninstall), so a target detoured again with the same code — the hook
    /// layer enabled after being disabled, a user's detour installed and removed in a loop — reuses the block it had
    /// rather than taking a new one: repeated installs cost no memory.
    /// </summary>
    private static bool TryPrepareSite(
        nint target,
        List<Iced.Intel.Instruction> stolen,
        int stolenLength,
        int entryCapacity,
        Func<nint, nint, byte[]?> buildEntry,
        out nint stub,
        out nint trampoline,
        [NotNullWhen(false)] out string? reason)
    {
        int entrySpace = (entryCapacity + 15) & ~15;
        lock (s_sites)
        {
            if (s_sites.TryGetValue(target, out List<Site>? known))
            {
                foreach (Site site in known)
                {
                    if (PrologueRelocator.Relocate(stolen, site.Trampoline, target + stolenLength, out _) is { } again &&
                        again.AsSpan().SequenceEqual(site.TrampolineCode) &&
                        buildEntry(site.Entry, site.Trampoline) is { } entryAgain &&
                        entryAgain.AsSpan().SequenceEqual(site.EntryCode))
                    {
                        (stub, trampoline, reason) = (site.Entry, site.Trampoline, null);
                        return true;
                    }
                }
            }

            (stub, trampoline) = (0, 0);
            if (ExecutableArena.Allocate(target, entrySpace + TrampolineCapacity, out string? allocationError) is not { } block)
            {
                reason = allocationError ?? "no executable memory near the target";
                return false;
            }

            byte[]? relocated = PrologueRelocator.Relocate(stolen, block + entrySpace, target + stolenLength, out string? relocationError);
            if (relocated is null)
            {
                reason = relocationError ?? "the prologue cannot be relocated";
                return false;
            }

            if (relocated.Length > TrampolineCapacity)
            {
                reason = $"the relocated prologue needs {relocated.Length} bytes, more than the {TrampolineCapacity} reserved";
                return false;
            }

            byte[]? entry = buildEntry(block, block + entrySpace);
            if (entry is null || entry.Length > entryCapacity)
            {
                reason = "the entry code could not be built";
                return false;
            }

            Marshal.Copy(entry, 0, block, entry.Length);
            Marshal.Copy(relocated, 0, block + entrySpace, relocated.Length);
            if (!s_sites.TryGetValue(target, out known))
            {
                s_sites[target] = known = [];
            }

            known.Add(new Site(block, block + entrySpace, entry, relocated));
            (stub, trampoline, reason) = (block, block + entrySpace, null);
            return true;
        }
    }

    /// <summary>Takes the detour out: the target's original bytes are written back. Idempotent.</summary>
    /// <exception cref="NativeDetourException">The bytes could not be written back.</exception>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _removed, 1) == 0 && !CodePatcher.Restore(Target, _replacedBytes, out string? reason))
        {
            Volatile.Write(ref _removed, 0);
            throw new NativeDetourException($"Cannot remove the detour of 0x{Target:x}: {reason}");
        }
    }

    /// <summary><c>jmp qword [rip+0]</c> followed by the 8-byte absolute destination.</summary>
    private static byte[] JumpStub(nint destination)
    {
        var code = new byte[StubLength];
        code[0] = 0xFF;
        code[1] = 0x25;
        BitConverter.TryWriteBytes(code.AsSpan(6), (long)destination);
        return code;
    }
}

/// <summary>An entry stub (or gate) and a trampoline, written once into executable memory, with the bytes written.</summary>
internal sealed record Site(nint Entry, nint Trampoline, byte[] EntryCode, byte[] TrampolineCode);

/// <summary>A native detour could not be installed or removed; the message says why.</summary>
public sealed class NativeDetourException : Exception
{
    /// <summary>Creates the exception.</summary>
    public NativeDetourException()
    {
    }

    /// <summary>Creates the exception with <paramref name="message"/>.</summary>
    public NativeDetourException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with <paramref name="message"/> and an inner exception.</summary>
    public NativeDetourException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
