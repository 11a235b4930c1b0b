using System.Runtime.InteropServices;
using Co;
using Co.Testing;

/// <summary>
/// The blocked-scheduler monitor, in a process of its own (it is configured once per process): on ONE scheduler, a
/// coroutine blocks its thread in a call the runtime never sees — Task.Result on a slow task, a lock held by a plain
/// thread, a synchronous read of a FIFO — for 500 ms while a ticker coroutine of the same scheduler sleeps 5 ms at a
/// time. With the monitor (the default options: on, 20 ms) the ticker keeps ticking; the blocked coroutine then rejoins,
/// carries on through the scheduler's own structures (sleep, yield, Pool), and is reported with the system call it was
/// blocked in. A coroutine that computes for as long is not handed off (it is not blocked). Without the monitor
/// (threshold 0, the control) the ticker stops. Prints RESULT lines for the test to check.
/// </summary>
internal static partial class MonitorScenario
{
    private const int BlockMs = 500;

    /// <summary>With the monitor (the default options).</summary>
    [Scenario("monitor")]
    public static void Monitored() => Run(monitored: true);

    /// <summary>The control of <see cref="Monitored"/>: threshold 0, no monitor.</summary>
    [Scenario("monitor-off")]
    public static void Unmonitored() => Run(monitored: false);

    public static void Run(bool monitored)
    {
        Coroutine.Configure(o =>
        {
            o.SchedulerCount = 1;
            if (!monitored)
            {
                o.BlockedSchedulerThreshold = TimeSpan.Zero;
            }
        });
        var reports = new List<SchedulerBlockedEventArgs>();
        Coroutine.SchedulerBlocked += (_, report) =>
        {
            lock (reports)
            {
                reports.Add(report);
            }
        };

        string fifo = Path.Combine(Path.GetTempPath(), $"co-monitor-{Environment.ProcessId}.fifo");
        if (MkFifo(fifo, Convert.ToUInt32("600", 8)) != 0)
        {
            throw new ScenarioFailedException("mkfifo failed");
        }

        try
        {
            var locked = new object();
            foreach ((string name, Action block) in new (string, Action)[]
            {
                ("task-result", () => _ = Task.Run(async () => { await Task.Delay(BlockMs); return 1; }).Result),
                ("lock", () =>
                {
                    using var held = new ManualResetEventSlim();
                    var holder = new Thread(() =>
                    {
                        lock (locked)
                        {
                            held.Set();
                            Thread.Sleep(BlockMs);
                        }
                    });
                    holder.Start();
                    held.Wait();
                    lock (locked) // blocks until the plain thread lets go
                    {
                    }
                }),
                ("fifo", () =>
                {
                    var writer = new Thread(() => { Thread.Sleep(BlockMs); File.WriteAllText(fifo, "x"); });
                    writer.Start();
                    using FileStream reader = File.OpenRead(fifo); // blocks until the writer opens its end
                    reader.ReadByte();
                }),
                ("compute", () =>
                {
                    var spinning = System.Diagnostics.Stopwatch.StartNew();
                    while (spinning.ElapsedMilliseconds < BlockMs)
                    {
                        Thread.SpinWait(100);
                    }
                }),
            })
            {
                int reportsBefore;
                lock (reports)
                {
                    reportsBefore = reports.Count;
                }

                (int ticks, bool carriedOn, int blockerId) = Case(block);
                Console.Out.WriteLine($"RESULT {name}_ticks={ticks}");
                Console.Out.WriteLine($"RESULT {name}_carried_on={carriedOn}");
                // The event comes on the thread pool, shortly after the rejoin: wait for it (bounded; 300 ms is plenty for
                // one that never comes, the computing case's). Ids are reused once a coroutine ends: only this case's
                // reports count.
                SchedulerBlockedEventArgs? report = null;
                var waiting = System.Diagnostics.Stopwatch.StartNew();
                while (report is null && waiting.ElapsedMilliseconds < (name == "compute" ? 300 : 5_000))
                {
                    lock (reports)
                    {
                        report = reports.Skip(reportsBefore).FirstOrDefault(r => r.CoroutineId == blockerId);
                    }

                    Thread.Sleep(report is null ? 10 : 0);
                }

                Console.Out.WriteLine($"RESULT {name}_reported={report is not null}");
                Console.Out.WriteLine($"RESULT {name}_blocked_in={report?.BlockedIn?.Replace(' ', '_') ?? "none"}");
            }
        }
        finally
        {
            File.Delete(fifo);
        }

        // the scheduler is whole afterwards: 200 coroutines ping-pong through events and a pool
        var pool = new Pool<object>(() => new object(), null);
        var finished = new WaitGroup(200);
        var events = Enumerable.Range(0, 201).Select(_ => new Event()).ToArray();
        for (int i = 0; i < 200; i++)
        {
            int index = i;
            Coroutine.Go(() =>
            {
                events[index].Wait();
                pool.Push(pool.Pop());
                events[index + 1].Signal();
                finished.Done();
            });
        }

        events[0].Signal();
        bool whole = Task.Run(finished.Wait).Wait(TimeSpan.FromSeconds(20));
        Console.Out.WriteLine($"RESULT whole_after={whole}");
        lock (reports)
        {
            Console.Out.WriteLine($"RESULT reports={reports.Count}");
            Console.Out.WriteLine($"RESULT report_min_ms={(reports.Count == 0 ? 0 : reports.Min(r => (long)r.BlockedFor.TotalMilliseconds))}");
            Console.Out.WriteLine($"RESULT report_has_stack={reports.All(r => r.StackAtRejoin.Contains("MonitorScenario", StringComparison.Ordinal))}");
        }

        IReadOnlyList<BlockingSite> sites = Coroutine.BlockingSites();
        BlockingSite? top = sites.Count > 0 ? sites[0] : null;
        Console.Out.WriteLine($"RESULT top_site={top?.CallSite.Replace(' ', '_')}");
        Console.Out.WriteLine($"RESULT top_site_count={top?.Count ?? 0}");
        Console.Out.WriteLine($"RESULT top_site_total_ms={(long)(top?.Total.TotalMilliseconds ?? 0)}");
        Console.Out.WriteLine($"RESULT sites={string.Join(';', sites.Select(site => $"{site.BlockedIn}x{site.Count}"))}");
    }

