using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Globalization;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using System.Text.RegularExpressions;
using Co.Diagnostics;
using Xunit;

namespace Co.Tests;

/// <summary>
/// Coroutine.Dump (what every live coroutine waits on, from outside a coroutine, from inside one, and when a scheduler
/// is blocked), the signal-triggered dump, and the "Co" meter's instruments.
/// </summary>
public partial class DiagnosticsTests
{
    private const int SigUsr2 = 12;

    [Fact]
    public async Task Dump_ShowsWhatEachParkedCoroutineWaitsOn_AndForgetsFinishedOnes()
    {
        _ = Coroutine.Dump(); // the first dump turns the timing of waits on
        var gate = new Event(manualReset: true);
        var channel = new Chan<int>(1);
        int[] ids = [-1, -1, -1, -1];
        var done = new WaitGroup(4);
        using var sleepCancel = new CancellationTokenSource();
        nint[] pair = SocketPair();
        Coroutine.Go(() =>
        {
            ids[0] = Coroutine.Id;
            gate.Wait();
            done.Done();
        });
        Coroutine.Go(async () =>
        {
            ids[1] = Coroutine.Id;
            try
            {
                await Coroutine.SleepAsync(30_000, sleepCancel.Token);
            }
            catch (OperationCanceledException)
            {
            }

            done.Done();
        });
        Coroutine.Go(() =>
        {
            ids[2] = Coroutine.Id;
            channel.Read();
            done.Done();
        });
        Coroutine.Go(() =>
        {
            ids[3] = Coroutine.Id;
            Sock.Recv(pair[0], new byte[1]);
            done.Done();
        });

        Dictionary<int, CoroutineInfo> seen = await WaitForAsync(() =>
        {
            if (ids.Any(id => id < 0))
            {
                return null;
            }

            Dictionary<int, CoroutineInfo> byId = Coroutine.Dump().Where(c => ids.Contains(c.Id)).ToDictionary(c => c.Id);
            return ids.All(id => byId.TryGetValue(id, out CoroutineInfo? info) && info.State == CoroutineState.Waiting) ? byId : null;
        });

        Assert.Equal((CoroutineKind.Sync, "Event"), (seen[ids[0]].Kind, seen[ids[0]].WaitingOn));
        Assert.Equal(CoroutineKind.Async, seen[ids[1]].Kind);
        Assert.StartsWith("sleep (timeout in ", seen[ids[1]].WaitingOn);
        Assert.Equal((CoroutineKind.Sync, "Chan<Int32>"), (seen[ids[2]].Kind, seen[ids[2]].WaitingOn));
        Assert.Equal($"fd {pair[0]} read", seen[ids[3]].WaitingOn);
        Assert.All(ids, id => Assert.True(seen[id].WaitingFor >= TimeSpan.Zero));

        gate.Signal();
        sleepCancel.Cancel();
        channel.Write(1);
        byte one = 1;
        Assert.Equal(1, SendNative((int)pair[1], ref one, 1, 0));
        await CoRun.Bound(Task.Run(done.Wait), "the dumped coroutines finishing");
        await WaitForAsync(() => Coroutine.Dump().Any(c => ids.Contains(c.Id) && c.State == CoroutineState.Waiting) ? null : new object());
        Sock.Close(pair[0]);
        Sock.Close(pair[1]);
    }

    [Fact]
    public async Task Dump_FromInsideACoroutine_ListsItselfAsRunning()
    {
        CoroutineInfo? self = null;
        var done = new WaitGroup(1);
        Coroutine.Go(() =>
        {
            int id = Coroutine.Id;
            self = Coroutine.Dump().SingleOrDefault(c => c.Id == id);
            done.Done();
        });

        await CoRun.Bound(Task.Run(done.Wait), "the dumping coroutine");
        Assert.NotNull(self);
        Assert.Equal(CoroutineState.Running, self.State);
        Assert.Equal(CoroutineKind.Sync, self.Kind);
    }

