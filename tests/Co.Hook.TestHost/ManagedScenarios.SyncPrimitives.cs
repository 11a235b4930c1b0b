using System.Diagnostics;
using Co;
using Co.Testing;

/// <summary>Scenarios of the managed hook layer: SemaphoreSlim and ManualResetEventSlim waits.</summary>
internal static partial class ManagedScenarios
{
    /// <summary>SyncPrimitives with the hooks on.</summary>
    [Scenario("sync-primitives")]
    public static void SyncPrimitivesHooked() => SyncPrimitives(hooks: true);

    /// <summary>The control of <see cref="SyncPrimitivesHooked"/>: SyncPrimitives without the hooks.</summary>
    [Scenario("sync-primitives-unhooked")]
    public static void SyncPrimitivesUnhooked()
    {
        Controls.WithoutMonitor();
        SyncPrimitives(hooks: false);
    }

    /// <summary>
    /// SemaphoreSlim and ManualResetEventSlim waits in coroutines: 50 coroutines on one scheduler wait on a semaphore and
    /// 50 on an event that a plain thread releases and sets once all are waiting — with hooks all 100 wait at once;
    /// without (the control) the first wait blocks the scheduler thread, so only one ever waits.
    /// Timeouts and cancellation give what a plain thread gets.
    /// </summary>
    public static void SyncPrimitives(bool hooks)
    {
        const int each = 50;
        Coroutine.Configure(o => o.SchedulerCount = 1);
        if (hooks)
        {
            Hooks.Enable();
            RequireHooked("SemaphoreSlim.WaitCore(long, CancellationToken) (every SemaphoreSlim.Wait)", "ManualResetEventSlim.Wait(int, CancellationToken) (every ManualResetEventSlim.Wait)");
        }

        using var semaphore = new SemaphoreSlim(0);
        using var gate = new ManualResetEventSlim(false);
        int waiting = 0;
        int maxWaiting = 0;
        // Released once every coroutine is waiting (or after a bound: without hooks only one ever waits, since its wait
        // blocks the scheduler thread).
        var releaser = new Thread(() =>
        {
            var bound = System.Diagnostics.Stopwatch.StartNew();
            while (Volatile.Read(ref waiting) < 2 * each && bound.ElapsedMilliseconds < (hooks ? 10_000 : 500))
            {
                Thread.Sleep(5);
            }

            semaphore.Release(each);
            gate.Set();
        });
        releaser.Start();
        CoroutineRun.All(2 * each, i =>
        {
            InterlockedMax(ref maxWaiting, Interlocked.Increment(ref waiting));
            if (i % 2 == 0)
            {
                semaphore.Wait();
            }
            else
            {
                gate.Wait();
            }

            Interlocked.Decrement(ref waiting);
        });
        releaser.Join();
        Console.WriteLine($"MAX-WAITING {maxWaiting}");
        if (!hooks)
        {
            Scenarios.Check(maxWaiting == 1, $"without hooks {maxWaiting} coroutines waited at once: the control should block the scheduler");
            return;
        }

        Scenarios.Check(maxWaiting >= 2 * each * 9 / 10, $"at most {maxWaiting} of {2 * each} waits at once: not concurrent");

        static string Outcomes()
        {
            using var empty = new SemaphoreSlim(0);
            using var unset = new ManualResetEventSlim(false);
            var timer = Stopwatch.StartNew();
            string result = $"sem:{empty.Wait(100)} event:{unset.Wait(100)} slept:{timer.ElapsedMilliseconds >= 160}";
            using var cancellation = new CancellationTokenSource(50);
            foreach (Action wait in new Action[] { () => empty.Wait(cancellation.Token), () => unset.Wait(cancellation.Token) })
            {
                try
                {
                    wait();
                    result += " no exception";
                }
                catch (OperationCanceledException exception)
                {
                    result += " " + exception.GetType().Name;
                }
            }

            return result;
        }

        string plain = Outcomes();
        string inCoroutine = "";
        CoroutineRun.All(1, _ => inCoroutine = Outcomes());
        Console.WriteLine($"OUTCOMES {inCoroutine}");
        Scenarios.Check(inCoroutine == plain, $"in a coroutine: {inCoroutine}; on a plain thread: {plain}");
    }
}
