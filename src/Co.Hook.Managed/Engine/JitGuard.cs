using System.Reflection;
using System.Runtime.InteropServices;
using Co.Hook.Detours;
using Iced.Intel;
using static Iced.Intel.AssemblerRegisters;

namespace Co.Hook.Managed.Engine;

/// <summary>
/// Keeps tiered compilation from dropping a managed detour. A detour patches the method's current code; a later
/// re-compile (tier-1, after call counting) would make new code and repoint the entry at it, silently bypassing the
/// patch. So the JIT's <c>ICorJitCompiler::compileMethod</c> (slot 0 of the vtable of the object <c>getJit()</c> in
/// libclrjit returns) is replaced with a native gate that refuses (CORJIT_BADCODE) compiles of guarded methods; the
/// runtime then keeps the patched code, and does not ask again.
/// </summary>
/// <remarks>
/// <para>The gate is generated machine code: compileMethod runs on JIT threads in modes where managed code must not
/// run, and a managed hook would recurse into the JIT to compile itself. It compares <c>info-&gt;ftn</c> (the first
/// field of CORINFO_METHOD_INFO: the MethodDesc) with a native table of guarded MethodDescs, and lets a compile through
/// when the compiling thread is inside the guarded method's original (<see cref="EnterOriginal"/>): that is an OSR
/// compile of the original's own loop, made synchronously on the thread running it — refusing it would throw
/// InvalidProgramException into the caller.</para>
/// <para>Table invariant: fixed capacity, allocated once and never freed (the gate holds its address); an entry is
/// written before the count that covers it (x64 stores are ordered), and removal zeroes the entry in place — a zero
/// never matches a MethodDesc. The gate stays installed for the life of the process; with no guarded method it only
/// passes calls on.</para>
/// </remarks>
internal static unsafe partial class JitGuard
{
    private const int Capacity = 64;
    private const uint CorJitBadCode = 0x80000001;
    private const int GateSize = 256;

    private static readonly Lock s_lock = new();
    private static readonly nint s_table = (nint)NativeMemory.AllocZeroed((nuint)((Capacity + 1) * sizeof(long)));
    private static uint s_depthKey;
    private static bool s_installed;

    [LibraryImport("libc", EntryPoint = "pthread_key_create")]
    private static partial int PthreadKeyCreate(uint* key, nint destructor);

    [LibraryImport("libc", EntryPoint = "pthread_getspecific")]
    [System.Runtime.InteropServices.SuppressGCTransition]
    private static partial nint PthreadGetSpecific(uint key);

    [LibraryImport("libc", EntryPoint = "pthread_setspecific")]
    [System.Runtime.InteropServices.SuppressGCTransition]
    private static partial int PthreadSetSpecific(uint key, nint value);

    /// <summary>Installs the gate in front of the JIT once; false with the reason if it cannot be.</summary>
    public static bool EnsureInstalled(out string? reason)
    {
        lock (s_lock)
        {
            reason = null;
            return s_installed || (s_installed = Install(out reason));
        }
    }

    /// <summary>Refuses re-compiles of <paramref name="method"/> from now on.</summary>
    public static bool Guard(MethodBase method)
    {
        nint methodDesc = method.MethodHandle.Value;
        lock (s_lock)
        {
            long* table = (long*)s_table;
            long count = table[0];
            for (int i = 1; i <= count; i++)
            {
                if (table[i] == methodDesc || table[i] == 0)
                {
                    Volatile.Write(ref table[i], methodDesc);
                    return true;
                }
            }

            if (count == Capacity)
            {
                return false;
            }

            Volatile.Write(ref table[count + 1], methodDesc);
            Volatile.Write(ref table[0], count + 1);
            return true;
        }
    }

    /// <summary>Lets <paramref name="method"/> be re-compiled again.</summary>
    public static void Release(MethodBase method)
    {
        nint methodDesc = method.MethodHandle.Value;
        lock (s_lock)
        {
            long* table = (long*)s_table;
            for (int i = 1; i <= table[0]; i++)
            {
                if (table[i] == methodDesc)
                {
                    Volatile.Write(ref table[i], 0);
                }
            }
        }
    }