    [Fact]
    public void Dump_OfABusyScheduler_ReturnsAfterItsTimeout_WithTheComputingCoroutineRunning()
    {
        int release = 0;
        int blockerId = -1;
        var started = new ManualResetEventSlim();
        Coroutine.Schedulers[0].Go(() =>
        {
            blockerId = Coroutine.Id;
            started.Set();
            var spinning = Stopwatch.StartNew();
            while (Volatile.Read(ref release) == 0 && spinning.ElapsedMilliseconds < 10_000)
            {
                Thread.SpinWait(100); // computing: the monitor leaves it alone, and scheduler 0 can't answer
            }
        });
        Assert.True(started.Wait(10_000));
        try
        {
            var watch = Stopwatch.StartNew();
            IReadOnlyList<CoroutineInfo> dump = Coroutine.Dump(timeoutMs: 200);
            Assert.True(watch.ElapsedMilliseconds < 5_000, $"the dump took {watch.ElapsedMilliseconds} ms");
            CoroutineInfo blocker = Assert.Single(dump, c => c.Id == blockerId && c.SchedulerId == Coroutine.Schedulers[0].Id);
            Assert.Equal(CoroutineState.Running, blocker.State);
        }
        finally
        {
            Volatile.Write(ref release, 1);
        }
    }

    [Fact]
    public void Dump_ShowsACoroutineTheMonitorHandedOff_AsBlocked_InItsSystemCall()
    {
        // The in-process runtime runs with the default options: the monitor is on (20 ms).
        using var release = new ManualResetEventSlim();
        int blockerId = -1;
        var started = new ManualResetEventSlim();
        Coroutine.Schedulers[0].Go(() =>
        {
            blockerId = Coroutine.Id;
            started.Set();
            release.Wait(10_000); // a wait the runtime cannot see: the thread sleeps on a futex
            Coroutine.Yield(); // rejoins here
        });
        Assert.True(started.Wait(10_000));
        try
        {
            // The scheduler answers once the monitor has handed it to another thread, a few tens of ms from now.
            IReadOnlyList<CoroutineInfo> dump = Coroutine.Dump(timeoutMs: 5_000);
            CoroutineInfo blocker = Assert.Single(dump, c => c.Id == blockerId && c.SchedulerId == Coroutine.Schedulers[0].Id);
            Assert.Equal(CoroutineState.Blocked, blocker.State);
            Assert.Equal("futex", blocker.WaitingOn);
            Assert.NotNull(blocker.WaitingFor);
            Assert.Contains("blocked in futex for", blocker.ToString(), StringComparison.Ordinal);
        }
        finally
        {
            release.Set();
        }
    }

    [Fact]
    public async Task Dump_NamesTaskAwaitsAndSelects()
    {
        var pending = new TaskCompletionSource();
        var channel = new Chan<int>(1);
        int[] ids = [-1, -1];
        var done = new WaitGroup(2);
        Coroutine.Go(() =>
        {
            ids[0] = Coroutine.Id;
            Coroutine.Await(pending.Task);
            done.Done();
        });
        Coroutine.Go(() =>
        {
            ids[1] = Coroutine.Id;
            new Select().Recv(channel, _ => { }).Run();
            done.Done();
        });

        Assert.True(await CoRun.Until(() => ids.All(id => id >= 0) && Coroutine.Dump().Count(c => ids.Contains(c.Id) && c.State == CoroutineState.Waiting) == 2));
        IReadOnlyList<CoroutineInfo> dump = Coroutine.Dump();
        Assert.Equal("Task", dump.Single(c => c.Id == ids[0]).WaitingOn);
        Assert.Equal("select", dump.Single(c => c.Id == ids[1]).WaitingOn);
        pending.SetResult();
        channel.Write(1);
        await CoRun.Bound(Task.Run(done.Wait), "the Task and select waiters");
    }

    [Fact]
    public void Dump_RejectsANegativeTimeout() =>
        Assert.Throws<ArgumentOutOfRangeException>(() => Coroutine.Dump(-1));

