using Co;
using Co.Hook.Gates;
using Co.Testing;

/// <summary>Scenarios of the descriptor-level hooks: the diverted-call counters and the co.hooks.diverted
/// metric.</summary>
internal static unsafe partial class DescriptorScenarios
{
    /// <summary>
    /// The gates count what they divert, per function, and the meter "Co" publishes it as co.hooks.diverted: five
    /// usleeps in a coroutine count five, one on a plain thread none; the managed layer's appear per method (one
    /// Thread.Sleep in a coroutine counts one).
    /// </summary>
    [Scenario("hook-metrics")]
    public static void HookMetrics()
    {
        Coroutine.Configure(o => o.SchedulerCount = 1);
        Hooks.Enable();
        long before = NativeDivertCounters.Read("usleep");
        CoroutineRun.All(1, _ =>
        {
            for (int i = 0; i < 5; i++)
            {
                Native.USleep(1000);
            }

            Thread.Sleep(1); // the managed layer's Thread.Sleep
        });
        Native.USleep(1000); // a plain thread: not diverted, not counted
        long counted = NativeDivertCounters.Read("usleep") - before;
        Scenarios.Check(counted == 5, $"the usleep gate counted {counted} diverted calls, expected 5");

        var published = new Dictionary<string, long>();
        using var listener = new System.Diagnostics.Metrics.MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Name == "Co" && instrument.Name == "co.hooks.diverted")
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<long>((_, value, tags, _) =>
        {
            foreach (KeyValuePair<string, object?> tag in tags)
            {
                if (tag.Key == "function" && tag.Value is string function)
                {
                    published[function] = value;
                }
            }
        });
        listener.Start();
        listener.RecordObservableInstruments();
        long sleeps = published.GetValueOrDefault("Thread.Sleep(int)");
        Console.WriteLine($"PUBLISHED usleep={published.GetValueOrDefault("usleep")} Thread.Sleep={sleeps} functions={published.Count}");
        Scenarios.Check(published.GetValueOrDefault("usleep") == NativeDivertCounters.Read("usleep") && sleeps == 1,
            $"co.hooks.diverted published usleep={published.GetValueOrDefault("usleep")}, Thread.Sleep(int)={sleeps} (expected 1)");
        Scenarios.Check(published.Count >= 40, $"co.hooks.diverted has {published.Count} functions and methods");
    }
}
