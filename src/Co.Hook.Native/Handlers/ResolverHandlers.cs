using System.Runtime.InteropServices;

namespace Co.Hook.Handlers;

/// <summary>
/// Name resolution (<c>getaddrinfo</c>, which managed <c>Dns</c> calls too) can block for seconds on the network.
/// In a coroutine the call is handed to a thread-pool thread — where it is not diverted again, that thread running no
/// coroutine code — and the coroutine parks until it returns, as Go's cgo resolver does. The result, and errno for
/// EAI_SYSTEM, are the call's own.
/// </summary>
internal static unsafe class ResolverHandlers
{
    internal static delegate* unmanaged<byte*, byte*, void*, void**, int> GetAddrInfoOriginal;

    /// <summary>How many calls were handed to the pool (for tests and diagnostics).</summary>
    internal static long Offloaded;

    [UnmanagedCallersOnly]
    internal static int GetAddrInfo(byte* node, byte* service, void* hints, void** result)
    {
        using BlockingCall.Scope scope = BlockingCall.Enter();
        var call = new OffloadedCall((nint)node, (nint)service, (nint)hints, (nint)result);
        ThreadPool.UnsafeQueueUserWorkItem(static state => state.Run(), call, preferLocal: false);
        call.Done.Wait();
        Interlocked.Increment(ref Offloaded);
        Marshal.SetLastSystemError(call.Errno);
        return call.Result;
    }

    /// <summary>One getaddrinfo made on a pool thread for a parked coroutine; the arguments point into the parked
    /// caller's memory, which stays valid until <see cref="Done"/> is signalled.</summary>
    private sealed class OffloadedCall(nint node, nint service, nint hints, nint result)
    {
        public Event Done { get; } = new(manualReset: true);

        public int Result { get; private set; }

        public int Errno { get; private set; }

        public void Run()
        {
            Result = GetAddrInfoOriginal((byte*)node, (byte*)service, (void*)hints, (void**)result);
            Errno = Marshal.GetLastSystemError();
            Done.Signal();
        }
    }
}
