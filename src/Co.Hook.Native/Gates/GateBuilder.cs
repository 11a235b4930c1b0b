using System.Runtime.InteropServices;
using Co.Hook.Detours;
using Co.Platform.Linux;
using Iced.Intel;
using static Iced.Intel.AssemblerRegisters;

namespace Co.Hook.Gates;

/// <summary>
/// Generates the native gate in front of a hook handler: the code a detoured function's jump lands on. It decides
/// without entering managed code whether the call may be diverted — only when the calling thread runs coroutine code
/// and is not already inside a hook — and otherwise continues into the original function (its trampoline).
/// </summary>
/// <remarks>
/// The thread's flags word is found with <c>pthread_getspecific(key)</c> (async-signal-safe in practice). Argument
/// registers are saved around that call, and the stack is realigned for it; r10 and r11 are free scratch at a function
/// entry. Threads that are not scheduler threads have no word (null) and always go to the original, so runtime
/// threads, the thread pool and signal handlers on plain threads are never diverted.
/// </remarks>
internal static class GateBuilder
{
    /// <summary>Generous upper bound of a gate's size, caller ranges included.</summary>
    public const int Capacity = 384;

    private static readonly Lazy<nint> s_getSpecific = new(() =>
        NativeLibrary.GetExport(NativeLibrary.Load("libc.so.6"), "pthread_getspecific"));

    /// <summary>Encodes a gate at <paramref name="address"/> that jumps to <paramref name="handler"/> or
    /// <paramref name="original"/>. With <paramref name="excludedCallers"/>, a call whose return address lies in one of
    /// those ranges also goes to the original (the sleep family: see <see cref="RuntimeModules"/>).</summary>
    public static byte[]? Build(nint address, nint handler, nint original, List<(ulong Start, ulong End)>? excludedCallers = null)
    {
        var asm = new Assembler(64);
        Label toOriginal = asm.CreateLabel();
        asm.push(rdi);
        asm.push(rsi);
        asm.push(rdx);
        asm.push(rcx);
        asm.push(r8);
        asm.push(r9);
        asm.sub(rsp, 8); // entry rsp is 8 mod 16; six pushes keep it there; this makes the call's stack 16-aligned
        asm.mov(edi, (int)HookThreadState.Key);
        asm.mov(rax, (ulong)s_getSpecific.Value);
        asm.call(rax);
        asm.add(rsp, 8);
        asm.pop(r9);
        asm.pop(r8);
        asm.pop(rcx);
        asm.pop(rdx);
        asm.pop(rsi);
        asm.pop(rdi);
        asm.test(rax, rax);
        asm.jz(toOriginal);
        asm.mov(r11d, __dword_ptr[rax]);
        asm.and(r11d, HookThreadState.RunningCoroutine | HookThreadState.InHook);
        asm.cmp(r11d, HookThreadState.RunningCoroutine);
        asm.jne(toOriginal);
        foreach ((ulong start, ulong end) in excludedCallers ?? [])
        {
            Label outside = asm.CreateLabel();
            asm.mov(r11, __qword_ptr[rsp]); // the caller's return address
            asm.mov(r10, start);
            asm.cmp(r11, r10);
            asm.jb(outside);
            asm.mov(r10, end);
            asm.cmp(r11, r10);
            asm.jb(toOriginal);
            asm.Label(ref outside);
        }

        asm.mov(r11, (ulong)handler);
        asm.jmp(r11);
        asm.Label(ref toOriginal);
        asm.mov(r11, (ulong)original);
        asm.jmp(r11);

        var writer = new ByteCodeWriter();
        asm.Assemble(writer, (ulong)address);
        return writer.ToArray();
    }
}
