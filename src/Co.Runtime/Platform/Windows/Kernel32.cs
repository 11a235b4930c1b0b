using System.Runtime.InteropServices;

namespace Co.Platform.Windows;

/// <summary>The kernel32 functions of the Windows platform: threads, affinity, TLS and I/O completion ports. Imported
/// from kernel32.dll, which every Windows (and Wine) has; the address waits live in <see cref="Synchronization"/>.</summary>
internal static unsafe partial class Kernel32
{
    /// <summary>INFINITE: a wait without a time limit.</summary>
    public const uint Infinite = 0xFFFFFFFF;

    /// <summary>WAIT_TIMEOUT: what GetLastError says after a completion wait that timed out.</summary>
    public const int WaitTimeout = 258;

    /// <summary>THREAD_QUERY_LIMITED_INFORMATION: enough access to read another thread's cycle time.</summary>
    public const uint ThreadQueryLimitedInformation = 0x0800;

    /// <summary>TLS_OUT_OF_INDEXES: TlsAlloc's failure.</summary>
    public const uint TlsOutOfIndexes = 0xFFFFFFFF;

    /// <summary>One entry of GetQueuedCompletionStatusEx (OVERLAPPED_ENTRY).</summary>
    [StructLayout(LayoutKind.Sequential)]
    public struct OverlappedEntry
    {
        public nuint CompletionKey;
        public nint Overlapped;
        public nuint Internal;
        public uint NumberOfBytesTransferred;
    }

    [LibraryImport("kernel32.dll")]
    public static partial uint GetCurrentThreadId();

    [LibraryImport("kernel32.dll")]
    public static partial nint GetCurrentThread();

    [LibraryImport("kernel32.dll")]
    public static partial nint GetCurrentProcess();

    [LibraryImport("kernel32.dll", SetLastError = true)]
    public static partial nuint SetThreadAffinityMask(nint thread, nuint mask);

    [LibraryImport("kernel32.dll", SetLastError = true)]
    [return: MarshalAs(UnmanagedType.Bool)]
    public static partial bool GetProcessAffinityMask(nint process, out nuint processMask, out nuint systemMask);

    [LibraryImport("kernel32.dll", SetLastError = true)]
    public static partial uint TlsAlloc();

    [LibraryImport("kernel32.dll", SetLastError = true)]
    [return: MarshalAs(UnmanagedType.Bool)]
    public static partial bool TlsSetValue(uint index, void* value);

    [LibraryImport("kernel32.dll", SetLastError = true)]
    public static partial nint OpenThread(uint access, [MarshalAs(UnmanagedType.Bool)] bool inherit, uint threadId);

    [LibraryImport("kernel32.dll", SetLastError = true)]
    [return: MarshalAs(UnmanagedType.Bool)]
    public static partial bool CloseHandle(nint handle);

    [LibraryImport("kernel32.dll", SetLastError = true)]
    [return: MarshalAs(UnmanagedType.Bool)]
    public static partial bool QueryThreadCycleTime(nint thread, out ulong cycleTime);

    [LibraryImport("kernel32.dll", SetLastError = true)]
    public static partial nint CreateIoCompletionPort(nint fileHandle, nint existingPort, nuint completionKey, uint concurrentThreads);

    [LibraryImport("kernel32.dll", SetLastError = true)]
    [return: MarshalAs(UnmanagedType.Bool)]
    public static partial bool GetQueuedCompletionStatusEx(nint port, OverlappedEntry* entries, uint count, out uint removed,
        uint milliseconds, [MarshalAs(UnmanagedType.Bool)] bool alertable);

    [LibraryImport("kernel32.dll", SetLastError = true)]
    [return: MarshalAs(UnmanagedType.Bool)]
    public static partial bool PostQueuedCompletionStatus(nint port, uint bytes, nuint completionKey, nint overlapped);
}
