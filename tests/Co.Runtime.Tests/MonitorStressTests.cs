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
        int rescues = 0;
        var pool = new Pool<object>(() =>
        {
            Interlocked.Increment(ref created);
            return new object();
        }, null);
        EventHandler<SchedulerBlockedEventArgs> onBlocked = (_, _) => Interlocked.Increment(ref rescues);
        Coroutine.SchedulerBlocked += onBlocked;
        var finished = new WaitGroup(3 * pairs);
        var spawned = new WaitGroup(pairs * rounds);
        try
        {
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
            Assert.True(rescues > 0, $"the monitor never stepped in ({watch.ElapsedMilliseconds} ms): the test did not test the protocol");

            // Every object the pool made is back in it, once: a pool touched by two threads at a time loses or doubles some.
            int size = await CoRun.Sync(() => pool.Size, scheduler);
            Assert.Equal(Volatile.Read(ref created), size);
        }
        finally
        {
            Coroutine.SchedulerBlocked -= onBlocked;
        }
    }

    [Theory]
    [InlineData("pool")]
    [InlineData("signal")]
    [InlineData("go")]
    public async Task ADetachedCoroutine_RejoinsBeforeItTouchesAHolderOnlyStructure(string touch)
    {
        // A coroutine blocks its thread for 300 ms, so the monitor detaches it; then, without suspending, it touches a
        // holder-only structure: the pool's store, the run queue (waking a coroutine of its scheduler), the id table and
        // run queue (starting one). It must rejoin its scheduler first — which raises SchedulerBlocked — not after.
        Scheduler scheduler = Coroutine.Schedulers[0];
        var pool = new Pool<object>(() => new object(), null);
        var woken = new Event();
        int blockerId = -1;
        int reportedBeforeTheTouchReturned = -1;
        int reportsForBlocker = 0;
        EventHandler<SchedulerBlockedEventArgs> onBlocked = (_, report) =>
        {
            if (report.CoroutineId == Volatile.Read(ref blockerId))
            {
                Interlocked.Increment(ref reportsForBlocker);
            }
        };
        Coroutine.SchedulerBlocked += onBlocked;
        try
        {
            var done = new WaitGroup(2);
            scheduler.Go(() =>
            {
                woken.Wait(); // a waiter on the same scheduler, for "signal"
                done.Done();
            });
            scheduler.Go(() =>
            {
                Volatile.Write(ref blockerId, Coroutine.Id);
                object item = pool.Pop()!;
                Thread.Sleep(300);
                switch (touch)
                {
                    case "pool": pool.Push(item); break;
                    case "signal": woken.Signal(); break;
                    default: scheduler.Go(() => { }); break;
                }

                Volatile.Write(ref reportedBeforeTheTouchReturned, Volatile.Read(ref reportsForBlocker));
                if (touch != "signal")
                {
                    woken.Signal();
                }

                done.Done();
            });
            await CoRun.Bound(Task.Run(done.Wait), "the blocking coroutine and its partner");
            Assert.Equal(1, reportedBeforeTheTouchReturned);
        }
        finally
        {
            Coroutine.SchedulerBlocked -= onBlocked;
        }
    }

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
