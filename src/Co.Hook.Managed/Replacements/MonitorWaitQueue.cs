using System.Diagnostics;
using System.Runtime.CompilerServices;

namespace Co.Hook.Managed.Replacements;

/// <summary>
/// The coroutines waiting in <see cref="Monitor.Wait(object, int)"/> on one object, in arrival order, beside the
/// runtime's own queue of waiting threads (which a parked coroutine cannot join: its thread sleeps on the scheduler's
/// futex, not in the runtime).
/// </summary>
/// <remarks>
/// State of each waiter, changed only under the queue's lock: <c>Waiting → Pulsed</c> (a pulse took it off the queue
/// and signals its park) or <c>Waiting → Left</c> (its park ended by timeout or interrupt, and it took itself off). A
/// waiter enters while its thread still owns the object's monitor, and pulses are sent only by an owner, so a pulse sent
/// after the wait began — even before the coroutine has parked — finds it; one sent before the wait began is lost, as
/// .NET loses it. A waiter that finds itself Pulsed after its time ran out returns true: the pulse was its.
/// </remarks>
internal sealed class MonitorWaitQueue
{
    private static readonly ConditionalWeakTable<object, MonitorWaitQueue> s_queues = new();

    /// <summary>How many coroutines wait in any queue. Changed by owners of the monitor in question, and read by
    /// owners, so a pulser that reads 0 holds a monitor nobody waits on here (monitor enter and exit are fences).</summary>
    private static int s_waiting;

    private readonly LinkedList<Waiter> _waiters = new();

    /// <summary>Whether any coroutine waits on any object (the pulse replacements' fast path).</summary>
    public static bool AnyWaiting => Volatile.Read(ref s_waiting) != 0;

    /// <summary>The queue of <paramref name="monitor"/>, created on first use.</summary>
    public static MonitorWaitQueue Of(object monitor) => s_queues.GetValue(monitor, static _ => new MonitorWaitQueue());

    /// <summary>The queue of <paramref name="monitor"/> if a coroutine ever waited on it.</summary>
    public static MonitorWaitQueue? Find(object monitor) => s_queues.TryGetValue(monitor, out MonitorWaitQueue? queue) ? queue : null;

    /// <summary>Appends a waiter whose park is <paramref name="park"/>; the caller owns the monitor.</summary>
    public Waiter Enter(ParkedWait park)
    {
        var waiter = new Waiter(park);
        lock (_waiters)
        {
            waiter.Node = _waiters.AddLast(waiter);
            Interlocked.Increment(ref s_waiting);
        }

        return waiter;
    }

    /// <summary>Pulses the first waiter (<paramref name="all"/>: every waiter). Returns how many were pulsed.</summary>
    public int Pulse(bool all)
    {
        int pulsed = 0;
        lock (_waiters)
        {
            while (_waiters.First is { } first && (all || pulsed == 0))
            {
                Take(first.Value, WaiterState.Pulsed);
                first.Value.Park.Wake.Signal();
                pulsed++;
            }
        }

        return pulsed;
    }

    /// <summary>Ends <paramref name="waiter"/>'s wait: true if it was pulsed, else it leaves the queue.</summary>
    public bool Leave(Waiter waiter)
    {
        lock (_waiters)
        {
            if (waiter.State == WaiterState.Pulsed)
            {
                return true;
            }

            Take(waiter, WaiterState.Left);
            return false;
        }
    }

    /// <summary>Whether <paramref name="waiter"/> has been pulsed.</summary>
    public bool IsPulsed(Waiter waiter)
    {
        lock (_waiters)
        {
            return waiter.State == WaiterState.Pulsed;
        }
    }

    private void Take(Waiter waiter, WaiterState state)
    {
        Debug.Assert(waiter.State == WaiterState.Waiting && waiter.Node is not null, "a waiter leaves the queue once");
        _waiters.Remove(waiter.Node!);
        waiter.Node = null;
        waiter.State = state;
        Interlocked.Decrement(ref s_waiting);
    }

    /// <summary>Where a waiter is (see the type's remarks).</summary>
    internal enum WaiterState
    {
        Waiting,
        Pulsed,
        Left,
    }

    /// <summary>One coroutine's place in the queue.</summary>
    internal sealed class Waiter(ParkedWait park)
    {
        /// <summary>The coroutine's park, signalled by a pulse.</summary>
        public ParkedWait Park { get; } = park;

        /// <summary>Under the queue's lock.</summary>
        public WaiterState State { get; set; }

        /// <summary>Its node while Waiting.</summary>
        public LinkedListNode<Waiter>? Node { get; set; }
    }
}
