using System.Runtime.InteropServices;

namespace Co.Platform.Linux;

/// <summary>
/// Whether <see cref="Interlocked.MemoryBarrierProcessWide"/> is a real barrier on every running thread, which the
/// blocked-scheduler monitor's handshake relies on (Scheduler.Monitor.cs). .NET implements it with
/// <c>membarrier(MEMBARRIER_CMD_PRIVATE_EXPEDITED)</c> when the kernel has it, and otherwise by changing a page's
/// protection, whose TLB-shootdown interrupts serialize every CPU on x64 but are not a memory barrier on Arm64. So: x64
/// always; Arm64 only with the membarrier command; anything else, not known here, so no.
/// </summary>
internal static partial class ProcessBarrier
{
    private const int MembarrierCmdQuery = 0;
    private const int MembarrierCmdPrivateExpedited = 1 << 3;
    private const long Arm64MembarrierSyscall = 283;

    [LibraryImport("libc", EntryPoint = "syscall")]
    private static partial long Syscall(long number, long command, long flags);

    /// <summary>Whether the process-wide barrier orders every thread's stores before its later loads.</summary>
    public static bool IsReliable() => RuntimeInformation.ProcessArchitecture switch
    {
        Architecture.X64 => true,
        Architecture.Arm64 => (Syscall(Arm64MembarrierSyscall, MembarrierCmdQuery, 0) & MembarrierCmdPrivateExpedited) != 0,
        _ => false,
    };
}
