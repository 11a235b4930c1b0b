using Co.Offload;
using Co.Scheduling;
using Co.Waiting;

namespace Co;

/// <summary>
/// Creating coroutines and asking about the current one: the functions of co's coroutine API (<c>co::go</c>,
/// <c>co::sleep</c>, <c>co::coroutine_id</c>, ...).
/// </summary>
/// <remarks>
/// Two kinds of coroutine share the schedulers. A <b>sync</b> coroutine (<see cref="Go(Action)"/>) runs ordinary
/// blocking-style code: when it waits, its thread parks and the scheduler carries on with another thread. An
/// <b>async</b> coroutine (<see cref="Go(Func{Task})"/>) suspends at <c>await</c> and resumes on its own scheduler; it is
/// the cheaper kind (a parked one is a few hundred bytes). On one scheduler, coroutines of either kind never run in
/// parallel.
/// </remarks>
public static partial class Coroutine
{
    /// <summary>Raised when an exception escapes a coroutine. The scheduler carries on. With no handler, the exception
    /// and the coroutine id are written to stderr.</summary>
    public static event EventHandler<CoroutineExceptionEventArgs>? UnhandledException
    {
        add => UnhandledExceptions.Raised += value;
        remove => UnhandledExceptions.Raised -= value;
    }

    /// <summary>Raised when the blocked-scheduler monitor (<see cref="CoroutineOptions.BlockedSchedulerThreshold"/>) had
    /// to hand a scheduler to another thread because a coroutine held it, once that coroutine rejoins; on a thread-pool
    /// thread, sender null. <see cref="BlockingSites"/> counts the rejoin at once; this event follows shortly.</summary>
    public static event EventHandler<SchedulerBlockedEventArgs>? SchedulerBlocked
    {
        add => BlockedReports.Raised += value;
        remove => BlockedReports.Raised -= value;
    }

    /// <summary>The bypass report: where coroutines blocked their scheduler without passing a hook (the blocked-scheduler
    /// monitor's rescues, grouped by call site), most total blocking first. Empty while the monitor is off.</summary>
    public static IReadOnlyList<BlockingSite> BlockingSites() => Diagnostics.BlockingSites.Snapshot();

    /// <summary>The id of the current coroutine, or -1 outside a coroutine (co's <c>coroutine_id</c>). With N
    /// schedulers, scheduler i runs ids i, i+N, i+2N, ...; the id of a finished coroutine is reused.</summary>
    public static int Id => Worker.Current?.Running?.Id ?? -1;

    /// <summary>The id of the scheduler of the current thread, or -1 on other threads (co's <c>scheduler_id</c>).</summary>
    public static int SchedulerId => Worker.Current?.Scheduler.Id ?? -1;

    /// <summary>The number of schedulers (co's <c>scheduler_num</c>). Starts the schedulers if they are not running.</summary>
    public static int SchedulerCount => SchedulerGroup.All.Length;

    /// <summary>The scheduler of the current thread, or null on other threads (co's <c>scheduler</c>).</summary>
    public static Scheduler? CurrentScheduler => Worker.Current?.Scheduler;

    /// <summary>All schedulers (co's <c>all_schedulers</c>). Starts them if they are not running.</summary>
    public static IReadOnlyList<Scheduler> Schedulers => SchedulerGroup.All;

    /// <summary>Whether the calling code runs in a coroutine.</summary>
    public static bool IsInCoroutine => Worker.Current?.Running is not null;

    /// <summary>co's <c>timeout()</c>: whether the last I/O call of the current coroutine timed out.</summary>
    /// <exception cref="InvalidOperationException">Called outside a coroutine.</exception>
    public static bool TimedOut => RequireCoroutine(nameof(TimedOut)).TimedOut;

    /// <summary>Sets the scheduler options. Must be called before the first coroutine or scheduler is used.</summary>
    /// <exception cref="InvalidOperationException">The schedulers are already running.</exception>
    public static void Configure(Action<CoroutineOptions> configure) => SchedulerGroup.Configure(configure);

