using System.Diagnostics.Metrics;
using Co.Offload;
using Co.Scheduling;

namespace Co.Diagnostics;

/// <summary>
/// The runtime's instruments on the meter "Co", visible with <c>dotnet-counters monitor --counters Co</c>: live and
/// created coroutines, switches, run-queue length, blocked-scheduler hand-offs, readiness events rescued from a busy
/// holder, OS threads, thread starts the OS refused and coroutines waiting for a thread per scheduler, the hook bypasses
/// by the system call they blocked in, and the offload threads that make blocking calls for parked coroutines. All are
/// observable: the hot paths only bump plain holder-owned fields (see Scheduler.Diagnostics.cs) and the values are read
/// when a listener collects. The hook layers add their own instruments to a meter of the same name.
/// </summary>
internal static class CoMetrics
{
    /// <summary>The meter's name, shared by every layer.</summary>
    public const string MeterName = "Co";

    private static readonly Meter s_meter = new(MeterName, "1.0");

    /// <summary>Creates the instruments once (the schedulers call it as they start).</summary>
    public static void EnsureCreated() => _ = s_instruments.Value;

    private static readonly Lazy<Instrument[]> s_instruments = new(() =>
    [
        s_meter.CreateObservableGauge("co.coroutines.live", () => PerScheduler(s => s.LiveCount), "{coroutine}", "Coroutines started and not finished"),
        s_meter.CreateObservableCounter("co.coroutines.created", () => PerScheduler(s => s.CreatedCount), "{coroutine}", "Coroutines started"),
        s_meter.CreateObservableCounter("co.switches", () => PerScheduler(s => s.SwitchCount), "{switch}", "Coroutine steps and resumes run by the schedulers"),
        s_meter.CreateObservableGauge("co.runqueue.length", () => PerScheduler(s => s.RunQueueLength), "{item}", "Work waiting to run, per scheduler"),
        s_meter.CreateObservableCounter("co.monitor.handoffs", () => PerScheduler(s => s.HandoffCount), "{handoff}", "Schedulers handed to another thread because a coroutine held them past the blocked-scheduler threshold"),
        s_meter.CreateObservableGauge("co.threads", () => PerScheduler(s => s.ThreadCount), "{thread}", "OS threads of the scheduler: its holder, the threads of its parked coroutines, its spares"),
        s_meter.CreateObservableCounter("co.threads.refused", () => PerScheduler(s => s.ThreadStartsRefused), "{thread}", "Thread starts the OS refused the scheduler: it met the process's thread limit"),
        s_meter.CreateObservableGauge("co.coroutines.waiting_for_thread", () => PerScheduler(s => s.AwaitingThreadCount), "{item}", "Sync coroutine starts (and, once the last spare is taken, other coroutine steps) held back until the scheduler has a spare thread"),
        s_meter.CreateObservableCounter("co.readiness.rescued", () => PerScheduler(s => s.ReadinessRescuedCount), "{event}", "Readiness events of a scheduler's sockets that the readiness monitor delivered because the scheduler's holder had not polled for 10 ms (a coroutine computing or blocked held it)"),
        s_meter.CreateObservableCounter("co.hooks.bypassed", BlockingSites.BypassesByCall, "{call}", "Blocking calls that held a scheduler past the blocked-scheduler threshold without passing a hook, by the system call they blocked in"),
        s_meter.CreateObservableCounter("co.blocking.short", BlockingSites.ShortByCall, "{step}", "Coroutine steps the blocked-scheduler monitor saw asleep in the kernel without reaching its threshold (sampled: short blocking waits that hold a scheduler), by the system call they slept in"),
        s_meter.CreateObservableGauge("co.offload.threads", () => BlockingOffload.Shared.ThreadCount, "{thread}", "Offload threads (blocking calls such as name lookups made for parked coroutines) started and not retired"),
        s_meter.CreateObservableGauge("co.offload.busy", () => BlockingOffload.Shared.BusyCount, "{thread}", "Offload threads making a call now"),
        s_meter.CreateObservableGauge("co.offload.queued", () => BlockingOffload.Shared.QueuedCount, "{call}", "Offloaded calls waiting for a thread (past the offload thread limit)"),
    ]);

    private static IEnumerable<Measurement<long>> PerScheduler(Func<Scheduler, long> read)
    {
        foreach (Scheduler scheduler in SchedulerGroup.Started)
        {
            yield return new Measurement<long>(read(scheduler), new KeyValuePair<string, object?>("scheduler", scheduler.Id));
        }
    }
}
