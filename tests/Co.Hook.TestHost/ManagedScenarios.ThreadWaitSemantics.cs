using System.Diagnostics;
using Co;
using Co.Hook.Managed.Replacements;
using Co.Testing;

/// <summary>Scenarios of the managed hook layer: the exact outcomes of Monitor.Wait and WaitHandle waits.</summary>
internal static partial class ManagedScenarios
{
    /// <summary>
    /// Each outcome of Monitor.Wait and of WaitHandle waits, from a coroutine with the hooks on, equals the plain
    /// thread's: timeouts (false, WaitTimeout, not before the time), a pulse sent before the wait is lost, the monitor is
    /// released fully during the wait (another thread takes it) and held again at its recursion count afterwards,
    /// Thread.Interrupt during the wait and before it, WaitAny's index, WaitAll taking nothing until all are set, an
    /// abandoned mutex (AbandonedMutexException, then owned), a mutex acquired after its owner released it (then owned
    /// by the waiter), Thread.Join's timeout and an interrupt during a Join. The coroutine's waits were diverted; the
    /// plain thread's were not.
    /// </summary>
    [Scenario("thread-wait-semantics")]
    public static void ThreadWaitSemantics()
    {
        Coroutine.Configure(o => o.SchedulerCount = 1);
        Hooks.Enable();
        RequireHooked(s_threadWaitHooks);
        long divertedBefore = ManagedDivertCounters.Count;
        string plain = ThreadWaitOutcomes();
        Scenarios.Check(ManagedDivertCounters.Count == divertedBefore, "a plain thread's waits were diverted");
        string inCoroutine = "";
        CoroutineRun.All(1, _ => inCoroutine = ThreadWaitOutcomes());
        long diverted = ManagedDivertCounters.Count - divertedBefore;
        Console.WriteLine($"PLAIN     {plain}");
        Console.WriteLine($"COROUTINE {inCoroutine}");
        Console.WriteLine($"DIVERTED {diverted}");
        Scenarios.Check(inCoroutine == plain, $"in a coroutine: {inCoroutine}; on a plain thread: {plain}");
        Scenarios.Check(diverted >= 14, $"only {diverted} of the coroutine's waits were diverted");
    }

    /// <summary>The outcomes, one "name=value" each, of the waits the scenario compares.</summary>
    private static string ThreadWaitOutcomes()
    {
        var outcomes = new List<string>();
        void Note(string name, Func<object?> outcome)
        {
            try
            {
                outcomes.Add($"{name}={outcome()}");
            }
            catch (Exception exception)
            {
                outcomes.Add($"{name}={exception.GetType().Name}");
            }
        }

        Thread me = Thread.CurrentThread;
        var gate = new object();
        Note("monitor-timeout", () =>
        {
            var watch = Stopwatch.StartNew();
            lock (gate)
            {
                return $"{Monitor.Wait(gate, 100)} slept:{watch.ElapsedMilliseconds >= 99}";
            }
        });
        Note("pulse-before-wait", () =>
        {
            lock (gate)
            {
                Monitor.PulseAll(gate);
            }

            lock (gate)
            {
                return Monitor.Wait(gate, 100);
            }
        });
        Note("monitor-recursion", () =>
        {
            lock (gate)
            lock (gate)
            lock (gate)
            {
                // The pulser can only pulse if the wait released all three levels.
                Later(20, () =>
                {
                    lock (gate)
                    {
                        Monitor.Pulse(gate);
                    }
                });
                bool pulsed = Monitor.Wait(gate, 5000);
                Monitor.Exit(gate);
                Monitor.Exit(gate);
                bool stillHeld = Monitor.IsEntered(gate);
                Monitor.Enter(gate); // for the lock statements' own exits
                Monitor.Enter(gate);
                return $"{pulsed} held-after-two-exits:{stillHeld} held-before:{Monitor.IsEntered(gate)}";
            }
        });
        Note("monitor-wait-infinite", () =>
        {
            lock (gate)
            {
                Later(20, () =>
                {
                    lock (gate)
                    {
                        Monitor.PulseAll(gate);
                    }
                });
                return Monitor.Wait(gate);
            }
        });
        Note("monitor-interrupt", () =>
        {
            lock (gate)
            {
                Later(30, me.Interrupt);
                try
                {
                    return Monitor.Wait(gate, 5000);
                }
                catch (ThreadInterruptedException)
                {
                    return $"interrupted held:{Monitor.IsEntered(gate)}";
                }
            }
        });
        Note("monitor-interrupt-before", () =>
        {
            me.Interrupt();
            lock (gate)
            {
                return Monitor.Wait(gate, 5000);
            }
        });
        Note("monitor-not-owner", () => Monitor.Wait(gate, 10));
        using var unset = new ManualResetEvent(false);
        using var auto = new AutoResetEvent(false);
        using var empty = new Semaphore(0, 2);
        Note("event-timeout", () =>
        {
            var watch = Stopwatch.StartNew();
            return $"{unset.WaitOne(100)} slept:{watch.ElapsedMilliseconds >= 99}";
        });
        Note("semaphore-timeout", () => empty.WaitOne(TimeSpan.FromMilliseconds(50)));
        Note("waitany-timeout", () => WaitHandle.WaitAny([unset, auto], 50));
        Note("waitall-timeout", () => WaitHandle.WaitAll([unset, auto], 50));
        Note("event-interrupt", () =>
        {
            Later(30, me.Interrupt);
            return unset.WaitOne(5000);
        });
        Note("waitany-index", () =>
        {
            Later(30, () => auto.Set());
            return WaitHandle.WaitAny([unset, auto], 5000);
        });
        Note("waitall-partial-takes-nothing", () =>
        {
            auto.Set();
            bool all = WaitHandle.WaitAll([unset, auto], 50);
            return $"{all} auto-still-set:{auto.WaitOne(0)}";
        });
        Note("waitall", () =>
        {
            using var first = new ManualResetEvent(false);
            Later(20, () => first.Set());
            Later(40, () => auto.Set());
            return WaitHandle.WaitAll([first, auto], 5000);
        });
        Note("semaphore-release", () =>
        {
            Later(20, () => empty.Release(2));
            return $"{empty.WaitOne(5000)} {empty.WaitOne(0)} {empty.WaitOne(0)}";
        });
        Note("mutex-abandoned", () =>
        {
            using var mutex = new Mutex();
            using var held = new ManualResetEventSlim(false);
            var owner = new Thread(() =>
            {
                mutex.WaitOne();
                held.Set();
                Thread.Sleep(50); // then ends without releasing it
            });
            owner.Start();
            held.Wait();
            string result;
            try
            {
                result = mutex.WaitOne(5000).ToString();
            }
            catch (AbandonedMutexException)
            {
                result = "abandoned";
            }

            mutex.ReleaseMutex(); // throws unless the waiter owns it now
            owner.Join();
            return result + " then owned";
        });
        Note("mutex-released", () =>
        {
            using var mutex = new Mutex();
            using var held = new ManualResetEventSlim(false);
            var owner = new Thread(() =>
            {
                mutex.WaitOne();
                held.Set();
                Thread.Sleep(50);
                mutex.ReleaseMutex();
            });
            owner.Start();
            held.Wait();
            bool acquired = mutex.WaitOne(5000);
            mutex.ReleaseMutex();
            owner.Join();
            return acquired + " then owned";
        });
        Note("join-timeout", () =>
        {
            var sleeper = new Thread(() => Thread.Sleep(300));
            sleeper.Start();
            bool joined = sleeper.Join(50);
            sleeper.Join();
            return joined;
        });
        Note("join-interrupt", () =>
        {
            var sleeper = new Thread(() => Thread.Sleep(1000));
            sleeper.Start();
            Later(30, me.Interrupt);
            try
            {
                return sleeper.Join(5000);
            }
            finally
            {
                sleeper.Join();
            }
        });
        Note("disposed", () =>
        {
            var disposed = new ManualResetEvent(false);
            disposed.Dispose();
            return disposed.WaitOne(100);
        });
        return string.Join(' ', outcomes);
    }

