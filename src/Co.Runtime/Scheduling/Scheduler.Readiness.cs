namespace Co;

// Readiness that a busy holder would hold back. A descriptor stays registered with the poller of the scheduler that
// first waited on it, whoever waits on it later (an IOCP handle cannot move to another completion port), and only
// this scheduler's holder polls that poller as it schedules. A holder that runs one long item — a coroutine that
// computes, or one blocked in a call the monitor has not rescued yet — polls nothing meanwhile, and readiness for
// waiters on other schedulers would wait for it. So the holder counts its polls, and the readiness monitor
// (Scheduling/ReadinessMonitor.cs) polls for a holder that has not polled since its last look and is not asleep in the
// poller. What it finds it delivers through the sink as the holder would: each woken waiter is enqueued on its own
// scheduler through the thread-safe inbox. The monitor touches no holder-only state.
//
// The poll sequence, written by the holder only:
//
//   even → odd    entering the poller to sleep (SleepInPoller)       odd: the holder will see readiness itself
//   odd  → even   back from it
//   even → even+2 after a poll that does not sleep (PollWithoutSleeping)
//
// The monitor polls when it reads the same even value at two looks in a row. Racing with the holder is harmless:
// epoll reports each edge-triggered event to one of the two epoll_wait calls, a waiter the monitor enqueues on the
// sleeping holder's own scheduler wakes it through the inbox's wake-up, and the wake-up the holder sleeps for is left
// for it (IPoller.PollOnBehalf).
public sealed partial class Scheduler
{
    /// <summary>The holder's poll count (see above); holder writes, the monitor reads.</summary>
    private long _pollSequence;

    /// <summary>Readiness events the monitor delivered for this scheduler's poller (monitor thread only).</summary>
    private long _readinessRescued;

    /// <summary>Readiness events the monitor delivered because this scheduler's holder had not polled for a look
    /// interval: how often a long-running item held back this poller's sockets (racy read).</summary>
    internal long ReadinessRescuedCount => Interlocked.Read(ref _readinessRescued);

    /// <summary>
    /// Called by the readiness monitor at each look: polls this scheduler's poller for its holder if the holder has
    /// registered sockets, is not asleep in the poller, and has not polled since the last look
    /// (<paramref name="seenSequence"/>, the poll sequence the monitor saw then, is updated).
    /// </summary>
    internal void PollIfHolderStalled(ref long seenSequence)
    {
        if (!_pollsIo || _stopping)
        {
            return;
        }

        long sequence = Volatile.Read(ref _pollSequence);
        if ((sequence & 1) != 0 || sequence != seenSequence)
        {
            seenSequence = sequence;
            return;
        }

        int delivered = _poller.PollOnBehalf();
        if (delivered > 0)
        {
            Interlocked.Add(ref _readinessRescued, delivered);
        }
    }

    /// <summary>Delivers the readiness that is ready now, without sleeping; holder only.</summary>
    private void PollWithoutSleeping()
    {
        _poller.Wait(0);
        Volatile.Write(ref _pollSequence, _pollSequence + 2);
    }

    /// <summary>Sleeps in the poller until readiness, a wake-up or <paramref name="timeoutMs"/>; holder only. The odd
    /// sequence meanwhile tells the monitor this holder polls for itself.</summary>
    private void SleepInPoller(int timeoutMs)
    {
        Volatile.Write(ref _pollSequence, _pollSequence + 1);
        _poller.Wait(timeoutMs);
        Volatile.Write(ref _pollSequence, _pollSequence + 1);
    }
}
