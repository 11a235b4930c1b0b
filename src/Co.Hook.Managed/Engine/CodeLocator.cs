using System.Reflection;
using Co.Hook.Detours;
using Iced.Intel;

namespace Co.Hook.Managed.Engine;

/// <summary>
/// Finds the native code a managed method currently runs: its entry point (<c>GetFunctionPointer</c>) is a
/// FixupPrecode, <c>jmp qword [rip+slot]</c>, whose slot points at the code — or, while tiering counts calls, at a
/// call-counting stub (<c>mov rax, [rip+…]; dec word [rax]; je …; jmp qword [rip+…]</c>) that ends in a jump to it.
/// The walk follows those indirect jumps and stops at the first instruction that is neither; an entry that leads back
/// into its own precode has no code yet.
/// </summary>
internal static unsafe class CodeLocator
{
    private const int MaxHops = 4;

    /// <summary>The start of <paramref name="method"/>'s current native code, or null with the reason.</summary>
    public static nint? CurrentCode(MethodBase method, out string? reason)
    {
        nint entry = method.MethodHandle.GetFunctionPointer();
        nint address = entry;
        for (int hop = 0; hop < MaxHops; hop++)
        {
            if (NearMemory.ReadableBytesFrom(address) < 32)
            {
                reason = $"0x{address:x} on the way to {method.Name}'s code is not readable";
                return null;
            }

            List<Instruction> instructions = Decode(address, 4);
            nint? next = IndirectJumpTarget(instructions[0]) ?? CallCountingStubTarget(instructions);
            if (next is null)
            {
                reason = null;
                return address;
            }

            if (next.Value > entry && next.Value < entry + 16)
            {
                reason = $"{method.Name} has no native code yet (its precode leads to the prestub)";
                return null;
            }

            address = next.Value;
        }

        reason = $"more than {MaxHops} indirections from {method.Name}'s entry point to its code";
        return null;
    }

    /// <summary><c>jmp qword [rip+d]</c>: the address held in the slot.</summary>
    private static nint? IndirectJumpTarget(in Instruction instruction) =>
        instruction.Mnemonic == Mnemonic.Jmp && instruction.IsIPRelativeMemoryOperand
            ? *(nint*)instruction.IPRelativeMemoryAddress
            : null;

    /// <summary>The jump at the end of a call-counting stub, or null if these instructions are not one.</summary>
    private static nint? CallCountingStubTarget(List<Instruction> instructions) =>
        instructions[0].Mnemonic == Mnemonic.Mov && instructions[0].Op0Register == Register.RAX && instructions[0].IsIPRelativeMemoryOperand &&
        instructions[1].Mnemonic == Mnemonic.Dec && instructions[1].MemoryBase == Register.RAX &&
        instructions[2].Mnemonic == Mnemonic.Je
            ? IndirectJumpTarget(instructions[3])
            : null;

    private static List<Instruction> Decode(nint address, int count)
    {
        var reader = new UnmanagedMemoryCodeReader(address);
        var decoder = Iced.Intel.Decoder.Create(64, reader, (ulong)address);
        var instructions = new List<Instruction>(count);
        for (int i = 0; i < count; i++)
        {
            decoder.Decode(out Instruction instruction);
            instructions.Add(instruction);
        }

        return instructions;
    }

    /// <summary>Reads code bytes straight from memory (the caller checked 32 readable bytes; four instructions of
    /// the shapes above fit).</summary>
    private sealed class UnmanagedMemoryCodeReader(nint address) : CodeReader
    {
        private int _offset;

        public override int ReadByte() => _offset < 32 ? *(byte*)(address + _offset++) : -1;
    }
}
