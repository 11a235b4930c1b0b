using System.Runtime.InteropServices;
using Co;
using Co.Hook;
using Co.Testing;

/// <summary>Scenarios of the hook layer: native sleeps.</summary>
internal static partial class HookScenarios
{
    /// <summary>NativeSleep with the hooks on.</summary>
    [Scenario("native-sleep")]
    public static void NativeSleepHooked() => NativeSleep(hooks: true);

    /// <summary>The control of <see cref="NativeSleepHooked"/>: NativeSleep without the hooks.</summary>
    [Scenario("native-sleep-unhooked")]
    public static void NativeSleepUnhooked()
    {
        Controls.WithoutMonitor();
        NativeSleep(hooks: false);
    }

    /// <summary>DOTNET_STARTUP_HOOKS (set by the test to Co.Hooks.Startup.dll) enabled the hooks before Main: the
    /// hooked native sleeps overlap without a call to Hooks.Enable here.</summary>
    [Scenario("startup-hook")]
    public static void StartupHook()
    {
        Scenarios.Check(Hooks.IsEnabled, "DOTNET_STARTUP_HOOKS did not enable the hooks before Main");
        NativeSleep(hooks: true, enableHere: false);
    }

    /// <summary>100 sync coroutines on one scheduler call libc's usleep(200 ms) through P/Invoke: with hooks they sleep
    /// at once (well under 100 × 200 ms); without, one after another. nanosleep on a plain thread still sleeps.</summary>
    public static unsafe void NativeSleep(bool hooks, bool enableHere = true)
    {
        int coroutines = hooks ? 100 : 10;
        const int sleepMs = 200;
        Coroutine.Configure(o => o.SchedulerCount = 1);
        if (hooks)
        {
            if (enableHere)
            {
                Hooks.Enable();
            }

            Scenarios.Check(Hooks.Status["usleep"].State == HookState.Hooked, "usleep: " + Hooks.Status["usleep"]);
        }

        var done = new WaitGroup(coroutines);
        var watch = System.Diagnostics.Stopwatch.StartNew();
        for (int i = 0; i < coroutines; i++)
        {
            Coroutine.Go(() =>
            {
                RawLibc.USleep(sleepMs * 1000);
                done.Done();
            });
        }

        Scenarios.Check(Task.Run(done.Wait).Wait(TimeSpan.FromSeconds(30)), "the sleepers did not finish within 30 s");
        long elapsed = watch.ElapsedMilliseconds;
        Console.WriteLine($"ELAPSED {elapsed}");
        Scenarios.Check(elapsed >= sleepMs - 5, $"the sleeps returned after {elapsed} ms, sooner than {sleepMs}");
        if (hooks)
        {
            Scenarios.Check(elapsed < coroutines * sleepMs / 10, $"with hooks, {coroutines} usleeps took {elapsed} ms on one scheduler: not concurrent");
        }
        else
        {
            Scenarios.Check(elapsed >= coroutines * sleepMs * 9 / 10, $"without hooks, {coroutines} usleeps took only {elapsed} ms");
        }

        long* request = stackalloc long[2];
        request[0] = 0;
        request[1] = 100_000_000;
        var plain = System.Diagnostics.Stopwatch.StartNew();
        Scenarios.Check(RawLibc.NanoSleep(request, null) == 0, "nanosleep on a plain thread failed");
        Scenarios.Check(plain.ElapsedMilliseconds >= 95, $"nanosleep(100 ms) on a plain thread returned after {plain.ElapsedMilliseconds} ms");
        request[1] = 2_000_000_000;
        Scenarios.Check(RawLibc.NanoSleep(request, null) == -1 && Marshal.GetLastPInvokeError() == 22, "nanosleep with a bad timespec on a plain thread must fail with EINVAL");
    }
}