    /// <summary>Runs <paramref name="action"/> on a thread-pool thread <paramref name="ms"/> from now.</summary>
    private static void Later(int ms, Action action) => _ = Task.Delay(ms).ContinueWith(_ => action(), TaskScheduler.Default);

    /// <summary>
    /// The Monitor detours are all-or-nothing: with Monitor.Pulse refused, Monitor.Wait (both), PulseAll and
    /// Thread.Interrupt are taken out again, each saying which member is missing and why, and a coroutine's
    /// Monitor.Wait is the runtime's (not diverted, and a pulse from a plain thread still reaches it); the WaitHandle
    /// detours, which do not depend on them, stay.
    /// </summary>
    [Scenario("monitor-hooks-fail-closed")]
    public static void MonitorHooksFailClosed()
    {
        Coroutine.Configure(o => o.SchedulerCount = 1);
        Co.Hook.Managed.ManagedLayer.RefusedForTesting = Co.Hook.Managed.ManagedHookId.MonitorPulse;
        Hooks.Enable();
        foreach (string name in new[] { "Monitor.Wait(object, int)", "Monitor.Wait(object)", "Monitor.PulseAll(object)", "Thread.Interrupt()" })
        {
            HookStatus status = Hooks.Status[name];
            Console.WriteLine($"{name}: {status}");
            Scenarios.Check(status.State == HookState.NotHooked && status.Reason == "works only with Monitor.Pulse(object), which is not hooked (refused for a test)", $"{name}: {status}");
        }

        Scenarios.Check(Hooks.Status["Monitor.Pulse(object)"].Reason == "refused for a test", "Monitor.Pulse: " + Hooks.Status["Monitor.Pulse(object)"]);
        RequireHooked("WaitHandle.WaitOneNoCheck(int, bool, object, WaitHandleWaitSourceMap) (every WaitOne)");
        long diverted = ManagedDivertCounters.Count;
        bool pulsed = false;
        CoroutineRun.All(1, _ =>
        {
            var gate = new object();
            lock (gate)
            {
                Later(20, () =>
                {
                    lock (gate)
                    {
                        Monitor.Pulse(gate);
                    }
                });
                pulsed = Monitor.Wait(gate, 5000);
            }
        });
        Scenarios.Check(pulsed && ManagedDivertCounters.Count == diverted, $"pulsed: {pulsed}, diverted: {ManagedDivertCounters.Count - diverted}");
    }
}