    [Fact]
    public async Task DumpSignal_WithTheVariableSet_WritesTheDumpOnSigusr2()
    {
        var output = new StringWriter();
        TextWriter previous = DumpSignal.Output;
        string? variable = Environment.GetEnvironmentVariable("CO_DUMP_SIGNAL");
        var gate = new Event(manualReset: true);
        int id = -1;
        var parked = new WaitGroup(1);
        var done = new WaitGroup(1);
        Coroutine.Go(() =>
        {
            id = Coroutine.Id;
            parked.Done();
            gate.Wait();
            done.Done();
        });
        try
        {
            DumpSignal.Output = TextWriter.Synchronized(output);
            Environment.SetEnvironmentVariable("CO_DUMP_SIGNAL", "1");
            DumpSignal.RegisterIfRequested();
            await CoRun.Bound(Task.Run(parked.Wait), "the coroutine parking");
            Assert.Equal(0, Kill(Environment.ProcessId, SigUsr2));
            var watch = Stopwatch.StartNew();
            while (!output.ToString().Contains($"coroutine {id} ", StringComparison.Ordinal) && watch.ElapsedMilliseconds < 10_000)
            {
                Thread.Sleep(20);
            }

            string text = output.ToString();
            Assert.Contains("live coroutine(s)", text);
            Assert.Contains($"coroutine {id} ", text);
        }
        finally
        {
            Environment.SetEnvironmentVariable("CO_DUMP_SIGNAL", variable);
            DumpSignal.Output = previous;
            gate.Signal();
            await CoRun.Bound(Task.Run(done.Wait), "the parked coroutine finishing");
        }
    }

    [Fact]
    public async Task BypassCounter_CountsTheMonitorsRescues_ByTheSystemCallTheyBlockedIn()
    {
        // The in-process runtime runs with the default options: the monitor is on (20 ms), the hooks are off.
        long before = ReadBypassed("futex");
        using var rejoined = new ManualResetEventSlim();
        Coroutine.Schedulers[0].Go(() =>
        {
            Thread.Sleep(300); // no hook in this process: the thread sleeps in the kernel (.NET's sleep is a futex wait)
            Coroutine.Yield(); // rejoins here, and is counted
            rejoined.Set();
        });
        await CoRun.Bound(Task.Run(() => rejoined.Wait()), "the sleeping coroutine rejoining");
        long after = ReadBypassed("futex");
        Assert.True(after - before >= 1, $"co.hooks.bypassed{{call=futex}}: {before} → {after}; sites: {string.Join("; ", Coroutine.BlockingSites())}");
    }

    /// <summary>co.hooks.bypassed for one system call, read through a MeterListener.</summary>
    private static long ReadBypassed(string call) => ReadCounter("co.hooks.bypassed", call);

