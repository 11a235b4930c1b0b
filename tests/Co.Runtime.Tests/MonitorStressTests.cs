using System.Diagnostics;
using Xunit;

namespace Co.Tests;

/// <summary>
/// The monitor's detach protocol under load, in-process (the test process runs with the default options: the monitor
/// on, 20 ms): on one scheduler, sync and async coroutines keep touching the scheduler's holder-only structures — a
/// Pool, timers, the run queue through events and yields, new coroutines' ids — while they also block their thread in
/// the kernel for around the threshold, so the monitor detaches some of them at every point of their code. Whatever
/// it detaches must rejoin before it touches those structures again: the pool ends with exactly the objects it made,
/// every coroutine finishes, nothing throws.
/// </summary>
public class MonitorStressTests
{
    [Fact]
    public async Task DetachesAndRejoins_UnderLoad_LeaveTheSchedulersStructuresWhole()
    {
        const int pairs = 20;
        const int rounds = 30;
        Scheduler scheduler = Coroutine.Schedulers[0];
        int created = 0;
        int failures = 0;
        int rescuesBefore = Coroutine.BlockingSites().Sum(site => site.Count);
        var pool = new Pool<object>(() =>
        {
            Interlocked.Increment(ref created);
            return new object();
        }, null);
        var finished = new WaitGroup(3 * pairs);
        var spawned = new WaitGroup(pairs * rounds);
        for (int p = 0; p < pairs; p++)
        {
            var ping = new Event();
            var pong = new Event();
            int seed = p;
            scheduler.Go(() => Guard(ref failures, finished, () =>
            {
                var random = new Random(seed);
                for (int round = 0; round < rounds; round++)
                {
                    object item = pool.Pop()!;
                    if (random.Next(4) == 0)
                    {
                        Thread.Sleep(random.Next(10, 40)); // blocks the thread in the kernel, holding the pooled item
                    }

                    pool.Push(item);
                    ping.Signal();
                    pong.Wait();
                    Coroutine.Sleep(random.Next(0, 3));
                }
            }));
            scheduler.Go(() => Guard(ref failures, finished, () =>
            {
                for (int round = 0; round < rounds; round++)
                {
                    ping.Wait();
                    object item = pool.Pop()!;
                    scheduler.Go(() => // a new coroutine: an id, a run-queue entry
                    {
                        pool.Push(pool.Pop());
                        spawned.Done();
                    });
                    pool.Push(item);
                    pong.Signal();
                    Coroutine.Yield();
                }
            }));
            scheduler.Go(async () =>
            {
                try
                {
                    var random = new Random(seed + 1000);
                    for (int round = 0; round < rounds; round++)
                    {
                        object item = pool.Pop()!;
                        if (random.Next(5) == 0)
                        {
                            Thread.Sleep(random.Next(10, 40)); // an async step blocking its thread
                        }

                        pool.Push(item);
                        await Coroutine.SleepAsync(random.Next(0, 3));
                    }
                }
                catch (Exception)
                {
                    Interlocked.Increment(ref failures);
                }
                finally
                {
                    finished.Done();
                }
            });
        }

        var watch = Stopwatch.StartNew();
        await CoRun.Bound(Task.Run(() => { finished.Wait(); spawned.Wait(); }), TimeSpan.FromSeconds(90), "the stressed coroutines");
        Assert.Equal(0, failures);
        int rescues = Coroutine.BlockingSites().Sum(site => site.Count) - rescuesBefore;
        Assert.True(rescues > 0, $"the monitor never stepped in ({watch.ElapsedMilliseconds} ms): the test did not test the protocol");

        // Every object the pool made is back in it, once: a pool touched by two threads at a time loses or doubles some.
        int size = await CoRun.Sync(() => pool.Size, scheduler);
        Assert.Equal(Volatile.Read(ref created), size);
    }

    [Theory]
    [InlineData("pool")]
    [InlineData("signal")]
    [InlineData("go")]
    public async Task ADetachedCoroutine_RejoinsBeforeItTouchesAHolderOnlyStructure(string touch)
    {
        // A coroutine blocks its thread for 300 ms, so the monitor detaches it; then, without suspending, it touches a
        // holder-only structure: the pool's store, the run queue (waking a coroutine of its scheduler), the id table and
        // run queue (starting one). It must rejoin its scheduler first — which counts it in the bypass report at once —
        // not after.
        Scheduler scheduler = Coroutine.Schedulers[0];
        var pool = new Pool<object>(() => new object(), null);
        var woken = new Event();
        int countedBeforeTheTouchReturned = -1;
        var done = new WaitGroup(2);
        scheduler.Go(() =>
        {
            woken.Wait(); // a waiter on the same scheduler, for "signal"
            done.Done();
        });
        scheduler.Go(() =>
        {
            object item = pool.Pop()!;
            int before = RescuesHere();
            Thread.Sleep(300);
            switch (touch)
            {
                case "pool": pool.Push(item); break;
                case "signal": woken.Signal(); break;
                default: scheduler.Go(() => { }); break;
            }

            Volatile.Write(ref countedBeforeTheTouchReturned, RescuesHere() - before);
            if (touch != "signal")
            {
                woken.Signal();
            }

            done.Done();
        });
        await CoRun.Bound(Task.Run(done.Wait), "the blocking coroutine and its partner");
        Assert.Equal(1, countedBeforeTheTouchReturned);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task AnAsyncCoroutineDetachedBetweenStartingAWaitAndAwaitingIt_Completes(bool signalWhileDetached)
    {
        // The wait's node is published before the coroutine blocks and is detached; its completion then runs on the
        // scheduler's new holder (when signalled meanwhile) or after the await registered (otherwise). Either way the
        // awaiting thread rejoins before it touches the node's continuation, and the coroutine resumes.
        Scheduler scheduler = Coroutine.Schedulers[0];
        var ev = new Event();
        bool resumed = false;
        var done = new WaitGroup(2);
        scheduler.Go(async () =>
        {
            ValueTask<bool> wait = ev.WaitAsync(5_000);
            Thread.Sleep(300);
            Volatile.Write(ref resumed, await wait);
            done.Done();
        });
        scheduler.Go(() =>
        {
            Coroutine.Sleep(signalWhileDetached ? 150 : 600); // on the new holder while the other is detached, or after
            ev.Signal();
            done.Done();
        });
        await CoRun.Bound(Task.Run(done.Wait), "the detached awaiter");
        Assert.True(Volatile.Read(ref resumed));
    }

    /// <summary>The bypass report's count for this test's own call site (its lambdas are named after it).</summary>
    private static int RescuesHere() =>
        Coroutine.BlockingSites()
            .Where(site => site.CallSite.Contains(nameof(ADetachedCoroutine_RejoinsBeforeItTouchesAHolderOnlyStructure), StringComparison.Ordinal))
            .Sum(site => site.Count);

    private static void Guard(ref int failures, WaitGroup finished, Action body)
    {
        try
        {
            body();
        }
        catch (Exception)
        {
            Interlocked.Increment(ref failures);
        }
        finally
        {
            finished.Done();
        }
    }
}
