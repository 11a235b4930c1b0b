using Co.Scheduling;
using Co.Waiting;
using Xunit;

namespace Co.Tests;

/// <summary>
/// The Debug build's checks of the baton invariant (docs/ARCHITECTURE.md, "The baton invariant"; Scheduling/Baton.cs):
/// runtime code that touches holder-only state without a holder section, or from a thread that is not the holder, or
/// parks under a spin gate, is caught. The same tests run in both configurations: in Debug each touch must throw
/// <see cref="BatonInvariantException"/>; in Release the checks are compiled out, so the same touch must go through and
/// do its work (Release pays nothing for them). Every touch here is one the test can afford in Release: on a structure
/// of the test's own, or on the calling holder's own structure undone at once.
/// </summary>
public class BatonCheckTests
{
    /// <summary>What a new primitive that forgets its holder section would do: from coroutine code, with the monitor on,
    /// put a wait node in its scheduler's timer heap without a section. Inside a section the same touch is allowed.</summary>
    [Fact]
    public async Task TimerHeapTouch_FromCoroutineCodeWithoutAHolderSection_IsCaught()
    {
        await CoRun.Sync(() =>
        {
            Assert.True(Scheduler.IsMonitored, "the in-process suite runs with the blocked-scheduler monitor on");
            Scheduler scheduler = Worker.Current!.Scheduler;
            var node = new AsyncWaitNode(scheduler) { Deadline = long.MaxValue };
            int before = scheduler.Timers.Count;

#if DEBUG
            var caught = Assert.Throws<BatonInvariantException>(() => scheduler.Timers.Add(node));
            Assert.Contains("outside a holder section", caught.Message);
            Assert.Equal(before, scheduler.Timers.Count);
#else
            scheduler.Timers.Add(node);
            Assert.Equal(before + 1, scheduler.Timers.Count);
            using (HolderSection.Enter())
            {
                scheduler.Timers.Remove(node);
            }
#endif

            using (HolderSection.Enter())
            {
                scheduler.Timers.Add(node);
                Assert.Equal(before + 1, scheduler.Timers.Count);
                scheduler.Timers.Remove(node);
            }

            Assert.Equal(before, scheduler.Timers.Count);
        }, CoRun.S(0));
    }

    /// <summary>Holder-only state of another scheduler, touched from a coroutine (inside a section: being in a section
    /// of one's own scheduler gives no right to another's).</summary>
    [Fact]
    public async Task TimerHeapTouch_FromAnotherSchedulersCoroutine_IsCaught()
    {
        var othersHeap = new TimerHeap(CoRun.S(1));
        await CoRun.Sync(() =>
        {
            var node = new AsyncWaitNode(CoRun.S(1)) { Deadline = long.MaxValue };
            using HolderSection section = HolderSection.Enter();
#if DEBUG
            var caught = Assert.Throws<BatonInvariantException>(() => othersHeap.Add(node));
            Assert.Contains("does not hold its baton", caught.Message);
            Assert.Equal(0, othersHeap.Count);
#else
            othersHeap.Add(node);
            Assert.Equal(1, othersHeap.Count);
#endif
        }, CoRun.S(0));
    }

    /// <summary>A run queue touched from a plain thread, which holds no scheduler's baton.</summary>
    [Fact]
    public async Task RunQueueTouch_FromAPlainThread_IsCaught()
    {
        var queue = new RunQueue(CoRun.S(0));
        var item = new Worker(CoRun.S(0));
        await CoRun.Thread(() =>
        {
#if DEBUG
            var caught = Assert.Throws<BatonInvariantException>(() => queue.PushBack(item));
            Assert.Contains("no scheduler thread", caught.Message);
            Assert.Equal(0, queue.Count);
#else
            queue.PushBack(item);
            Assert.Same(item, queue.PopFront());
#endif
        });
    }

    /// <summary>A thread that parks while it holds a spin gate.</summary>
    [Fact]
    public async Task Park_WhileHoldingASpinGate_IsCaught()
    {
        var gate = new SpinGate();
        var signal = new ThreadSignal();
        await CoRun.Thread(() =>
        {
            using (gate.Enter())
            {
#if DEBUG
                var caught = Assert.Throws<BatonInvariantException>(() => signal.Wait(0));
                Assert.Contains("1 spin gate(s)", caught.Message);
#else
                Assert.False(signal.Wait(0)); // no permit: the zero timeout passes at once
#endif
            }

            Assert.False(signal.Wait(0)); // the gate released, the same park is allowed
        });
    }

    /// <summary>A holder section that may rejoin (and so park) opened under a spin gate, from coroutine code: caught
    /// whether or not the monitor happens to have detached the thread.</summary>
    [Fact]
    public async Task RejoiningHolderSection_OpenedUnderASpinGate_IsCaught()
    {
        var gate = new SpinGate();
        await CoRun.Sync(() =>
        {
            Assert.True(Scheduler.IsMonitored, "the in-process suite runs with the blocked-scheduler monitor on");
            using (gate.Enter())
            {
#if DEBUG
                Assert.Throws<BatonInvariantException>(() => HolderSection.Enter().Dispose());
#else
                HolderSection.Enter().Dispose();
#endif
                using HolderSection allowed = HolderSection.EnterWithoutRejoin(); // the form meant for under a gate
                Assert.False(allowed.IsDetached);
            }
        }, CoRun.S(0));
    }
}
