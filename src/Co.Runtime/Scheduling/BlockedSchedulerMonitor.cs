using Co.Platform;

namespace Co.Scheduling;

/// <summary>
/// The blocked-scheduler monitor (docs/ARCHITECTURE.md, "The blocked-scheduler monitor"): one background thread that
/// looks at every scheduler every half threshold, as Go's sysmon does, and rescues one whose holder has been in the
/// same coroutine step for a whole <see cref="CoroutineOptions.BlockedSchedulerThreshold"/> with its thread asleep in
/// the kernel at two looks in a row (Scheduler.Monitor.cs detaches it). A holder's step seen asleep in the kernel at any
/// look is also marked as sampled, once, so waits shorter than the threshold are counted where they happen.
/// <para>
/// Per scheduler it keeps what it saw: the holder, its <see cref="Worker.BatonWord"/> (step sequence and state), since
/// when, and whether its thread slept in the kernel at the last look. A step that ends changes the word, so "the same
/// word for a threshold" is "the same step for a threshold" by the monitor's clock, and the holder reads no clock.
/// </para>
/// </summary>
internal static class BlockedSchedulerMonitor
{
    /// <summary>Starts the monitor for <paramref name="schedulers"/> if <paramref name="threshold"/> is positive and the
    /// platform's process-wide barrier can carry the detach handshake (otherwise it stays off, fail closed, and says
    /// why on standard error once).</summary>
    public static void StartIfEnabled(Scheduler[] schedulers, TimeSpan threshold)
    {
        if (threshold <= TimeSpan.Zero)
        {
            return;
        }

        if (!CurrentPlatform.Inspector.IsProcessBarrierReliable(out string? problem))
        {
            Console.Error.WriteLine($"Co: the blocked-scheduler monitor is off: {problem}");
            return;
        }

        Scheduler.EnableMonitoring();
        long thresholdMs = Math.Max((long)threshold.TotalMilliseconds, 1);
        int periodMs = (int)Math.Clamp(thresholdMs / 2, 1, 1000);
        var thread = new Thread(() => Watch(schedulers, thresholdMs, periodMs)) { IsBackground = true, Name = "Co blocked-scheduler monitor" };
        thread.UnsafeStart();
    }

    private static void Watch(Scheduler[] schedulers, long thresholdMs, int periodMs)
    {
        var seen = new Sighting[schedulers.Length];
        while (true)
        {
            Thread.Sleep(periodMs);
            long now = Environment.TickCount64;
            for (int i = 0; i < schedulers.Length; i++)
            {
                Worker? holder = schedulers[i].Holder;
                long word = holder is null ? 0 : Volatile.Read(ref holder.BatonWord);
                if (holder is null || Worker.StateOf(word) != Worker.InCoroutine)
                {
                    seen[i] = default;
                    continue;
                }

                bool blocked = holder.ThreadId != 0 && CurrentPlatform.Inspector.IsBlocked(holder.ThreadId);
                if (!ReferenceEquals(seen[i].Holder, holder) || seen[i].Word != word)
                {
                    if (blocked)
                    {
                        Sample(holder, word);
                    }

                    seen[i] = new Sighting(holder, word, now, BlockedAtLastLook: false, Sampled: blocked);
                    continue;
                }

                // The same step as at the last look: is its thread asleep in the kernel, now and at the last look too?
                if (blocked && !seen[i].Sampled)
                {
                    Sample(holder, word);
                    seen[i] = seen[i] with { Sampled = true };
                }

                if (blocked && seen[i].BlockedAtLastLook && now - seen[i].SinceMs >= thresholdMs)
                {
                    holder.BlockedSinceMs = seen[i].SinceMs;
                    holder.BlockedIn = CurrentPlatform.Inspector.BlockedIn(holder.ThreadId);
                    schedulers[i].TryRescue(holder, word);
                    seen[i] = default;
                    continue;
                }

                seen[i] = seen[i] with { BlockedAtLastLook = blocked };
            }
        }
    }

    /// <summary>
    /// Marks <paramref name="holder"/>'s step (<paramref name="word"/>) as seen asleep in the kernel, with the system
    /// call, for the worker to count at its next section or park (<see cref="Worker.DetachSampled"/>): how waits shorter
    /// than the threshold, never rescued, become visible (<see cref="Coroutine.BlockingSites"/>, co.blocking.short). A
    /// sample, not a measurement: a wait is seen with a probability that grows with its length (one look per half
    /// threshold), and a step is counted once. A step that goes on to be rescued is reported as the rescue instead (the
    /// request overwrites the mark).
    /// </summary>
    private static void Sample(Worker holder, long word)
    {
        holder.ShortBlockedIn = CurrentPlatform.Inspector.BlockedIn(holder.ThreadId);
        Volatile.Write(ref holder.DetachWord, (word & ~Worker.StateMask) | Worker.DetachSampled);
    }

    /// <summary>A holder seen in coroutine code with <paramref name="Word"/> since <paramref name="SinceMs"/>, whether
    /// its thread was asleep in the kernel at the last look, and whether its step was marked as sampled.</summary>
    private readonly record struct Sighting(Worker? Holder, long Word, long SinceMs, bool BlockedAtLastLook, bool Sampled = false);
}