    /// <summary>Creates a sync coroutine on the next scheduler (round-robin).</summary>
    /// <remarks>A parked sync coroutine keeps an OS thread. At the OS thread limit (a pids cgroup, <c>ulimit -u</c>,
    /// <c>vm.max_map_count</c>) <c>Go</c> still accepts the coroutine, and no wait ever fails for want of a thread: the
    /// scheduler starts the coroutine only while it has the spare threads a park needs, and otherwise holds it back,
    /// in order, until one of its threads is free (a parked coroutine resumes) or the OS gives one. A held-back
    /// coroutine has no id yet; <see cref="Dump"/> lists it as <see cref="CoroutineState.WaitingForThread"/>, and the
    /// meter counts it (<c>co.coroutines.waiting_for_thread</c>, with <c>co.threads</c> and <c>co.threads.refused</c>).
    /// Code in which held-back coroutines would have to run before parked ones could go on waits until a thread is
    /// free elsewhere. See docs/ARCHITECTURE.md, "Threads and the OS thread limit".
    /// Never waits and never refuses for load: see <see cref="Scheduler.RunQueueLength"/> (no back-pressure).</remarks>
    /// <exception cref="ArgumentNullException"><paramref name="body"/> is null.</exception>
    /// <exception cref="InvalidOperationException">The schedulers were stopped.</exception>
    public static void Go(Action body)
    {
        ArgumentNullException.ThrowIfNull(body);
        SchedulerGroup.Next().Go(body);
    }

    /// <summary>Creates a sync coroutine running <paramref name="body"/>(<paramref name="argument"/>) (co's <c>go(f, p)</c>).</summary>
    /// <remarks>At the OS thread limit the coroutine waits for a thread as <see cref="Go(Action)"/> says.
    /// Never waits and never refuses for load: see <see cref="Scheduler.RunQueueLength"/> (no back-pressure).</remarks>
    /// <exception cref="ArgumentNullException"><paramref name="body"/> is null.</exception>
    /// <exception cref="InvalidOperationException">The schedulers were stopped.</exception>
    public static void Go<T>(Action<T> body, T argument)
    {
        ArgumentNullException.ThrowIfNull(body);
        SchedulerGroup.Next().Go(body, argument);
    }

    /// <summary>Creates an async coroutine on the next scheduler (round-robin); it resumes there after every await.</summary>
    /// <exception cref="ArgumentNullException"><paramref name="body"/> is null.</exception>
    /// <remarks>Never waits and never refuses for load: see <see cref="Scheduler.RunQueueLength"/> (no back-pressure).</remarks>
    /// <exception cref="InvalidOperationException">The schedulers were stopped.</exception>
    public static void Go(Func<Task> body)
    {
        ArgumentNullException.ThrowIfNull(body);
        SchedulerGroup.Next().Go(body);
    }

    /// <summary>Creates an async coroutine running <paramref name="body"/>(<paramref name="argument"/>).</summary>
    /// <exception cref="ArgumentNullException"><paramref name="body"/> is null.</exception>
    /// <remarks>Never waits and never refuses for load: see <see cref="Scheduler.RunQueueLength"/> (no back-pressure).</remarks>
    /// <exception cref="InvalidOperationException">The schedulers were stopped.</exception>
    public static void Go<T>(Func<T, Task> body, T argument)
    {
        ArgumentNullException.ThrowIfNull(body);
        SchedulerGroup.Next().Go(body, argument);
    }

    /// <summary>Takes the next scheduler of the round-robin that <see cref="Go(Action)"/> uses (co's
    /// <c>next_scheduler</c>): <c>Coroutine.NextScheduler().Go(f)</c> is what <c>Coroutine.Go(f)</c> does.</summary>
    public static Scheduler NextScheduler() => SchedulerGroup.Next();

    /// <summary>Suspends the current coroutine for <paramref name="ms"/> milliseconds; outside a coroutine, sleeps the
    /// thread, as co's <c>sleep</c> does. <c>Sleep(0)</c> in a coroutine is <see cref="Yield"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="ms"/> is negative.</exception>
    public static void Sleep(int ms)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(ms);
        if (Worker.Current is not { } worker)
        {
            Thread.Sleep(ms);
            return;
        }

        if (ms == 0)
        {
            YieldWorker(worker);
            return;
        }