    /// <summary>An observable counter of meter Co for one system call (tag <c>call</c>), read through a MeterListener.</summary>
    internal static long ReadCounter(string name, string call)
    {
        long value = 0;
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Name == CoMetrics.MeterName && instrument.Name == name)
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<long>((_, measured, tags, _) =>
        {
            foreach (KeyValuePair<string, object?> tag in tags)
            {
                if (tag.Key == "call" && Equals(tag.Value, call))
                {
                    value += measured;
                }
            }
        });
        listener.Start();
        listener.RecordObservableInstruments();
        return value;
    }

    [Fact]
    public async Task Meter_ReportsCreatedLiveSwitchesAndQueueLength_PerScheduler()
    {
        var values = new Dictionary<string, long>();
        var schedulerTags = new HashSet<int>();
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Name == CoMetrics.MeterName)
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<long>((instrument, value, tags, _) =>
        {
            lock (values)
            {
                values[instrument.Name] = values.GetValueOrDefault(instrument.Name) + value;
                foreach (KeyValuePair<string, object?> tag in tags)
                {
                    if (tag.Key == "scheduler" && tag.Value is int scheduler)
                    {
                        schedulerTags.Add(scheduler);
                    }
                }
            }
        });
        listener.Start();

        Dictionary<string, long> Read()
        {
            lock (values)
            {
                values.Clear();
            }

            listener.RecordObservableInstruments();
            lock (values)
            {
                return new Dictionary<string, long>(values);
            }
        }

        _ = Coroutine.SchedulerCount; // the schedulers (and the instruments) exist
        Dictionary<string, long> before = Read();
        var gate = new Event(manualReset: true);
        var done = new WaitGroup(10);
        for (int i = 0; i < 10; i++)
        {
            Coroutine.Go(() =>
            {
                gate.Wait();
                done.Done();
            });
        }

        Assert.True(await CoRun.Until(() => Coroutine.Dump().Count(c => c.WaitingOn == "Event") >= 10), "the coroutines did not park");
        Dictionary<string, long> during = Read();
        gate.Signal();
        await CoRun.Bound(Task.Run(done.Wait), "the counted coroutines");
        Dictionary<string, long> after = Read();

        Assert.True(after["co.coroutines.created"] - before["co.coroutines.created"] >= 10, $"created: {before["co.coroutines.created"]} → {after["co.coroutines.created"]}");
        Assert.True(after["co.switches"] - before["co.switches"] >= 20, $"switches: {before["co.switches"]} → {after["co.switches"]}");
        Assert.True(during.ContainsKey("co.coroutines.live") && after.ContainsKey("co.runqueue.length"));
        Assert.Equal(Enumerable.Range(0, Coroutine.SchedulerCount).ToHashSet(), schedulerTags);
    }

    /// <summary>
    /// Coroutines queued to a scheduler that is busy (a coroutine computing on it) show as that scheduler's run-queue
    /// length — in <see cref="Scheduler.RunQueueLength"/>, in the meter under its own "scheduler" tag, and in the
    /// dump's line for that scheduler — and not as another scheduler's.
    /// </summary>
    [Fact]
    public async Task RunQueueLength_OfABusyScheduler_CountsItsQueuedCoroutines_InTheApiTheMeterAndTheDump()
    {
        const int Queued = 50;
        Scheduler busy = CoRun.S(1);
        int release = 0;
        var started = new ManualResetEventSlim();
        using var finished = new CountdownEvent(Queued + 1);
        busy.Go(() =>
        {
            started.Set();
            var spinning = Stopwatch.StartNew();
            while (Volatile.Read(ref release) == 0 && spinning.ElapsedMilliseconds < 10_000)
            {
                Thread.SpinWait(100); // computing: the monitor leaves it alone, and the queue behind it waits
            }

            finished.Signal();
        });
        Assert.True(started.Wait(10_000));
        try
        {
            for (int i = 0; i < Queued; i++)
            {
                busy.Go(() => finished.Signal());
            }

            Assert.True(busy.RunQueueLength >= Queued, $"RunQueueLength {busy.RunQueueLength}");
            Assert.True(CoRun.S(0).RunQueueLength < Queued, $"scheduler 0's RunQueueLength {CoRun.S(0).RunQueueLength}");
            long metered = ReadPerScheduler("co.runqueue.length", busy.Id);
            Assert.True(metered >= Queued, $"co.runqueue.length{{scheduler={busy.Id}}} = {metered}");

            var text = new StringWriter();
            Coroutine.DumpTo(text);
            Match line = Regex.Match(text.ToString(), $@"scheduler {busy.Id}: (\d+) waiting to run");
            Assert.True(line.Success, "the dump has no run-queue line for the busy scheduler:\n" + text);
            Assert.True(int.Parse(line.Groups[1].Value, CultureInfo.InvariantCulture) >= Queued, line.Value);
        }
        finally
        {
            Volatile.Write(ref release, 1);
        }

        await CoRun.Bound(Task.Run(() => finished.Wait()), "the queued coroutines");
    }

    /// <summary>One instrument's value for one scheduler, read through a MeterListener.</summary>
    private static long ReadPerScheduler(string name, int schedulerId)
    {
        long value = 0;
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Name == CoMetrics.MeterName && instrument.Name == name)
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<long>((_, measured, tags, _) =>
        {
            foreach (KeyValuePair<string, object?> tag in tags)
            {
                if (tag.Key == "scheduler" && Equals(tag.Value, schedulerId))
                {
                    value += measured;
                }
            }
        });
        listener.Start();
        listener.RecordObservableInstruments();
        return value;
    }

    private static nint[] SocketPair()
    {
        var pair = new int[2];
        Assert.Equal(0, SocketPairNative(1 /* AF_UNIX */, 1 /* SOCK_STREAM */, 0, pair));
        return [pair[0], pair[1]];
    }

    /// <summary>Polls <paramref name="probe"/> until it returns non-null (10 s at most).</summary>
    private static async Task<T> WaitForAsync<T>(Func<T?> probe)
        where T : class
    {
        var watch = Stopwatch.StartNew();
        while (watch.ElapsedMilliseconds < 10_000)
        {
            if (probe() is { } found)
            {
                return found;
            }

            await Task.Delay(20);
        }

        throw new TimeoutException("the dump never showed the expected state");
    }

    [LibraryImport("libc", EntryPoint = "socketpair")]
    private static partial int SocketPairNative(int domain, int type, int protocol, [Out] int[] pair);

    [LibraryImport("libc", EntryPoint = "send")]
    private static partial nint SendNative(int fd, ref byte buffer, nint length, int flags);

    [LibraryImport("libc", EntryPoint = "kill")]
    private static partial int Kill(int pid, int signal);
}
