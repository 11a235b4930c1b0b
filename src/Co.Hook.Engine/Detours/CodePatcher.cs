using System.Runtime.InteropServices;

namespace Co.Hook.Detours;

/// <summary>
/// Writes the 5-byte <c>jmp rel32</c> of a detour into live code, and takes it out again.
/// </summary>
/// <remarks>
/// Invariant: the 5 bytes lie inside one naturally aligned 8-byte word (target &amp; 7 ≤ 3), which is replaced with a
/// single <c>lock cmpxchg</c>. A thread executing the function therefore sees either the old prologue or the whole
/// jump, never a mix. The page gains write permission for the write only and then gets back exactly the protection it
/// had: never less (it never loses execute permission, since other threads may be running it; with the runtime's
/// W^X off its code pages are read-write-execute, and the runtime keeps writing new code into them) and never more. The rare thread preempted between two of the old instructions inside the patched bytes
/// would resume in the middle of the jump; install detours early (before the functions are in use) to make this moot.
/// </remarks>
internal static unsafe class CodePatcher
{
    /// <summary>Whether a 5-byte patch at <paramref name="target"/> fits in one aligned 8-byte word.</summary>
    public static bool CanPatchAtomically(nint target) => (target & 7) <= 8 - PrologueRelocator.PatchLength;

    /// <summary>Replaces the first 5 bytes at <paramref name="target"/> with a jump to <paramref name="destination"/>;
    /// returns the replaced bytes, or null with the reason.</summary>
    public static byte[]? WriteJump(nint target, nint destination, out string? reason)
    {
        long displacement = (long)destination - ((long)target + PrologueRelocator.PatchLength);
        if (displacement is < int.MinValue or > int.MaxValue)
        {
            reason = "the jump destination is out of rel32 reach";
            return null;
        }

        Span<byte> jump = stackalloc byte[PrologueRelocator.PatchLength];
        jump[0] = 0xE9;
        BitConverter.TryWriteBytes(jump[1..], (int)displacement);
        return Replace(target, jump, out reason);
    }

    /// <summary>
    /// Replaces the 8-byte aligned pointer at <paramref name="slot"/> — in read-only data such as a vtable — with
    /// <paramref name="value"/> if it still holds <paramref name="expected"/>: one <c>lock cmpxchg</c>, so a reader sees
    /// the old or the new pointer, never a mix. The page is writable only for the write and keeps its protection otherwise.
    /// </summary>
    public static bool ReplacePointer(nint slot, nint expected, nint value, out string? reason)
    {
        if ((slot & 7) != 0)
        {
            reason = $"0x{slot:x} is not 8-byte aligned";
            return false;
        }

        if (!TryMakeWritable(slot, out int protection, out reason))
        {
            return false;
        }

        try
        {
            bool replaced = Interlocked.CompareExchange(ref *(nint*)slot, value, expected) == expected;
            reason = replaced ? null : $"0x{slot:x} no longer holds 0x{expected:x}";
            return replaced;
        }
        finally
        {
            NearMemory.SetProtection(slot, sizeof(long), protection);
        }
    }

    /// <summary>Puts back the bytes <see cref="WriteJump"/> replaced.</summary>
    public static bool Restore(nint target, byte[] original, out string? reason) => Replace(target, original, out reason) is not null;

    private static byte[]? Replace(nint target, ReadOnlySpan<byte> bytes, out string? reason)
    {
        if (!CanPatchAtomically(target))
        {
            reason = $"0x{target:x}: the patched bytes would straddle an 8-byte boundary, so they cannot be written atomically";
            return null;
        }

        nint word = target & ~(nint)7;
        int offset = (int)(target - word);
        if (!TryMakeWritable(word, out int protection, out reason))
        {
            return null;
        }

        try
        {
            long* slot = (long*)word;
            while (true)
            {
                long current = Volatile.Read(ref *slot);
                long updated = current;
                Span<byte> view = new(&updated, sizeof(long));
                byte[] replaced = view.Slice(offset, bytes.Length).ToArray();
                bytes.CopyTo(view[offset..]);
                if (Interlocked.CompareExchange(ref *slot, updated, current) == current)
                {
                    reason = null;
                    return replaced;
                }
            }
        }
        finally
        {
            NearMemory.SetProtection(word, sizeof(long), protection);
        }
    }

    /// <summary>Adds write permission to the page of the 8-byte word at <paramref name="word"/>, returning in
    /// <paramref name="protection"/> what the page had, to be given back after the write.</summary>
    private static bool TryMakeWritable(nint word, out int protection, out string? reason)
    {
        protection = NearMemory.ProtectionOf(word);
        if (protection < 0)
        {
            reason = $"0x{word:x} is not mapped";
            return false;
        }

        if (!NearMemory.SetProtection(word, sizeof(long), protection | NearMemory.Writable))
        {
            reason = $"mprotect refused to make 0x{word:x} writable (errno {Marshal.GetLastPInvokeError()})";
            return false;
        }

        reason = null;
        return true;
    }
}