        WaitNode node = Waits.SyncNode(worker);
        node.Arm(null);
        Waits.Block(node, ms);
    }

    /// <summary>Suspends the current async coroutine for <paramref name="ms"/> milliseconds. Outside a coroutine it is
    /// <see cref="Task.Delay(int, CancellationToken)"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="ms"/> is negative.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled (from the await).</exception>
    public static ValueTask SleepAsync(int ms, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(ms);
        if (cancellationToken.IsCancellationRequested)
        {
            return ValueTask.FromCanceled(cancellationToken);
        }

        if (Worker.Current is not { Running: { } owner } worker)
        {
            return new ValueTask(Task.Delay(ms, cancellationToken));
        }

        AsyncWaitNode node = worker.Scheduler.RentAsyncNode(owner);
        short token = node.ArmAsync(null);
        node.StartLimits(ms, cancellationToken);
        return new ValueTask(node, token);
    }

    /// <summary>Lets the other runnable coroutines of this scheduler run, then continues.</summary>
    /// <exception cref="InvalidOperationException">Called outside a coroutine (use <see cref="Thread.Yield"/> there).</exception>
    public static void Yield()
    {
        RequireCoroutine(nameof(Yield));
        YieldWorker(Worker.Current!);
    }

    /// <summary>Returns an awaitable that lets the other runnable coroutines of this scheduler run:
    /// <c>await Coroutine.YieldAsync();</c></summary>
    /// <exception cref="InvalidOperationException">Called outside a coroutine (use <see cref="Task.Yield"/> there).</exception>
    public static YieldAwaitable YieldAsync()
    {
        RequireCoroutine(nameof(YieldAsync));
        return default;
    }

    /// <summary>
    /// Every live coroutine of every scheduler: id, scheduler, kind, state, what it waits on and for how long. Each
    /// scheduler describes its own coroutines between two steps; one that does not answer within
    /// <paramref name="timeoutMs"/> is blocked by the coroutine it runs, which is then reported as running. Callable from
    /// any thread, including a coroutine (which holds its scheduler's baton, so reads that table itself and is the one running).
    /// </summary>
    public static IReadOnlyList<CoroutineInfo> Dump(int timeoutMs = 500)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(timeoutMs);
        CoroutineBase.TimingWaits = true; // from now on waits record their start (see WaitingFor)
        var all = new List<CoroutineInfo>();
        foreach (Scheduler scheduler in SchedulerGroup.Started)
        {
            all.AddRange(scheduler == CurrentScheduler ? scheduler.SnapshotOnHolder() : scheduler.Snapshot(timeoutMs));
        }

        return all;
    }

    /// <summary>Writes <see cref="Dump"/> to <paramref name="writer"/>: a line on the offload threads that make blocking
    /// calls (name lookups) for parked coroutines, a line per scheduler with its run-queue length
    /// (<see cref="Scheduler.RunQueueLength"/>) and, for a scheduler that met the OS thread limit, its threads; then one
    /// line per coroutine.</summary>
    public static void DumpTo(TextWriter writer)
    {
        ArgumentNullException.ThrowIfNull(writer);
        IReadOnlyList<CoroutineInfo> coroutines = Dump();
        BlockingOffload offload = BlockingOffload.Shared;
        writer.WriteLine($"Co: {coroutines.Count} live coroutine(s) at {DateTime.UtcNow:O}");
        writer.WriteLine($"  offload threads: {offload.ThreadCount} ({offload.BusyCount} busy, {offload.QueuedCount} call(s) queued; limit {offload.ThreadLimit})");
        foreach (Scheduler scheduler in SchedulerGroup.Started)
        {
            writer.WriteLine($"  scheduler {scheduler.Id}: {scheduler.RunQueueLength} waiting to run (run queue)");
            if (scheduler.ThreadStartsRefused > 0)
            {
                writer.WriteLine($"  scheduler {scheduler.Id}: {scheduler.ThreadCount} thread(s); the OS refused {scheduler.ThreadStartsRefused} thread start(s) (its thread limit); {scheduler.AwaitingThreadCount} coroutine start(s) or step(s) waiting for a thread");
            }
        }

        (int shortSamples, BlockingSite? shortTop) = Diagnostics.BlockingSites.ShortSummary();
        if (shortTop is not null)
        {
            writer.WriteLine($"  short blocking: {shortSamples} step(s) seen asleep in the kernel below the monitor's threshold; most at {shortTop.CallSite} in {shortTop.BlockedIn} ({shortTop.ShortSamples}); see Coroutine.BlockingSites()");
        }

        foreach (CoroutineInfo coroutine in coroutines)
        {
            writer.WriteLine("  " + coroutine);
        }

        writer.Flush();
    }

    /// <summary>Stops all schedulers (co's <c>stop</c>). Irreversible: afterwards <c>Go</c> throws. Coroutines that are
    /// waiting stay suspended; running ones finish their current step.</summary>
    public static void Stop() => SchedulerGroup.Stop();

    /// <summary>The current coroutine, or an InvalidOperationException naming the coroutine-only <paramref name="member"/>.</summary>
    internal static CoroutineBase RequireCoroutine(string member) =>
        Worker.Current?.Running ?? throw new InvalidOperationException(
            $"{member} must be called inside a coroutine (started with Coroutine.Go or Scheduler.Go); it was called on a plain thread.");

    private static void YieldWorker(Worker worker)
    {
        HolderSection.Checkpoint();
        worker.Scheduler.Enqueue(worker);
        worker.Scheduler.Park(worker);
    }
}
