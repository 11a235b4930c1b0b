using System.Diagnostics.CodeAnalysis;
using System.Runtime.InteropServices;
using Iced.Intel;

namespace Co.Hook.Detours;

/// <summary>
/// Reads the first instructions of a function — enough to cover the 5-byte jump that will replace them — and
/// re-encodes them at another address (the trampoline) followed by a jump back, with Iced: RIP-relative operands are
/// re-pointed at the same absolute addresses, short branches widened. Refuses (with the reason) whatever it cannot move
/// safely: undecodable bytes, a return or indirect jump among the stolen bytes, or a branch anywhere in the following
/// kilobyte that lands inside the stolen bytes.
/// </summary>
internal static class PrologueRelocator
{
    /// <summary>The bytes a detour overwrites: <c>jmp rel32</c>.</summary>
    public const int PatchLength = 5;

    private const int ScanLength = 1024;

    /// <summary>Decodes the stolen instructions at <paramref name="target"/>.</summary>
    public static bool TryRead(nint target, out List<Instruction> stolen, out int stolenLength, [NotNullWhen(false)] out string? reason)
    {
        stolen = [];
        stolenLength = 0;
        long readable = NearMemory.ReadableBytesFrom(target);
        if (readable < PatchLength)
        {
            reason = $"0x{target:x} is not in readable memory";
            return false;
        }

        byte[] code = new byte[(int)Math.Min(readable, ScanLength + 32)];
        Marshal.Copy(target, code, 0, code.Length);
        var decoder = Decoder.Create(64, new ByteArrayCodeReader(code), (ulong)target);
        while (stolenLength < PatchLength)
        {
            decoder.Decode(out Instruction instruction);
            if (instruction.IsInvalid || decoder.LastError != DecoderError.None)
            {
                reason = $"undecodable instruction at +{stolenLength}";
                return false;
            }

            if (instruction.FlowControl is FlowControl.Return or FlowControl.IndirectBranch or FlowControl.IndirectCall
                or FlowControl.Interrupt or FlowControl.Exception or FlowControl.XbeginXabortXend)
            {
                reason = $"'{instruction}' at +{stolenLength} cannot be moved (the function may leave within the patched bytes)";
                return false;
            }

            stolen.Add(instruction);
            stolenLength += instruction.Length;
        }

        // Nothing after the stolen bytes may branch back into them: that code would land inside the new jump.
        ulong stolenEnd = (ulong)target + (ulong)stolenLength;
        while (decoder.IP < (ulong)target + (ulong)Math.Min(code.Length - 16, ScanLength))
        {
            decoder.Decode(out Instruction instruction);
            if (instruction.IsInvalid)
            {
                continue;
            }

            if (instruction.Op0Kind is OpKind.NearBranch16 or OpKind.NearBranch32 or OpKind.NearBranch64
                && instruction.NearBranchTarget > (ulong)target && instruction.NearBranchTarget < stolenEnd)
            {
                reason = $"'{instruction}' at +{instruction.IP - (ulong)target} branches into the patched bytes";
                return false;
            }
        }

        reason = null;
        return true;
    }

    /// <summary>Encodes <paramref name="stolen"/> at <paramref name="trampoline"/>, then a jump to
    /// <paramref name="resume"/> (the first byte after the stolen instructions).</summary>
    public static byte[]? Relocate(List<Instruction> stolen, nint trampoline, nint resume, out string? reason)
    {
        var instructions = new List<Instruction>(stolen) { Instruction.CreateBranch(Code.Jmp_rel32_64, (ulong)resume) };
        var writer = new ByteCodeWriter();
        if (!BlockEncoder.TryEncode(64, new InstructionBlock(writer, instructions, (ulong)trampoline), out string? error, out _))
        {
            reason = $"cannot relocate the prologue: {error}";
            return null;
        }

        reason = null;
        return writer.ToArray();
    }
}