    /// <summary>Marks the calling thread as running a guarded method's original until disposed (see remarks).</summary>
    public static OriginalScope EnterOriginal()
    {
        PthreadSetSpecific(s_depthKey, PthreadGetSpecific(s_depthKey) + 1);
        return default;
    }

    private static bool Install(out string? reason)
    {
        uint key;
        if (PthreadKeyCreate(&key, 0) != 0)
        {
            reason = "pthread_key_create failed";
            return false;
        }

        s_depthKey = key;
        string jitPath = Path.Combine(RuntimeEnvironment.GetRuntimeDirectory(), "libclrjit.so");
        if (!NativeLibrary.TryLoad(jitPath, out nint jit) || !NativeLibrary.TryGetExport(jit, "getJit", out nint getJit))
        {
            reason = $"{jitPath} or its getJit export was not found";
            return false;
        }

        nint compiler = ((delegate* unmanaged<nint>)getJit)();
        nint vtable = compiler == 0 ? 0 : *(nint*)compiler;
        nint compileMethod = vtable == 0 ? 0 : *(nint*)vtable;
        if (compileMethod == 0 || NearMemory.ReadableBytesFrom(compileMethod) == 0)
        {
            reason = "getJit() did not return a compiler with a readable compileMethod";
            return false;
        }

        // The gate is reached through the vtable pointer and leaves with an absolute jump: it can live anywhere (near
        // libclrjit the address space is often taken by the runtime's reservations).
        if (ExecutableArena.AllocateAnywhere(GateSize, out string? allocationError) is not { } gate)
        {
            reason = "no executable memory for the JIT gate: " + allocationError;
            return false;
        }

        byte[] code = BuildGate(gate, compileMethod);
        if (code.Length > GateSize)
        {
            reason = "the JIT gate came out too large";
            return false;
        }

        Marshal.Copy(code, 0, gate, code.Length);
        return CodePatcher.ReplacePointer(vtable, compileMethod, gate, out reason);
    }

    /// <summary>
    /// compileMethod(this = rdi, comp = rsi, info = rdx, flags = ecx, entry = r8, size = r9): a guarded
    /// <c>info-&gt;ftn</c> on a thread not inside its original returns CORJIT_BADCODE; everything else jumps to the
    /// JIT's own compileMethod with every register as it came.
    /// </summary>
    private static byte[] BuildGate(nint address, nint compileMethod)
    {
        var asm = new Assembler(64);
        Label toJit = asm.CreateLabel();
        Label next = asm.CreateLabel();
        Label guarded = asm.CreateLabel();
        asm.mov(r10, __qword_ptr[rdx]); // info->ftn
        asm.mov(r11, (ulong)s_table);
        asm.mov(rax, __qword_ptr[r11]); // count
        asm.Label(ref next);
        asm.test(rax, rax);
        asm.jz(toJit);
        asm.cmp(r10, __qword_ptr[r11 + rax * 8]);
        asm.je(guarded);
        asm.dec(rax);
        asm.jmp(next);

        asm.Label(ref guarded);
        ArgumentRegisters.EmitSave(asm);
        asm.mov(edi, (int)s_depthKey);
        asm.mov(rax, (ulong)NativeLibrary.GetExport(NativeLibrary.Load("libc.so.6"), "pthread_getspecific"));
        asm.call(rax);
        ArgumentRegisters.EmitRestore(asm);
        asm.test(rax, rax);
        asm.jnz(toJit); // inside the original: an OSR compile of its loop
        asm.mov(eax, CorJitBadCode);
        asm.ret();

        asm.Label(ref toJit);
        asm.mov(r11, (ulong)compileMethod);
        asm.jmp(r11);

        var writer = new ByteCodeWriter();
        asm.Assemble(writer, (ulong)address);
        return writer.ToArray();
    }

    /// <summary>The extent of one call of a guarded method's original on this thread.</summary>
    public readonly struct OriginalScope : IDisposable
    {
        /// <summary>Leaves the original.</summary>
        public void Dispose() => PthreadSetSpecific(s_depthKey, PthreadGetSpecific(s_depthKey) - 1);
    }
}
