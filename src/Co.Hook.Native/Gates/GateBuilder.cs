using System.Runtime.InteropServices;
using Co.Hook.Detours;
using Co.Platform;
using Co.Platform.Linux;
using Iced.Intel;
using static Iced.Intel.AssemblerRegisters;

namespace Co.Hook.Gates;

/// <summary>
/// Generates the native gate in front of a hook handler: the code a detoured function's jump lands on. It decides
/// without entering managed code whether the call may be diverted, and otherwise continues into the original function
/// (its trampoline). The checks, in order, each sending the call to the original when it fails:
/// <list type="number">
/// <item>(close) the descriptor's bit in the <see cref="SocketBitmap"/> is cleared; a descriptor that was not a tracked
/// socket goes to the original;</item>
/// <item>(read, write, readv, writev) the descriptor is a tracked socket;</item>
/// <item>the thread runs coroutine code and is not already inside a hook (its flags word);</item>
/// <item>(the sleep family) the return address lies outside the runtime's own modules.</item>
/// </list>
/// Functions that create or duplicate descriptors (socket, socketpair, accept, dup…) call the original from the gate
/// and, when it succeeds, record the result in the bitmap before returning — natively, on any thread.
/// </summary>
/// <remarks>
/// The thread's flags word is found with <c>pthread_getspecific(key)</c> (async-signal-safe in practice). Argument
/// registers are saved around every call the gate makes, and the stack is 16-byte aligned for it; r10 and r11 are
/// free scratch at a function entry, and the bitmap bookkeeping after the original touches nothing else (rax, the
/// result, and errno are left as the original set them). Threads that are not scheduler threads have no word (null)
/// and always go to the original, so runtime threads, the thread pool and signal handlers on plain threads are never
/// diverted.
/// </remarks>
internal static class GateBuilder
{
    /// <summary>Generous upper bound of a gate's size, caller ranges included.</summary>
    public const int Capacity = 512;

    private static readonly Lazy<nint> s_getSpecific = new(() =>
        NativeLibrary.GetExport(NativeLibrary.Load("libc.so.6"), "pthread_getspecific"));

    /// <summary>Encodes the gate described by <paramref name="plan"/> at <paramref name="address"/>, continuing into
    /// <paramref name="original"/> for calls it does not divert.</summary>
    public static byte[] Build(nint address, nint original, GatePlan plan)
    {
        var asm = new Assembler(64);
        Label toOriginal = asm.CreateLabel();

        if (plan.Bookkeeping == Bookkeeping.UntrackArgument0)
        {
            asm.cmp(edi, SocketBitmap.Capacity);
            asm.jae(toOriginal);
            asm.mov(r11, (ulong)SocketBitmap.Address);
            asm.@lock.btr(__dword_ptr[r11], edi);
            asm.jnc(toOriginal); // not a tracked socket: nothing for a handler to do
        }

        if (plan.OnlyTrackedSockets)
        {
            asm.cmp(edi, SocketBitmap.Capacity);
            asm.jae(toOriginal);
            asm.mov(r11, (ulong)SocketBitmap.Address);
            asm.bt(__dword_ptr[r11], edi);
            asm.jnc(toOriginal);
        }

        if (plan.Handler != 0)
        {
            EmitThreadCheck(asm, toOriginal);
            foreach ((ulong start, ulong end) in plan.ExcludedCallers ?? [])
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

            if (plan.Counter != 0)
            {
                asm.mov(r11, (ulong)plan.Counter);
                asm.@lock.inc(__qword_ptr[r11]); // NativeDivertCounters: only calls that are diverted pay for it
            }

            asm.mov(r11, (ulong)plan.Handler);
            asm.jmp(r11);
        }

        asm.Label(ref toOriginal);
        if (plan.Bookkeeping is Bookkeeping.None or Bookkeeping.UntrackArgument0)
        {
            asm.mov(r11, (ulong)original);
            asm.jmp(r11);
        }
        else
        {
            EmitCallThenTrack(asm, original, plan.Bookkeeping);
        }

        var writer = new ByteCodeWriter();
        asm.Assemble(writer, (ulong)address);
        return writer.ToArray();
    }

    /// <summary>Falls through when the thread runs coroutine code outside a hook; jumps to <paramref name="toOriginal"/>
    /// otherwise. Argument registers are preserved.</summary>
    private static void EmitThreadCheck(Assembler asm, Label toOriginal)
    {
        ArgumentRegisters.EmitSave(asm);
        asm.mov(edi, (int)HookThreadState.Key);
        asm.mov(rax, (ulong)s_getSpecific.Value);
        asm.call(rax);
        ArgumentRegisters.EmitRestore(asm);
        asm.test(rax, rax);
        asm.jz(toOriginal);
        asm.mov(r11d, __dword_ptr[rax]);
        asm.and(r11d, HookFlags.RunningCoroutine | HookFlags.InHook);
        asm.cmp(r11d, HookFlags.RunningCoroutine);
        asm.jne(toOriginal);
    }

