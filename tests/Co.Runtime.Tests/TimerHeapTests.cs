using System.Diagnostics;
using Co.Scheduling;
using Co.Waiting;
using Xunit;

namespace Co.Tests;

/// <summary>
/// The timer heap's expiry: popping a few expired timers and taking a burst out at once (TimerHeap.FireExpired's two
/// paths) both complete exactly the expired nodes, in deadline order, and leave a heap that goes on working — the
/// survivors fire later in order, and can still be removed one by one.
/// </summary>
public class TimerHeapTests
{
    /// <summary>Enough timers that expiring most of them at once passes the pop budget (n / log₂n): the bulk path.</summary>
    private const int BurstCount = 5_000;

    [Theory]
    [InlineData(BurstCount, 4_000)] // most expire: the bulk path
    [InlineData(BurstCount, 40)]    // a few expire: popped one by one
    public async Task FireExpired_CompletesExactlyTheExpiredNodes_AndLeavesAWorkingHeap(int total, int expiring)
    {
        await CoRun.Sync(() =>
        {
            Scheduler scheduler = Worker.Current!.Scheduler;
            using HolderSection section = HolderSection.Enter();
            var heap = new TimerHeap(scheduler);
            var random = new Random(12);
            var nodes = new AsyncWaitNode[total];
            for (int i = 0; i < total; i++)
            {
                // Deadlines 1..total in shuffled order, with ties (each deadline twice), as timers come in any order.
                nodes[i] = new AsyncWaitNode(scheduler: null) { Deadline = 1 + (random.Next(total) / 2 * 2) };
                nodes[i].ArmAsync(null);
                heap.Add(nodes[i]);
            }

            long now = nodes.Select(n => n.Deadline).Order().ElementAt(expiring - 1);
            int expectedFired = nodes.Count(n => n.Deadline <= now);

            Assert.Equal(expectedFired, heap.FireExpired(now));

            foreach (AsyncWaitNode node in nodes)
            {
                bool expired = node.Deadline <= now;
                Assert.Equal(expired ? WaitOutcome.TimedOut : WaitOutcome.None, node.Outcome);
                Assert.Equal(expired, node.TimerIndex < 0);
            }

            Assert.Equal(total - expectedFired, heap.Count);
            Assert.Equal(nodes.Where(n => n.Deadline > now).Min(n => n.Deadline), heap.NextDeadline);

            // The survivors: every other one removed (a wait satisfied before its deadline), the rest fire later.
            AsyncWaitNode[] survivors = nodes.Where(n => n.Deadline > now).ToArray();
            for (int i = 0; i < survivors.Length; i += 2)
            {
                heap.Remove(survivors[i]);
                Assert.True(survivors[i].TimerIndex < 0);
            }

            Assert.Equal(survivors.Length / 2, heap.FireExpired(long.MaxValue - 1));
            Assert.Equal(0, heap.Count);
            Assert.Equal(long.MaxValue, heap.NextDeadline);
            for (int i = 0; i < survivors.Length; i++)
            {
                Assert.Equal(i % 2 == 0 ? WaitOutcome.None : WaitOutcome.TimedOut, survivors[i].Outcome);
            }
        }, CoRun.S(0));
    }

    /// <summary>
    /// Sleepers on one scheduler whose deadlines all pass while a coroutine keeps the scheduler busy (spinning, so
    /// the blocked-scheduler monitor does not hand it off) wake in deadline order once it lets go, whether the burst
    /// goes through the bulk path (most of the heap expired) or is popped one by one (a few expired among many that
    /// are not), and the ones not yet due still wake at their time afterwards.
    /// </summary>
    private static readonly long TicksPerMs = Stopwatch.Frequency / 1000;

    [Theory]
    [InlineData(BurstCount, 0)]
    [InlineData(40, BurstCount)]
    public async Task ABurstOfExpiredSleepers_WakesInDeadlineOrder(int dueDuringSpin, int dueLater)
    {
        Scheduler scheduler = CoRun.S(0);
        // Each sleeper's deadline as a bracket [earliest, latest]: the runtime takes its clock inside SleepAsync, between
        // the two timestamps read around the call (which arms the timer before it returns), so a preemption or a GC
        // between the test's clock and the runtime's widens the bracket instead of faking a disorder.
        var woke = new List<(long Earliest, long Latest)>(); // in the order their sleepers woke
        using var done = new CountdownEvent(dueDuringSpin + dueLater);
        using var allParked = new CountdownEvent(dueDuringSpin + dueLater);
        const int SpinMs = 400;
        var random = new Random(7);
        for (int i = 0; i < dueDuringSpin + dueLater; i++)
        {
            // Sleeps of 100..299 ms end during the spin; those of 1.5 s and more after it.
            int sleepMs = i < dueDuringSpin ? 100 + random.Next(200) : 1_500 + random.Next(200);
            scheduler.Go(async () =>
            {
                allParked.Signal();
                long before = Stopwatch.GetTimestamp();
                ValueTask sleep = Coroutine.SleepAsync(sleepMs);
                long after = Stopwatch.GetTimestamp();
                await sleep;
                woke.Add((before + sleepMs * TicksPerMs, after + sleepMs * TicksPerMs)); // one scheduler: one at a time
                done.Signal();
            });
        }

        Assert.True(allParked.Wait(30_000), "the sleepers started");
        await CoRun.Sync(() =>
        {
            var spin = Stopwatch.StartNew();
            while (spin.ElapsedMilliseconds < SpinMs)
            {
                Thread.SpinWait(100);
            }
        }, scheduler);

        Assert.True(done.Wait(60_000), "every sleeper woke");
        Assert.Equal(dueDuringSpin + dueLater, woke.Count);
        for (int i = 1; i < woke.Count; i++)
        {
            // Out of order only if this one's latest possible deadline is before the previous one's earliest.
            Assert.True(woke[i - 1].Earliest <= woke[i].Latest,
                $"wake-up {i} was due at least {(woke[i - 1].Earliest - woke[i].Latest) / (double)TicksPerMs:F1} ms before the one woken just before it");
        }
    }
}
