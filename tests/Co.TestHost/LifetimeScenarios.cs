using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using Co.Testing;
using static Co.TestHost.ScenarioSupport;

namespace Co.TestHost;

/// <summary>The runtime's end: Stop, an unhandled exception in a coroutine, Main returning with coroutines parked.</summary>
internal static class LifetimeScenarios
{
    // Run coroutines, Stop(), then every Go form must throw InvalidOperationException.
    [Scenario("stop")]
    internal static void Stop()
    {
        Coroutine.Configure(o => o.SchedulerCount = 2);
        if (!RunSyncBounded(() => Coroutine.Sleep(1))) throw Fail("sync coroutine did not run");
        if (!RunAsyncBounded(async () => await Coroutine.SleepAsync(1))) throw Fail("async coroutine did not run");
        var s0 = Coroutine.Schedulers[0];
        // Coroutines still parked when Stop is called: Stop does not wait for them.
        var parked = new WaitGroup(4);
        var never = new Event();
        Coroutine.Go(() => { parked.Done(); Coroutine.Sleep(600_000); });
        Coroutine.Go(async () => { parked.Done(); await Coroutine.SleepAsync(600_000); });
        Coroutine.Go(() => { parked.Done(); never.Wait(); });
        Coroutine.Go(async () => { parked.Done(); await never.WaitAsync(); });
        if (!WaitBounded(parked)) throw Fail("parked coroutines did not start");
        Thread.Sleep(50);

        var sw = System.Diagnostics.Stopwatch.StartNew();
        var stopThread = new Thread(Coroutine.Stop) { IsBackground = true };
        stopThread.Start();
        if (!stopThread.Join(Bound)) throw Fail("Stop() did not return within 30 s");
        Console.Out.WriteLine($"RESULT stopped=1 stop_ms={sw.ElapsedMilliseconds}");

        string? second = null;
        var again = new Thread(() => second = Catch(Coroutine.Stop) ?? "none") { IsBackground = true };
        again.Start();
        Console.Out.WriteLine($"RESULT second_stop={(again.Join(Bound) ? second : "hang")}");

        Console.Out.WriteLine("RESULT " + string.Join(' ',
            "go_action=" + (Catch(() => Coroutine.Go(() => { })) ?? "none"),
            "go_action_t=" + (Catch(() => Coroutine.Go((int x) => { }, 1)) ?? "none"),
            "go_func=" + (Catch(() => Coroutine.Go(() => Task.CompletedTask)) ?? "none"),
            "go_func_t=" + (Catch(() => Coroutine.Go((int x) => Task.CompletedTask, 1)) ?? "none"),
            "sched_go_action=" + (Catch(() => s0.Go(() => { })) ?? "none"),
            "sched_go_action_t=" + (Catch(() => s0.Go((int x) => { }, 1)) ?? "none"),
            "sched_go_func=" + (Catch(() => s0.Go(() => Task.CompletedTask)) ?? "none"),
            "sched_go_func_t=" + (Catch(() => s0.Go((int x) => Task.CompletedTask, 1)) ?? "none")));
    }

    // Arguments: sync|async. No handler attached. A coroutine throws; the runtime must write its id to stderr and
    // keep running other coroutines (on the same scheduler) afterwards.
    [Scenario("unhandled")]
    internal static void Unhandled(string[] args)
    {
        Coroutine.Configure(o => o.SchedulerCount = 2);
        bool async = args.Length > 0 && args[0] == "async";
        var s = Coroutine.Schedulers[1];

        // Park some coroutines first so the thrower's id is not a trivially small number.
        var park = new Event(manualReset: true);
        var parked = new WaitGroup(10);
        for (int i = 0; i < 10; i++)
            s.Go(() => { parked.Done(); park.Wait(); });
        if (!WaitBounded(parked)) throw Fail("parked coroutines did not start");

        var idReady = new ManualResetEventSlim();
        int id = -100;
        if (async)
        {
            s.Go(async () =>
            {
                id = Coroutine.Id;
                idReady.Set();
                await Coroutine.SleepAsync(20);
                throw new InvalidOperationException("boom-unhandled-marker-async");
            });
        }
        else
        {
            s.Go((Action)(() =>
            {
                id = Coroutine.Id;
                idReady.Set();
                Coroutine.Sleep(20);
                throw new InvalidOperationException("boom-unhandled-marker-sync");
            }));
        }
        if (!idReady.Wait(Bound)) throw Fail("throwing coroutine did not run");
        Console.Out.WriteLine($"RESULT thrower_id={id} thrower_sched={s.Id}");
        Thread.Sleep(500); // let it throw and the runtime report it

        // The same scheduler keeps running coroutines, both kinds.
        var after = new ManualResetEventSlim();
        var afterAsync = new ManualResetEventSlim();
        s.Go(() => { Coroutine.Sleep(5); after.Set(); });
        s.Go(async () => { await Coroutine.SleepAsync(5); afterAsync.Set(); });
        bool ok = after.Wait(Bound) && afterAsync.Wait(Bound);
        park.Signal();
        Console.Out.WriteLine($"RESULT after_ok={ok}");
        Console.Out.Flush();
        Console.Error.Flush();
    }

    // Coroutines parked forever (sync and async) must not keep the process alive once Main
    // returns (co's programs just return from main; stop() is optional).
    [Scenario("exit-without-stop", ReturnsFromMain = true)]
    internal static void ExitWithoutStop()
    {
        Coroutine.Configure(o => o.SchedulerCount = 2);
        var never = new Event();
        var started = new WaitGroup(4);
        for (int i = 0; i < 2; i++)
        {
            Coroutine.Go(() => { started.Done(); never.Wait(); });
            Coroutine.Go(async () => { started.Done(); await never.WaitAsync(); });
        }
        if (!WaitBounded(started)) throw Fail("coroutines did not start");
        Console.Out.WriteLine("RESULT main_returning=1");
        Console.Out.Flush();
    }
}
