using System.Runtime.InteropServices;

namespace Co.Hook.Handlers;

/// <summary>
/// Name resolution (getaddrinfo — which managed <c>Dns</c> calls too — getnameinfo and the gethostbyname/gethostbyaddr
/// family) can block for seconds on the network. In a coroutine the call is handed to a thread-pool thread — where it
/// is not diverted again, that thread running no coroutine code — and the coroutine parks until it returns, as Go's cgo
/// resolver does. The result, errno and h_errno are the call's own: both are carried back to the caller's thread.
/// </summary>
/// <remarks>The non-reentrant gethostbyname family returns glibc's static storage, which is per process, not per
/// thread, so the pointer is as valid for the caller as after a direct call (and as unsafe to share).</remarks>
internal static unsafe partial class ResolverHandlers
{
    /// <summary>How many calls were handed to the pool (for tests and diagnostics).</summary>
    internal static long Offloaded;

    [NativeHook(HookLibraries.Libc, "getaddrinfo")]
    [UnmanagedCallersOnly]
    internal static int GetAddrInfo(byte* node, byte* service, void* hints, void** result) =>
        (int)Offload(() => GetAddrInfoOriginal(node, service, hints, result));

    [NativeHook(HookLibraries.Libc, "getnameinfo")]
    [UnmanagedCallersOnly]
    internal static int GetNameInfo(void* address, int addressLength, byte* host, int hostLength, byte* service, int serviceLength, int flags) =>
        (int)Offload(() => GetNameInfoOriginal(address, addressLength, host, hostLength, service, serviceLength, flags));

    [NativeHook(HookLibraries.Libc, "gethostbyname")]
    [UnmanagedCallersOnly]
    internal static void* GetHostByName(byte* name) =>
        (void*)Offload(() => (nint)GetHostByNameOriginal(name));

    [NativeHook(HookLibraries.Libc, "gethostbyname2")]
    [UnmanagedCallersOnly]
    internal static void* GetHostByName2(byte* name, int family) =>
        (void*)Offload(() => (nint)GetHostByName2Original(name, family));

    [NativeHook(HookLibraries.Libc, "gethostbyname_r")]
    [UnmanagedCallersOnly]
    internal static int GetHostByNameR(byte* name, void* entry, byte* buffer, nint length, void** result, int* hostErrno) =>
        (int)Offload(() => GetHostByNameROriginal(name, entry, buffer, length, result, hostErrno));

    [NativeHook(HookLibraries.Libc, "gethostbyname2_r")]
    [UnmanagedCallersOnly]
    internal static int GetHostByName2R(byte* name, int family, void* entry, byte* buffer, nint length, void** result, int* hostErrno) =>
        (int)Offload(() => GetHostByName2ROriginal(name, family, entry, buffer, length, result, hostErrno));

    [NativeHook(HookLibraries.Libc, "gethostbyaddr")]
    [UnmanagedCallersOnly]
    internal static void* GetHostByAddr(void* address, int length, int type) =>
        (void*)Offload(() => (nint)GetHostByAddrOriginal(address, length, type));

    [NativeHook(HookLibraries.Libc, "gethostbyaddr_r")]
    [UnmanagedCallersOnly]
    internal static int GetHostByAddrR(void* address, int addressLength, int type, void* entry, byte* buffer, nint length, void** result, int* hostErrno) =>
        (int)Offload(() => GetHostByAddrROriginal(address, addressLength, type, entry, buffer, length, result, hostErrno));

    [LibraryImport("libc", EntryPoint = "__h_errno_location")]
    private static partial int* HostErrnoLocation();

    /// <summary>Runs <paramref name="call"/> on a pool thread while the coroutine parks; its pointers point into the
    /// parked caller's memory, which stays valid until the call is done.</summary>
    private static nint Offload(Func<nint> call)
    {
        using BlockingCall.Scope scope = BlockingCall.Enter();
        var work = new OffloadedCall(call);
        ThreadPool.UnsafeQueueUserWorkItem(static state => state.Run(), work, preferLocal: false);
        work.Done.Wait();
        Interlocked.Increment(ref Offloaded);
        *HostErrnoLocation() = work.HostErrno;
        Marshal.SetLastSystemError(work.Errno);
        return work.Result;
    }

    /// <summary>One resolver call made on a pool thread for a parked coroutine.</summary>
    private sealed class OffloadedCall(Func<nint> call)
    {
        public Event Done { get; } = new(manualReset: true);

        public nint Result { get; private set; }

        public int Errno { get; private set; }

        public int HostErrno { get; private set; }

        public void Run()
        {
            Result = call();
            Errno = Marshal.GetLastSystemError();
            HostErrno = *HostErrnoLocation();
            Done.Signal();
        }
    }
}
