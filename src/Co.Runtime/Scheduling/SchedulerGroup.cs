using Co.Platform;

namespace Co.Scheduling;

/// <summary>The process-wide set of schedulers: configured once, started on first use, stopped once.</summary>
internal static class SchedulerGroup
{
    private static readonly Lock s_lock = new();
    private static CoroutineOptions s_options = new();
    private static Scheduler[]? s_schedulers;
    private static bool s_stopped;
    private static int s_roundRobin = -1;

    /// <summary>The schedulers if they have started, else none (for observers that must not start them).</summary>
    internal static Scheduler[] Started => Volatile.Read(ref s_schedulers) ?? [];

    /// <summary>All schedulers, started on first use.</summary>
    internal static Scheduler[] All => Volatile.Read(ref s_schedulers) ?? Start();

    internal static void Configure(Action<CoroutineOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(configure);
        lock (s_lock)
        {
            if (s_schedulers is not null || s_stopped)
            {
                throw new InvalidOperationException("Coroutine.Configure must be called before the first coroutine or scheduler is used; the schedulers are already running.");
            }

            CoroutineOptions options = s_options.Clone();
            configure(options);
            s_options = options;
        }
    }

    internal static Scheduler Next()
    {
        Scheduler[] all = All;
        uint index = (uint)Interlocked.Increment(ref s_roundRobin);
        return all[index % (uint)all.Length];
    }

    internal static void Stop()
    {
        lock (s_lock)
        {
            s_stopped = true;
            foreach (Scheduler scheduler in s_schedulers ?? [])
            {
                scheduler.Stop();
            }
        }
    }

    private static Scheduler[] Start()
    {
        lock (s_lock)
        {
            if (s_schedulers is not null)
            {
                return s_schedulers;
            }

            if (s_stopped)
            {
                throw new InvalidOperationException("The coroutine schedulers were stopped (Coroutine.Stop); no new coroutine can start.");
            }

            PlatformSupport.ThrowIfUnsupported();
            s_options.ValidateEnvironmentVariables();
            int count = s_options.SchedulerCount;
            int[] cpus = s_options.PinSchedulerThreads ? CurrentPlatform.Threads.AllowedCpus() : [];
            var schedulers = new Scheduler[count];
            for (int i = 0; i < count; i++)
            {
                schedulers[i] = new Scheduler(i, count, s_options, cpus.Length > 0 ? cpus[i % cpus.Length] : -1);
            }

            foreach (Scheduler scheduler in schedulers)
            {
                scheduler.Start();
            }

            Volatile.Write(ref s_schedulers, schedulers);
            Diagnostics.CoMetrics.EnsureCreated();
            BlockedSchedulerMonitor.StartIfEnabled(schedulers, s_options.BlockedSchedulerThreshold);
            ReadinessMonitor.Start(schedulers);
            Diagnostics.DumpSignal.RegisterIfRequested();
            return schedulers;
        }
    }
}
