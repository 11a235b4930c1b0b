using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Co;
using Co.Testing;

/// <summary>Scenarios of the managed hook layer: Monitor.Wait/Pulse and WaitHandle waits, which park the coroutine.</summary>
internal static partial class ManagedScenarios
{
    private const int ThreadWaitMs = 200;

    /// <summary>The Status names of the detours these scenarios need.</summary>
    private static readonly string[] s_threadWaitHooks =
    [
        "Monitor.Wait(object, int)", "Monitor.Wait(object)", "Monitor.Pulse(object)", "Monitor.PulseAll(object)", "Thread.Interrupt()",
        "WaitHandle.WaitOneNoCheck(int, bool, object, WaitHandleWaitSourceMap) (every WaitOne)",
        "WaitHandle.WaitMultiple(ReadOnlySpan<WaitHandle>, bool, int) (WaitAny, WaitAll)", "WaitHandle.WaitMultiple(WaitHandle[], bool, int) (WaitAny, WaitAll)",
        "Thread.Join(int)", "Thread.Join()",
    ];

    /// <summary>One primitive of <see cref="ThreadWaits"/>: given a coroutine's index, makes its wait, which arranges
    /// its own signal <see cref="ThreadWaitMs"/> later from another thread and returns once signalled.</summary>
    private delegate void WaitOnce(int index);

    /// <summary>ThreadWaits with the hooks on.</summary>
    [Scenario("thread-waits")]
    public static void ThreadWaitsHooked() => ThreadWaits(hooks: true);

    /// <summary>The control of <see cref="ThreadWaitsHooked"/>: ThreadWaits without the hooks.</summary>
    [Scenario("thread-waits-unhooked")]
    public static void ThreadWaitsUnhooked()
    {
        Controls.WithoutMonitor();
        ThreadWaits(hooks: false);
    }

    /// <summary>
    /// For each primitive, 100 sync coroutines on one scheduler each wait 200 ms in it, signalled from another thread:
    /// with hooks all wait at once and the batch takes about one wait; without (the control, 5 coroutines) the first
    /// wait blocks the scheduler thread, so they wait one after another. Process.WaitForExit runs 20 processes, not 100.
    /// </summary>
    public static void ThreadWaits(bool hooks)
    {
        int waiterCount = hooks ? 100 : 5;
        Coroutine.Configure(o => o.SchedulerCount = 1);
        if (hooks)
        {
            Hooks.Enable();
            RequireHooked(s_threadWaitHooks);
            // The signal detours only make wakes prompt (without them a parked wait retries after pauses up to 50 ms,
            // still well inside the bound), and one may not install under a setting ("not needed" then): printed.
            foreach (string signal in new[] { "EventWaitHandle.Set(SafeWaitHandle) (EventWaitHandle.Set)", "Semaphore.ReleaseCore(int) (every Semaphore.Release)", "Mutex.ReleaseMutex()" })
            {
                Console.WriteLine($"{signal}: {(Hooks.Status.TryGetValue(signal, out HookStatus status) ? status.ToString() : "missing")}");
            }
        }

        using var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        listener.Listen(512);
        var primitives = new (string Name, WaitOnce Wait)[]
        {
            ("Monitor.Wait", MonitorWaitOnce),
            ("ManualResetEvent.WaitOne", _ => EventWaitOnce(new ManualResetEvent(false))),
            ("AutoResetEvent.WaitOne", _ => EventWaitOnce(new AutoResetEvent(false))),
            ("Semaphore.WaitOne", _ => SemaphoreWaitOnce()),
            ("Mutex.WaitOne", _ => MutexWaitOnce()),
            ("WaitHandle.WaitAny", _ => WaitAnyOnce()),
            ("WaitHandle.WaitAll", _ => WaitAllOnce()),
            ("Socket.BeginReceive+AsyncWaitHandle.WaitOne", _ => ApmWaitOnce(listener)),
            ("CountdownEvent.Wait", _ => CountdownWaitOnce()),
            ("Barrier.SignalAndWait", _ => BarrierWaitOnce()),
            ("Thread.Join", _ => JoinOnce()),
            ("Process.WaitForExit", _ => ProcessWaitOnce()),
        };
        foreach ((string name, WaitOnce wait) in primitives)
        {
            // Process starts are forks, slow on a loaded machine and outside the wait: 20 of them show the overlap.
            int waiters = name == "Process.WaitForExit" && hooks ? 20 : waiterCount;
            int waiting = 0;
            int maxWaiting = 0;
            var watch = Stopwatch.StartNew();
            CoroutineRun.All(waiters, i =>
            {
                InterlockedMax(ref maxWaiting, Interlocked.Increment(ref waiting));
                wait(i);
                Interlocked.Decrement(ref waiting);
            }, TimeSpan.FromSeconds(60));
            long elapsed = watch.ElapsedMilliseconds;
            Console.WriteLine($"{name}: {waiters} waits of {ThreadWaitMs} ms took {elapsed} ms, at most {maxWaiting} at once");
            if (hooks)
            {
                Scenarios.Check(maxWaiting >= waiters * 9 / 10 && elapsed < 2000, $"{name}: {waiters} waits took {elapsed} ms, at most {maxWaiting} at once");
            }
            else
            {
                Scenarios.Check(maxWaiting == 1 && elapsed >= waiters * ThreadWaitMs * 9 / 10, $"{name} without hooks: {waiters} waits took {elapsed} ms, {maxWaiting} at once: not serialized");
            }
        }
    }

