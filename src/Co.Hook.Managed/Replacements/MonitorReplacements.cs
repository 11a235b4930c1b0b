using Co.Hook.Handlers;
using Co.Hook.Managed.Engine;

namespace Co.Hook.Managed.Replacements;

/// <summary>
/// <see cref="Monitor.Wait(object, int)"/>, <see cref="Monitor.Pulse"/> and <see cref="Monitor.PulseAll"/>. The wait
/// is a runtime call (the object's sync block queues the thread and sleeps it), so a coroutine waiting there would hold
/// its scheduler. In coroutine code the replacement does what the runtime does, with a coroutine park for the sleep:
/// while still owning the monitor it joins the object's <see cref="MonitorWaitQueue"/>, releases the monitor fully
/// (every recursion level, counted), parks until a pulse, the timeout or <see cref="Thread.Interrupt"/>, then takes the
/// monitor back as many times as it held it. Pulses from any thread reach those waiters first (a pulse wakes one
/// waiter; which one, among coroutines and threads waiting on the same object, is this order rather than the runtime's),
/// then the runtime's own waiters. Everywhere else, and for calls the original rejects (null, a bad timeout, a monitor
/// not owned), it is the original.
/// </summary>
/// <remarks>Taking the monitor back cannot park on a signal: monitor exits are runtime calls with no managed seam.
/// The replacement tries, then yields to the scheduler and retries after coroutine sleeps of 1, 2, 4 … 16 ms, so a
/// pulser that keeps the monitor for a while costs that much latency rather than the scheduler.</remarks>
internal static unsafe partial class MonitorReplacements
{
    private const int LongestRetryPauseMs = 16;

    /// <summary>Waited on with a zero timeout to raise a pending interrupt.</summary>
    private static readonly ManualResetEvent s_neverSet = new(false);

    [ManagedHook(typeof(Monitor), nameof(Monitor.Wait), Static = true)]
    internal static bool MonitorWait(object obj, int millisecondsTimeout)
    {
        if (obj is null || millisecondsTimeout < Timeout.Infinite || !BlockingCall.CanDivert() || !Monitor.IsEntered(obj))
        {
            using JitGuard.OriginalScope original = JitGuard.EnterOriginal();
            return MonitorWaitOriginal(obj!, millisecondsTimeout);
        }

        return WaitParked(obj, millisecondsTimeout);
    }

    /// <summary>Monitor.Wait(object): crossgen2 may have copied Wait(object, int) into it, so it is detoured too.</summary>
    [ManagedHook(typeof(Monitor), nameof(Monitor.Wait), Static = true)]
    internal static bool MonitorWaitInfinite(object obj)
    {
        if (obj is null || !BlockingCall.CanDivert() || !Monitor.IsEntered(obj))
        {
            using JitGuard.OriginalScope original = JitGuard.EnterOriginal();
            return MonitorWaitInfiniteOriginal(obj!);
        }

        return WaitParked(obj, Timeout.Infinite);
    }

    [ManagedHook(typeof(Monitor), nameof(Monitor.Pulse), Static = true)]
    internal static void MonitorPulse(object obj)
    {
        if (obj is not null && MonitorWaitQueue.AnyWaiting && Monitor.IsEntered(obj) && MonitorWaitQueue.Find(obj)?.Pulse(all: false) > 0)
        {
            return;
        }

        using JitGuard.OriginalScope original = JitGuard.EnterOriginal();
        MonitorPulseOriginal(obj!);
    }

    [ManagedHook(typeof(Monitor), nameof(Monitor.PulseAll), Static = true)]
    internal static void MonitorPulseAll(object obj)
    {
        if (obj is not null && MonitorWaitQueue.AnyWaiting && Monitor.IsEntered(obj))
        {
            MonitorWaitQueue.Find(obj)?.Pulse(all: true);
        }

        using JitGuard.OriginalScope original = JitGuard.EnterOriginal();
        MonitorPulseAllOriginal(obj!);
    }

    /// <summary>The wait of a coroutine that owns <paramref name="obj"/>'s monitor (see the type's summary).</summary>
    private static bool WaitParked(object obj, int millisecondsTimeout)
    {
        ManagedDivertCounters.Record(ManagedHookId.MonitorWait);
        ParkedWait park = ParkedWaits.Begin();
        try
        {
            RaisePendingInterrupt(); // an interrupt sent before the wait throws here, the monitor still held, as .NET does
            MonitorWaitQueue queue = MonitorWaitQueue.Of(obj);
            MonitorWaitQueue.Waiter waiter = queue.Enter(park);
            int depth = 0;
            bool pulsed;
            try
            {
                while (Monitor.IsEntered(obj))
                {
                    Monitor.Exit(obj);
                    depth++;
                }

                // The runtime's clock: by the coarse Environment.TickCount64 the wait could end before its timeout passed.
                long deadline = millisecondsTimeout == Timeout.Infinite ? long.MaxValue : Co.Scheduling.Clock.DeadlineAfter(millisecondsTimeout);
                while (!park.Interrupted && !queue.IsPulsed(waiter))
                {
                    int remaining = Co.Scheduling.Clock.MsUntil(deadline); // rounded up; -1: no deadline
                    if (remaining == 0)
                    {
                        break;
                    }

                    park.Park(remaining); // a timed-out park loops once more: the deadline decides, by the same clock
                }
            }
            finally
            {
                // Whatever happened, the caller gets its monitor back at its depth (its lock statement will exit it).
                pulsed = queue.Leave(waiter);
                Reenter(obj, depth);
            }

            if (park.Interrupted)
            {
                RaisePendingInterrupt(); // the interrupt that ended the park, raised by .NET with the monitor held again
            }

            return pulsed;
        }
        finally
        {
            ParkedWaits.End(park);
        }
    }

    /// <summary>Takes the monitor of <paramref name="obj"/> <paramref name="depth"/> times without blocking the
    /// scheduler: tries, then yields and retries after growing coroutine sleeps.</summary>
    private static void Reenter(object obj, int depth)
    {
        int pauseMs = 0;
        while (!Monitor.TryEnter(obj))
        {
            using BlockingCall.Scope scope = BlockingCall.Enter();
            if (pauseMs == 0)
            {
                Coroutine.Yield();
                pauseMs = 1;
            }
            else
            {
                Coroutine.Sleep(pauseMs);
                pauseMs = Math.Min(pauseMs * 2, LongestRetryPauseMs);
            }
        }

        for (int i = 1; i < depth; i++)
        {
            Monitor.Enter(obj); // owned already: a recursion level, never a wait
        }
    }

    /// <summary>Lets .NET throw the calling thread's pending interrupt, if any (ThreadInterruptedException, flag
    /// cleared): a zero-timeout wait of the original on an event never set. Not Thread.Sleep(0), which yields the CPU
    /// (sched_yield): on a loaded machine that cost each wait milliseconds.</summary>
    private static void RaisePendingInterrupt()
    {
        using BlockingCall.Scope scope = BlockingCall.Enter();
        s_neverSet.WaitOne(0);
    }
}
