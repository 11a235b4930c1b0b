using System.Diagnostics;
using Co;
using Co.Hook.Managed.Replacements;
using Co.Testing;

/// <summary>Scenarios of the managed hook layer: Thread.Sleep.</summary>
internal static partial class ManagedScenarios
{
    /// <summary>ThreadSleep with the hooks on.</summary>
    [Scenario("thread-sleep")]
    public static void ThreadSleepHooked() => ThreadSleep(hooks: true);

    /// <summary>The control of <see cref="ThreadSleepHooked"/>: ThreadSleep without the hooks.</summary>
    [Scenario("thread-sleep-unhooked")]
    public static void ThreadSleepUnhooked()
    {
        Controls.WithoutMonitor();
        ThreadSleep(hooks: false);
    }

    /// <summary>
    /// Thread.Sleep(200) in 1000 sync coroutines on one scheduler: with hooks they all sleep at once; without (the
    /// control, 10 coroutines) one after another. On a plain thread Thread.Sleep still sleeps, undiverted.
    /// </summary>
    public static void ThreadSleep(bool hooks)
    {
        int sleepers = hooks ? 1000 : 10;
        const int sleepMs = 200;
        Coroutine.Configure(o => o.SchedulerCount = 1);
        if (hooks)
        {
            Hooks.Enable();
            RequireHooked("Thread.Sleep(int)");
        }

        int asleep = 0;
        int maxAsleep = 0;
        var watch = Stopwatch.StartNew();
        CoroutineRun.All(sleepers, _ =>
        {
            InterlockedMax(ref maxAsleep, Interlocked.Increment(ref asleep));
            var own = Stopwatch.StartNew();
            Thread.Sleep(sleepMs);
            Scenarios.Check(own.ElapsedMilliseconds >= sleepMs - 1, $"a coroutine's Thread.Sleep({sleepMs}) returned after {own.ElapsedMilliseconds} ms");
            Interlocked.Decrement(ref asleep);
        }, TimeSpan.FromSeconds(60));
        long elapsed = watch.ElapsedMilliseconds;
        Console.WriteLine($"ELAPSED {elapsed} MAX-ASLEEP {maxAsleep}");
        if (hooks)
        {
            Scenarios.Check(maxAsleep >= sleepers * 9 / 10 && elapsed < sleepers * sleepMs / 10, $"{sleepers} sleeps: {elapsed} ms, at most {maxAsleep} at once");
            long diverted = ManagedDivertCounters.Count;
            var plain = Stopwatch.StartNew();
            Thread.Sleep(sleepMs);
            Scenarios.Check(plain.ElapsedMilliseconds >= sleepMs - 1 && ManagedDivertCounters.Count == diverted, "Thread.Sleep on a plain thread was diverted or did not sleep");
        }
        else
        {
            Scenarios.Check(elapsed >= sleepers * sleepMs * 9 / 10 && maxAsleep == 1, $"without hooks {sleepers} sleeps took {elapsed} ms, {maxAsleep} at once: not serialized");
        }
    }
}
