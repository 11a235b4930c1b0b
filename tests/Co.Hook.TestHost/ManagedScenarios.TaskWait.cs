using System.Diagnostics;
using Co;
using Co.Hook.Managed.Replacements;
using Co.Testing;

/// <summary>Scenarios of the managed hook layer: sync-over-async waits on tasks (Wait, Result,
/// GetAwaiter().GetResult()).</summary>
internal static partial class ManagedScenarios
{
    /// <summary>TaskWait with the hooks on.</summary>
    [Scenario("task-wait")]
    public static void TaskWaitHooked() => TaskWait(hooks: true);

    /// <summary>The control of <see cref="TaskWaitHooked"/>: TaskWait without the hooks.</summary>
    [Scenario("task-wait-unhooked")]
    public static void TaskWaitUnhooked()
    {
        Controls.WithoutMonitor();
        TaskWait(hooks: false);
    }

    /// <summary>
    /// Sync-over-async in coroutines: 100 coroutines on one scheduler each block on an incomplete task (Result,
    /// GetAwaiter().GetResult() and Wait in turn) finishing after 200 ms — with hooks they wait at once, without (the
    /// control, 10) one after another. Timeouts, cancellation and faults give what a plain thread gets.
    /// </summary>
    public static void TaskWait(bool hooks)
    {
        int waiters = hooks ? 100 : 10;
        const int delayMs = 200;
        Coroutine.Configure(o => o.SchedulerCount = 1);
        if (hooks)
        {
            Hooks.Enable();
            RequireHooked("Task.SpinThenBlockingWait(int, CancellationToken) (Task.Wait, .Result, GetAwaiter().GetResult())");
        }

        int waiting = 0;
        int maxWaiting = 0;
        int correct = 0;
        var watch = Stopwatch.StartNew();
        CoroutineRun.All(waiters, id =>
        {
            Task<int> task = Task.Run(async () =>
            {
                await Task.Delay(delayMs);
                return id;
            });
            InterlockedMax(ref maxWaiting, Interlocked.Increment(ref waiting));
            int result = (id % 3) switch
            {
                0 => task.Result,
                1 => task.GetAwaiter().GetResult(),
                _ => task.Wait(10_000) ? task.Result : -1,
            };
            Interlocked.Decrement(ref waiting);
            if (result == id)
            {
                Interlocked.Increment(ref correct);
            }
        });
        long elapsed = watch.ElapsedMilliseconds;
        Console.WriteLine($"ELAPSED {elapsed} MAX-WAITING {maxWaiting}");
        Scenarios.Check(correct == waiters, $"{correct} of {waiters} waits returned their task's result");
        if (!hooks)
        {
            Scenarios.Check(maxWaiting == 1 && elapsed >= waiters * delayMs * 9 / 10, $"without hooks {waiters} waits took {elapsed} ms, {maxWaiting} at once: not serialized");
            return;
        }

        Scenarios.Check(maxWaiting >= waiters * 9 / 10 && elapsed < waiters * delayMs / 4, $"{waiters} waits of {delayMs} ms took {elapsed} ms, at most {maxWaiting} at once");

        static string Outcomes()
        {
            var never = new TaskCompletionSource<int>();
            var timer = Stopwatch.StartNew();
            bool timedOut = !never.Task.Wait(100);
            string timeout = $"timeout:{timedOut}:{timer.ElapsedMilliseconds >= 80}"; // .NET times waits in coarse ticks: a few ms early is normal
            using var cancellation = new CancellationTokenSource(50);
            string cancelled;
            try
            {
                never.Task.Wait(cancellation.Token);
                cancelled = "no exception";
            }
            catch (OperationCanceledException exception)
            {
                cancelled = exception.GetType().Name;
            }

            Task<int> faulting = Task.Run<int>(async () =>
            {
                await Task.Delay(20);
                throw new InvalidDataException("bad");
            });
            string viaWait;
            try
            {
                faulting.Wait();
                viaWait = "no exception";
            }
            catch (AggregateException exception)
            {
                viaWait = $"{exception.GetType().Name}({exception.InnerException?.GetType().Name}:{exception.InnerException?.Message})";
            }

            string viaAwaiter;
            try
            {
                Task<int> again = Task.Run<int>(async () =>
                {
                    await Task.Delay(20);
                    throw new InvalidDataException("bad");
                });
                _ = again.GetAwaiter().GetResult();
                viaAwaiter = "no exception";
            }
            catch (InvalidDataException exception)
            {
                viaAwaiter = $"{exception.GetType().Name}:{exception.Message}";
            }

            return $"{timeout} {cancelled} {viaWait} {viaAwaiter}";
        }

        string plain = Outcomes();
        string inCoroutine = "";
        long divertedBefore = ManagedDivertCounters.Count;
        CoroutineRun.All(1, _ => inCoroutine = Outcomes());
        Console.WriteLine($"OUTCOMES {inCoroutine}");
        Scenarios.Check(inCoroutine == plain, $"in a coroutine: {inCoroutine}; on a plain thread: {plain}");
        Scenarios.Check(ManagedDivertCounters.Count - divertedBefore >= 3, "the outcome waits were not diverted");
    }
}
