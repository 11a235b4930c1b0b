using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using System.Globalization;
using Co.Testing;
using static Co.TestHost.ScenarioSupport;

namespace Co.TestHost;

/// <summary>Sync coroutines at the OS thread limit: the test runs this host with a pids cgroup whose path it passes.</summary>
internal static class ThreadLimitScenario
{
    // Arguments: CGROUP COUNT. Moves this process into the pids cgroup CGROUP (its pids.max set low by the test), then
    // parks COUNT sync coroutines (more than the limit allows threads) on one manual-reset Event and signals it from
    // this thread. Expected: no wait throws, the coroutines that could not get a thread are held back before their start
    // (Dump: WaitingForThread, meter: co.coroutines.waiting_for_thread, co.threads.refused), Signal returns, and every
    // coroutine finishes. Prints RESULT lines (started_before_signal, held, meter readings,
    // dump_reports_limit, signal_returned, escaped, finished) and the dump's line about the limit (DUMP).
    [Scenario("thread-limit")]
    internal static void HeldBackUntilAThreadIsFree(string[] args)
    {
        string cgroup = args[0];
        int count = int.Parse(args[1], CultureInfo.InvariantCulture);
        Coroutine.Configure(o => o.SchedulerCount = 2);
        var meter = new CoMeterReadings();

        // Everything this process needs a thread for besides the coroutines starts before the limit applies.
        if (!RunSyncBounded(() => Coroutine.Sleep(1))) throw Fail("the warm-up coroutine did not finish");
        Coroutine.DumpTo(TextWriter.Null);
        meter.Read();
        Console.Out.WriteLine($"RESULT limit_joined={cgroup}"); // the console, too, is set up before the limit applies
        File.WriteAllText(Path.Combine(cgroup, "cgroup.procs"), Environment.ProcessId.ToString(CultureInfo.InvariantCulture));

        var gate = new Event(manualReset: true);
        int started = 0, finished = 0;
        var escaped = new ConcurrentQueue<Exception>();
        var finishedAll = new CountdownEvent(count); // waited on here: a waiting thread would need a thread of its own
        for (int i = 0; i < count; i++)
        {
            Coroutine.Go(() =>
            {
                Interlocked.Increment(ref started);
                try
                {
                    gate.Wait();
                    Interlocked.Increment(ref finished);
                }
                catch (Exception e)
                {
                    escaped.Enqueue(e);
                }
                finally
                {
                    finishedAll.Signal();
                }
            });
        }

        // Settled: every coroutine has either started (and parked) or is held back, as the dump says.
        int held = -1;
        var clock = System.Diagnostics.Stopwatch.StartNew();
        while (clock.Elapsed < Bound && escaped.IsEmpty)
        {
            held = Coroutine.Dump().Count(c => c.State == CoroutineState.WaitingForThread);
            if (held + Volatile.Read(ref started) == count)
            {
                break;
            }

            Thread.Sleep(20);
        }

        if (!escaped.IsEmpty)
        {
            throw Fail($"{escaped.Count} wait(s) threw into the coroutine, first: {escaped.First()}");
        }

        int startedBeforeSignal = Volatile.Read(ref started);
        if (held + startedBeforeSignal != count) throw Fail($"did not settle: {startedBeforeSignal} started, {held} held back, of {count}");
        meter.Read();
        var dump = new StringWriter();
        Coroutine.DumpTo(dump);
        string limitLine = dump.ToString().Split('\n').FirstOrDefault(l => l.Contains("thread limit", StringComparison.Ordinal))?.Trim() ?? "none";
        Console.Out.WriteLine($"RESULT started_before_signal={startedBeforeSignal}");
        Console.Out.WriteLine($"RESULT held={held}");
        Console.Out.WriteLine($"RESULT meter_waiting={meter.Sum("co.coroutines.waiting_for_thread")}");
        Console.Out.WriteLine($"RESULT refused={meter.Sum("co.threads.refused")}");
        Console.Out.WriteLine($"RESULT threads={meter.Sum("co.threads")}");
        Console.Out.WriteLine($"DUMP {limitLine}");
        Console.Out.WriteLine($"RESULT dump_reports_limit={limitLine != "none"}");

        gate.Signal();
        Console.Out.WriteLine("RESULT signal_returned=True");
        if (!finishedAll.Wait(Bound)) throw Fail($"only {Volatile.Read(ref finished)} of {count} coroutines finished");
        meter.Read();
        Console.Out.WriteLine($"RESULT escaped={escaped.Count}");
        Console.Out.WriteLine($"RESULT finished={Volatile.Read(ref finished)}");
        Console.Out.WriteLine($"RESULT meter_waiting_after={meter.Sum("co.coroutines.waiting_for_thread")}");
    }

    /// <summary>The latest value of each instrument of the meter "Co", per scheduler.</summary>
    private sealed class CoMeterReadings
    {
        private readonly ConcurrentDictionary<(string Instrument, object? Scheduler), long> _values = new();
        private readonly MeterListener _listener = new();

        public CoMeterReadings()
        {
            _listener.InstrumentPublished = (instrument, listener) =>
            {
                if (instrument.Meter.Name == "Co") listener.EnableMeasurementEvents(instrument);
            };
            _listener.SetMeasurementEventCallback<long>((instrument, value, tags, _) =>
            {
                object? scheduler = null;
                foreach (var tag in tags) if (tag.Key == "scheduler") scheduler = tag.Value;
                _values[(instrument.Name, scheduler)] = value;
            });
            _listener.Start();
        }

        public void Read() => _listener.RecordObservableInstruments();

        public long Sum(string instrument) => _values.Where(v => v.Key.Instrument == instrument).Sum(v => v.Value);
    }
}