    /// <summary>Runs <paramref name="signal"/> on a thread-pool thread <see cref="ThreadWaitMs"/> from now.</summary>
    private static void SignalLater(Action signal) => _ = Task.Delay(ThreadWaitMs).ContinueWith(_ => signal(), TaskScheduler.Default);

    private static void MonitorWaitOnce(int index)
    {
        var gate = new object();
        bool signalled = false;
        lock (gate)
        {
            SignalLater(() =>
            {
                lock (gate)
                {
                    signalled = true;
                    Monitor.Pulse(gate);
                }
            });
            while (!signalled)
            {
                Monitor.Wait(gate);
            }
        }
    }

    private static void EventWaitOnce(EventWaitHandle handle)
    {
        using (handle)
        {
            SignalLater(() => handle.Set());
            Scenarios.Check(handle.WaitOne(), "WaitOne returned false");
        }
    }

    private static void SemaphoreWaitOnce()
    {
        using var semaphore = new Semaphore(0, 1);
        SignalLater(() => semaphore.Release());
        Scenarios.Check(semaphore.WaitOne(), "WaitOne returned false");
    }

    private static void MutexWaitOnce()
    {
        using var mutex = new Mutex();
        using var held = new ManualResetEventSlim(false);
        var owner = new Thread(() =>
        {
            mutex.WaitOne();
            held.Set();
            Thread.Sleep(ThreadWaitMs);
            mutex.ReleaseMutex();
        });
        owner.Start();
        while (!held.IsSet)
        {
            Coroutine.Sleep(1);
        }

        Scenarios.Check(mutex.WaitOne(), "WaitOne returned false");
        mutex.ReleaseMutex();
    }

    private static void WaitAnyOnce()
    {
        using var never = new ManualResetEvent(false);
        using var later = new AutoResetEvent(false);
        SignalLater(() => later.Set());
        int index = WaitHandle.WaitAny([never, later]);
        Scenarios.Check(index == 1, $"WaitAny returned {index}");
    }

    private static void WaitAllOnce()
    {
        using var first = new ManualResetEvent(true);
        using var later = new AutoResetEvent(false);
        SignalLater(() => later.Set());
        Scenarios.Check(WaitHandle.WaitAll([first, later]), "WaitAll returned false");
    }

    private static void ApmWaitOnce(Socket listener)
    {
        using var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        IAsyncResult connecting = client.BeginConnect(listener.LocalEndPoint!, null, null);
        Scenarios.Check(connecting.AsyncWaitHandle.WaitOne(), "BeginConnect's AsyncWaitHandle.WaitOne returned false");
        client.EndConnect(connecting);
        Socket server = listener.Accept();
        SignalLater(() =>
        {
            using (server)
            {
                server.Send([42]);
            }
        });
        byte[] buffer = new byte[1];
        IAsyncResult receiving = client.BeginReceive(buffer, 0, 1, SocketFlags.None, null, null);
        Scenarios.Check(receiving.AsyncWaitHandle.WaitOne(), "BeginReceive's AsyncWaitHandle.WaitOne returned false");
        Scenarios.Check(client.EndReceive(receiving) == 1 && buffer[0] == 42, "BeginReceive received the wrong byte");
    }

    private static void CountdownWaitOnce()
    {
        using var countdown = new CountdownEvent(1);
        SignalLater(() => countdown.Signal());
        countdown.Wait();
    }

    private static void BarrierWaitOnce()
    {
        using var barrier = new Barrier(2);
        SignalLater(() => barrier.SignalAndWait());
        barrier.SignalAndWait();
    }

    private static void JoinOnce()
    {
        var sleeper = new Thread(() => Thread.Sleep(ThreadWaitMs));
        sleeper.Start();
        sleeper.Join();
    }

    private static void ProcessWaitOnce()
    {
        using Process sleeper = Process.Start("sleep", (ThreadWaitMs / 1000.0).ToString(System.Globalization.CultureInfo.InvariantCulture));
        sleeper.WaitForExit();
        Scenarios.Check(sleeper.ExitCode == 0, $"sleep exited with {sleeper.ExitCode}");
    }
}
