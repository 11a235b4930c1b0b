namespace Co.Hook.Managed.Replacements;

/// <summary>
/// The coroutines parked in detoured thread primitives, by thread, so that <see cref="Thread.Interrupt"/> reaches them:
/// .NET interrupts a thread's wait, and a parked coroutine's thread waits on the runtime's futex, which an interrupt
/// cannot see. The interrupt replacement calls the original (which leaves the interrupt pending on the thread, as
/// always) and then ends the park here; the woken replacement lets .NET raise the pending interrupt with a zero-timeout
/// wait of the original, so the exception and the cleared flag are .NET's own.
/// </summary>
internal static class ParkedWaits
{
    private static readonly Dictionary<Thread, ParkedWait> s_byThread = [];
    /// <summary>A monitor, not a System.Threading.Lock: a contended Lock waits on a wait handle, which the managed
    /// layer diverts, and this lock is taken on the way to such a wait.</summary>
    private static readonly object s_lock = new();

    /// <summary>Registers a new record for the calling thread's wait (one at a time per thread).</summary>
    public static ParkedWait Begin()
    {
        var wait = new ParkedWait();
        lock (s_lock)
        {
            s_byThread[wait.Thread] = wait;
        }

        return wait;
    }

    /// <summary>Unregisters <paramref name="wait"/>, after which an interrupt of its thread only stays pending.</summary>
    public static void End(ParkedWait wait)
    {
        lock (s_lock)
        {
            s_byThread.Remove(wait.Thread);
        }
    }

    /// <summary>Ends the park of the coroutine waiting on <paramref name="thread"/>, if one is.</summary>
    public static void Interrupt(Thread thread)
    {
        ParkedWait? wait;
        lock (s_lock)
        {
            s_byThread.TryGetValue(thread, out wait);
        }

        wait?.Interrupt();
    }
}
