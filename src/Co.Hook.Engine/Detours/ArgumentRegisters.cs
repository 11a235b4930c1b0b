using Iced.Intel;
using static Iced.Intel.AssemblerRegisters;

namespace Co.Hook.Detours;

/// <summary>
/// What every generated gate (the native layer's hook gates, the managed layer's JIT guard) does around a call it makes
/// at a function's entry (System V x64): save the six argument registers and keep the stack 16-byte aligned for the
/// call, then restore them so the function it continues into sees the caller's arguments.
/// </summary>
internal static class ArgumentRegisters
{
    /// <summary>Six argument registers and 8 bytes of padding: entry rsp is 8 mod 16, so calls made after this are
    /// 16-byte aligned.</summary>
    public static void EmitSave(Assembler asm)
    {
        asm.push(rdi);
        asm.push(rsi);
        asm.push(rdx);
        asm.push(rcx);
        asm.push(r8);
        asm.push(r9);
        asm.sub(rsp, 8);
    }

    /// <summary>Undoes <see cref="EmitSave"/>.</summary>
    public static void EmitRestore(Assembler asm)
    {
        asm.add(rsp, 8);
        asm.pop(r9);
        asm.pop(r8);
        asm.pop(rcx);
        asm.pop(rdx);
        asm.pop(rsi);
        asm.pop(rdi);
    }
}
