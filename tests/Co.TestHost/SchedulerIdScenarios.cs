using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using Co.Testing;
using static Co.TestHost.ScenarioSupport;

namespace Co.TestHost;

/// <summary>Scheduler count and coroutine ids, as CO_SCHED_NUM and Configure set them.</summary>
internal static class SchedulerIdScenarios
{
    // ---------------------------------------------------------------------------------------------------
    // Arguments: [configureCount].
    //   Optionally Configure(SchedulerCount = configureCount) first. Then starts, all at once and all kept alive
    //   until every one has recorded itself: 8 sync + 8 async coroutines per scheduler through Coroutine.Go
    //   (round-robin), and 4 sync + 4 async per scheduler through Scheduler.Go. Each prints
    //   `CO via=go|sched:K kind=sync|async sid=S id=I cur=C`. Also prints the outside values.
    // ---------------------------------------------------------------------------------------------------
    [Scenario("ids")]
    internal static void Ids(string[] args)
    {
        if (args.Length > 0)
        {
            int n = int.Parse(args[0], System.Globalization.CultureInfo.InvariantCulture);
            Coroutine.Configure(o => o.SchedulerCount = n);
        }
        Console.Out.WriteLine($"RESULT outside_id={Coroutine.Id} outside_sid={Coroutine.SchedulerId} " +
                              $"outside_cur={(Coroutine.CurrentScheduler is null ? "null" : "set")} " +
                              $"outside_in={Coroutine.IsInCoroutine}");

        int count = Coroutine.SchedulerCount;
        var schedulers = Coroutine.Schedulers;
        var lines = new ConcurrentQueue<string>();
        var gate = new Event(manualReset: true);
        int viaGo = 16 * count, viaSched = 8 * count;
        int total = viaGo + viaSched;
        var recorded = new WaitGroup(total);
        var finished = new WaitGroup(total);

        void Record(string via, string kind)
        {
            int sid = Coroutine.SchedulerId;
            int id = Coroutine.Id;
            string cur = Coroutine.CurrentScheduler is { } s ? s.Id.ToString(System.Globalization.CultureInfo.InvariantCulture) : "null";
            lines.Enqueue($"CO via={via} kind={kind} sid={sid} id={id} cur={cur} in={Coroutine.IsInCoroutine}");
        }

        for (int i = 0; i < viaGo; i++)
        {
            if (i % 2 == 0)
            {
                Coroutine.Go(() =>
                {
                    Record("go", "sync");
                    recorded.Done();
                    gate.Wait();
                    finished.Done();
                });
            }
            else
            {
                Coroutine.Go(async () =>
                {
                    Record("go", "async");
                    int sid0 = Coroutine.SchedulerId, id0 = Coroutine.Id;
                    recorded.Done();
                    await gate.WaitAsync();
                    bool same = sid0 == Coroutine.SchedulerId && id0 == Coroutine.Id;
                    lines.Enqueue($"AFTER id={id0} same={same}");
                    finished.Done();
                });
            }
        }
        for (int k = 0; k < count; k++)
        {
            var s = schedulers[k];
            string via = "sched:" + k.ToString(System.Globalization.CultureInfo.InvariantCulture);
            for (int j = 0; j < 4; j++)
            {
                s.Go(() =>
                {
                    Record(via, "sync");
                    recorded.Done();
                    gate.Wait();
                    finished.Done();
                });
                s.Go(async () =>
                {
                    Record(via, "async");
                    recorded.Done();
                    await gate.WaitAsync();
                    finished.Done();
                });
            }
        }
        if (!WaitBounded(recorded)) throw Fail($"not all coroutines started: {recorded.Count} of {total} missing");
        gate.Signal();
        if (!WaitBounded(finished)) throw Fail($"not all coroutines finished: {finished.Count} of {total} missing");

        foreach (var l in lines) Console.Out.WriteLine(l);
        Console.Out.WriteLine($"RESULT count={count} schedulers={schedulers.Count} total={total} " +
                              $"sched_ids={string.Join(',', schedulers.Select(s => s.Id))}");
    }

    // Scheduler count without Configure (CO_SCHED_NUM as set by the parent, or unset).
    [Scenario("default-count")]
    internal static void DefaultCount()
    {
        var opts = new CoroutineOptions();
        Console.Out.WriteLine($"RESULT options_default={opts.SchedulerCount}");
        if (!RunSyncBounded(() => { })) throw Fail("coroutine did not run");
        Console.Out.WriteLine($"RESULT count={Coroutine.SchedulerCount} schedulers={Coroutine.Schedulers.Count} " +
                              $"cpus={Environment.ProcessorCount}");
    }
}
