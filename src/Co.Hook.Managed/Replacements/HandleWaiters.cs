using Microsoft.Win32.SafeHandles;

namespace Co.Hook.Managed.Replacements;

/// <summary>
/// The coroutines parked in a <see cref="WaitHandle"/> wait, by the handles they wait on, so that setting an event,
/// releasing a semaphore or a mutex in this process ends their parks at once (they then try the wait again).
/// </summary>
/// <remarks>No signal is lost between a waiter's try and its park: the waiter registers (a full fence) before it
/// tries, and a signaller fences after signalling before it looks for waiters, so either the try sees the signal or the
/// signaller sees the waiter, whose park then ends at once (its <see cref="ParkedWait.Wake"/> keeps a signal that comes
/// before the park).</remarks>
internal static class HandleWaiters
{
    private static readonly Dictionary<nint, List<ParkedWait>> s_byHandle = [];

    /// <summary>A monitor, not a System.Threading.Lock, whose contention would wait on a wait handle.</summary>
    private static readonly object s_lock = new();

    private static int s_registered;

    /// <summary>Registers <paramref name="wait"/> under each of <paramref name="handles"/>.</summary>
    public static void Add(ParkedWait wait, nint[] handles)
    {
        lock (s_lock)
        {
            foreach (nint handle in handles)
            {
                if (!s_byHandle.TryGetValue(handle, out List<ParkedWait>? waits))
                {
                    s_byHandle[handle] = waits = [];
                }

                waits.Add(wait);
            }

            Interlocked.Increment(ref s_registered);
        }
    }

    /// <summary>Unregisters <paramref name="wait"/> from each of <paramref name="handles"/>.</summary>
    public static void Remove(ParkedWait wait, nint[] handles)
    {
        lock (s_lock)
        {
            foreach (nint handle in handles)
            {
                if (s_byHandle.TryGetValue(handle, out List<ParkedWait>? waits) && waits.Remove(wait) && waits.Count == 0)
                {
                    s_byHandle.Remove(handle);
                }
            }

            Interlocked.Decrement(ref s_registered);
        }
    }

    /// <summary>Ends the parks of the coroutines waiting on <paramref name="handle"/> (called after it was signalled).</summary>
    public static void Signaled(SafeWaitHandle handle)
    {
        Interlocked.MemoryBarrier();
        if (Volatile.Read(ref s_registered) == 0)
        {
            return;
        }

        nint key = handle.DangerousGetHandle();
        lock (s_lock)
        {
            if (s_byHandle.TryGetValue(key, out List<ParkedWait>? waits))
            {
                foreach (ParkedWait wait in waits)
                {
                    wait.Wake.Signal();
                }
            }
        }
    }
}