    /// <summary>Calls the original with the caller's arguments and, if it succeeded (a non-negative int), records the
    /// new descriptor(s) in the bitmap; returns the original's result.</summary>
    private static void EmitCallThenTrack(Assembler asm, nint original, Bookkeeping bookkeeping)
    {
        Label done = asm.CreateLabel();
        ArgumentRegisters.EmitSave(asm);
        asm.mov(r11, (ulong)original);
        asm.call(r11);
        ArgumentRegisters.EmitRestore(asm);
        asm.test(eax, eax);
        asm.js(done);
        asm.mov(r11, (ulong)SocketBitmap.Address);
        switch (bookkeeping)
        {
            case Bookkeeping.TrackResult:
                EmitSetIfInRange(asm, eax, done);
                break;
            case Bookkeeping.TrackPair: // socketpair(domain, type, protocol, int sv[2]): rcx holds sv
                Label second = asm.CreateLabel();
                asm.mov(r10d, __dword_ptr[rcx]);
                EmitSetIfInRange(asm, r10d, second);
                asm.Label(ref second);
                asm.mov(r10d, __dword_ptr[rcx + 4]);
                EmitSetIfInRange(asm, r10d, done);
                break;
            case Bookkeeping.CopyToResult: // dup(old): the copy is a socket exactly when old is
                EmitCopyBit(asm, edi, eax, done);
                break;
            case Bookkeeping.CopyToArgument1: // dup2/dup3(old, new, ...)
                EmitCopyBit(asm, edi, esi, done);
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(bookkeeping), bookkeeping, null);
        }

        asm.Label(ref done);
        asm.ret();
    }

    private static void EmitSetIfInRange(Assembler asm, AssemblerRegister32 fd, Label skip)
    {
        asm.cmp(fd, SocketBitmap.Capacity);
        asm.jae(skip);
        asm.@lock.bts(__dword_ptr[r11], fd);
    }

    /// <summary>bit[<paramref name="to"/>] = bit[<paramref name="from"/>] (r11 holds the bitmap).</summary>
    private static void EmitCopyBit(Assembler asm, AssemblerRegister32 from, AssemblerRegister32 to, Label done)
    {
        Label clear = asm.CreateLabel();
        asm.cmp(to, SocketBitmap.Capacity);
        asm.jae(done);
        asm.cmp(from, SocketBitmap.Capacity);
        asm.jae(clear);
        asm.bt(__dword_ptr[r11], from);
        asm.jnc(clear);
        asm.@lock.bts(__dword_ptr[r11], to);
        asm.jmp(done);
        asm.Label(ref clear);
        asm.@lock.btr(__dword_ptr[r11], to);
    }
}

/// <summary>What the gate of one function checks and records (see <see cref="GateBuilder"/>).</summary>
/// <param name="Handler">The managed handler calls are diverted to, or 0 for a gate that only keeps the bitmap.</param>
/// <param name="OnlyTrackedSockets">Divert only when the first argument is a tracked socket.</param>
/// <param name="Bookkeeping">How the function changes the set of tracked sockets.</param>
/// <param name="ExcludedCallers">Return-address ranges whose calls are never diverted (the sleep family).</param>
/// <param name="Counter">A native counter (<see cref="NativeDivertCounters"/>) the gate increments on each divert, or 0.</param>
internal sealed record GatePlan(
    nint Handler,
    bool OnlyTrackedSockets = false,
    Bookkeeping Bookkeeping = Bookkeeping.None,
    List<(ulong Start, ulong End)>? ExcludedCallers = null,
    nint Counter = 0);

/// <summary>How a hooked function changes which descriptors are tracked sockets.</summary>
internal enum Bookkeeping
{
    /// <summary>It does not.</summary>
    None,

    /// <summary>close: the first argument stops being one, before the call.</summary>
    UntrackArgument0,

    /// <summary>socket, accept, accept4: a non-negative result is a new socket.</summary>
    TrackResult,

    /// <summary>socketpair: on success both descriptors of the array in the fourth argument are sockets.</summary>
    TrackPair,

    /// <summary>dup: on success the result is a socket exactly when the first argument is.</summary>
    CopyToResult,

    /// <summary>dup2, dup3: on success the second argument is a socket exactly when the first is.</summary>
    CopyToArgument1,
}
