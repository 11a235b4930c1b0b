using System.Runtime.InteropServices;
using Co.Offload;
using Co.Waiting;

namespace Co.Hook.Handlers;

/// <summary>
/// Name resolution (getaddrinfo — which managed <c>Dns</c> calls too — getnameinfo and the gethostbyname/gethostbyaddr
/// family) can block for seconds on the network. In a coroutine the call is handed to one of the runtime's offload
/// threads (<see cref="BlockingOffload.Shared"/>: started at once for each concurrent call, up to its limit) — where it
/// is not diverted again, those threads running no coroutine code — and the coroutine parks until it returns, as Go's
/// cgo resolver does. Not the thread pool: it grows by a thread every few hundred milliseconds, so concurrent lookups
/// queued behind each other. The result, errno and h_errno are the call's own: both are carried back to the caller's
/// thread.
/// </summary>
/// <remarks>The non-reentrant gethostbyname family returns glibc's static storage, which is per process, not per
/// thread, so the pointer is as valid for the caller as after a direct call (and as unsafe to share).</remarks>
internal static unsafe partial class ResolverHandlers
{
    /// <summary>How many calls were handed to the offload threads (for tests and diagnostics).</summary>
    internal static long Offloaded;

    private static readonly WaitReason s_getAddrInfo = Reason("getaddrinfo");
    private static readonly WaitReason s_getNameInfo = Reason("getnameinfo");
    private static readonly WaitReason s_getHostByName = Reason("gethostbyname");
    private static readonly WaitReason s_getHostByName2 = Reason("gethostbyname2");
    private static readonly WaitReason s_getHostByNameR = Reason("gethostbyname_r");
    private static readonly WaitReason s_getHostByName2R = Reason("gethostbyname2_r");
    private static readonly WaitReason s_getHostByAddr = Reason("gethostbyaddr");
    private static readonly WaitReason s_getHostByAddrR = Reason("gethostbyaddr_r");

    [NativeHook(HookLibraries.Libc, "getaddrinfo")]
    [UnmanagedCallersOnly]
    internal static int GetAddrInfo(byte* node, byte* service, void* hints, void** result) =>
        (int)Offload(() => GetAddrInfoOriginal(node, service, hints, result), s_getAddrInfo);

    [NativeHook(HookLibraries.Libc, "getnameinfo")]
    [UnmanagedCallersOnly]
    internal static int GetNameInfo(void* address, int addressLength, byte* host, int hostLength, byte* service, int serviceLength, int flags) =>
        (int)Offload(() => GetNameInfoOriginal(address, addressLength, host, hostLength, service, serviceLength, flags), s_getNameInfo);

    [NativeHook(HookLibraries.Libc, "gethostbyname")]
    [UnmanagedCallersOnly]
    internal static void* GetHostByName(byte* name) =>
        (void*)Offload(() => (nint)GetHostByNameOriginal(name), s_getHostByName);

    [NativeHook(HookLibraries.Libc, "gethostbyname2")]
    [UnmanagedCallersOnly]
    internal static void* GetHostByName2(byte* name, int family) =>
        (void*)Offload(() => (nint)GetHostByName2Original(name, family), s_getHostByName2);

    [NativeHook(HookLibraries.Libc, "gethostbyname_r")]
    [UnmanagedCallersOnly]
    internal static int GetHostByNameR(byte* name, void* entry, byte* buffer, nint length, void** result, int* hostErrno) =>
        (int)Offload(() => GetHostByNameROriginal(name, entry, buffer, length, result, hostErrno), s_getHostByNameR);

    [NativeHook(HookLibraries.Libc, "gethostbyname2_r")]
    [UnmanagedCallersOnly]
    internal static int GetHostByName2R(byte* name, int family, void* entry, byte* buffer, nint length, void** result, int* hostErrno) =>
        (int)Offload(() => GetHostByName2ROriginal(name, family, entry, buffer, length, result, hostErrno), s_getHostByName2R);

    [NativeHook(HookLibraries.Libc, "gethostbyaddr")]
    [UnmanagedCallersOnly]
    internal static void* GetHostByAddr(void* address, int length, int type) =>
        (void*)Offload(() => (nint)GetHostByAddrOriginal(address, length, type), s_getHostByAddr);

    [NativeHook(HookLibraries.Libc, "gethostbyaddr_r")]
    [UnmanagedCallersOnly]
    internal static int GetHostByAddrR(void* address, int addressLength, int type, void* entry, byte* buffer, nint length, void** result, int* hostErrno) =>
        (int)Offload(() => GetHostByAddrROriginal(address, addressLength, type, entry, buffer, length, result, hostErrno), s_getHostByAddrR);

    [LibraryImport("libc", EntryPoint = "__h_errno_location")]
    private static partial int* HostErrnoLocation();

    /// <summary>What a dump says a coroutine parked in <paramref name="function"/> waits on.</summary>
    private static WaitReason Reason(string function) => new($"{function} (offloaded)");

    /// <summary>Runs <paramref name="call"/> on an offload thread while the coroutine parks; its pointers point into the
    /// parked caller's memory, which stays valid until the call is done.</summary>
    private static nint Offload(Func<nint> call, WaitReason reason)
    {
        using BlockingCall.Scope scope = BlockingCall.Enter();
        var work = new OffloadedCall(call);
        BlockingOffload.Shared.Run(work, reason);
        Interlocked.Increment(ref Offloaded);
        *HostErrnoLocation() = work.HostErrno;
        Marshal.SetLastSystemError(work.Errno);
        return work.Result;
    }

    /// <summary>One resolver call made on an offload thread for a parked coroutine, with the errno and h_errno it left
    /// there (thread-local, so read on that thread and set again on the caller's).</summary>
    private sealed class OffloadedCall(Func<nint> call) : IOffloadedCall
    {
        public nint Result { get; private set; }

        public int Errno { get; private set; }

        public int HostErrno { get; private set; }

        public void Run()
        {
            Result = call();
            Errno = Marshal.GetLastSystemError();
            HostErrno = *HostErrnoLocation();
        }
    }
}