    /// <summary>Runs <paramref name="block"/> in a coroutine next to a ticker on the same scheduler; returns the ticks
    /// made while it blocked, whether the blocker then carried on through the scheduler's structures, and its id.</summary>
    private static (int Ticks, bool CarriedOn, int BlockerId) Case(Action block)
    {
        int ticks = 0;
        bool blocking = false;
        bool carriedOn = false;
        int blockerId = -1;
        var done = new WaitGroup(2);
        var pool = new Pool<byte[]>(() => new byte[16], null);
        Coroutine.Go(() =>
        {
            blockerId = Coroutine.Id;
            Coroutine.Sleep(20); // let the ticker start
            Volatile.Write(ref blocking, true);
            block();
            Volatile.Write(ref blocking, false);
            Coroutine.Sleep(5);
            Coroutine.Yield();
            pool.Push(pool.Pop());
            Volatile.Write(ref carriedOn, true);
            done.Done();
        });
        Coroutine.Go(() =>
        {
            // Bounded (10 s): ticks counted only while the other coroutine is inside its blocking call.
            for (int i = 0; i < 2000 && !Volatile.Read(ref carriedOn); i++)
            {
                Coroutine.Sleep(5);
                if (Volatile.Read(ref blocking))
                {
                    Interlocked.Increment(ref ticks);
                }
            }

            done.Done();
        });
        bool finished = Task.Run(done.Wait).Wait(TimeSpan.FromSeconds(20));
        return (ticks, finished && carriedOn, blockerId);
    }

    [LibraryImport("libc", EntryPoint = "mkfifo", StringMarshalling = StringMarshalling.Utf8)]
    private static partial int MkFifo(string path, uint mode);
}
