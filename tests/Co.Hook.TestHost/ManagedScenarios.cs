using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Reflection.Emit;
using System.Runtime.InteropServices;
using Co;
using Co.Hook.Managed.Replacements;
using Co.Testing;

/// <summary>
/// Scenarios of the managed hook layer (Co.Hook.Managed): synchronous Socket calls on sockets .NET made non-blocking
/// underneath, Thread.Sleep, detours that must survive tiering, and .NET's own errors kept exactly.
/// </summary>
internal static partial class ManagedScenarios
{
    private const int ONonblock = 0x800;

    /// <summary>ReceiveAfterAsync with the hooks on.</summary>
    [Scenario("managed-receive")]
    public static void ReceiveAfterAsyncHooked() => ReceiveAfterAsync(hooks: true);

    /// <summary>The control of <see cref="ReceiveAfterAsyncHooked"/>: ReceiveAfterAsync without the hooks.</summary>
    [Scenario("managed-receive-unhooked")]
    public static void ReceiveAfterAsyncUnhooked()
    {
        Controls.WithoutMonitor();
        ReceiveAfterAsync(hooks: false);
    }

    /// <summary>
    /// Sockets connected with ConnectAsync (so .NET has made them non-blocking underneath: a synchronous Receive then
    /// waits inside the runtime, not in libc), then used with synchronous Send and Receive from coroutines on ONE
    /// scheduler against a server that answers each request after 200 ms. With hooks all receives wait at once (100
    /// clients); without (the control, 20 clients) each blocks the scheduler thread and they run one after another.
    /// </summary>
    public static void ReceiveAfterAsync(bool hooks)
    {
        int clients = hooks ? 100 : 20;
        const int delayMs = 200;
        Coroutine.Configure(o => o.SchedulerCount = 1);
        if (hooks)
        {
            Hooks.Enable();
            RequireHooked("Socket.Receive(byte[], int, int, SocketFlags, out SocketError)", "Socket.Send(byte[], int, int, SocketFlags, out SocketError)");
        }

        using var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        listener.Listen(256);
        _ = Task.Run(() => Serve(listener, clients, delayMs));
        var sockets = new Socket[clients];
        for (int i = 0; i < clients; i++)
        {
            sockets[i] = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            sockets[i].ConnectAsync(listener.LocalEndPoint!).GetAwaiter().GetResult();
        }

        int flags = Fcntl((int)sockets[0].Handle, 3 /* F_GETFL */, 0);
        Scenarios.Check((flags & ONonblock) != 0 && sockets[0].Blocking, $"the scenario needs a socket that is non-blocking underneath but blocking to .NET (flags 0x{flags:x})");

        long divertedBefore = ManagedDivertCounters.Count;
        int inFlight = 0;
        int maxInFlight = 0;
        int correct = 0;
        var watch = Stopwatch.StartNew();
        CoroutineRun.All(clients, id =>
        {
            Socket socket = sockets[id];
            byte[] request = BitConverter.GetBytes(id);
            Scenarios.Check(socket.Send(request) == 4, "send failed");
            int now = Interlocked.Increment(ref inFlight);
            InterlockedMax(ref maxInFlight, now);
            var reply = new byte[4];
            int got = 0;
            while (got < 4)
            {
                int n = socket.Receive(reply, got, 4 - got, SocketFlags.None);
                if (n == 0)
                {
                    break;
                }

                got += n;
            }

            Interlocked.Decrement(ref inFlight);
            if (got == 4 && BitConverter.ToInt32(reply) == id)
            {
                Interlocked.Increment(ref correct);
            }
        });
        long elapsed = watch.ElapsedMilliseconds;
        Console.WriteLine($"ELAPSED {elapsed} MAX-IN-FLIGHT {maxInFlight} DIVERTED {ManagedDivertCounters.Count - divertedBefore}");
        Scenarios.Check(correct == clients, $"{correct} of {clients} clients got their own reply");
        if (hooks)
        {
            Scenarios.Check(maxInFlight >= clients * 9 / 10, $"at most {maxInFlight} of {clients} receives were waiting at once: not concurrent");
            Scenarios.Check(elapsed < clients * delayMs / 4, $"{clients} receives of {delayMs} ms took {elapsed} ms on one scheduler");
            Scenarios.Check(ManagedDivertCounters.Count - divertedBefore >= 2 * clients, "the managed layer did not divert the calls");
        }
        else
        {
            Scenarios.Check(maxInFlight == 1 && elapsed >= clients * delayMs * 9 / 10, $"without hooks {clients} receives took {elapsed} ms with {maxInFlight} at once: the control should serialize them");
        }

        foreach (Socket socket in sockets)
        {
            socket.Dispose();
        }
    }

    /// <summary>ThreadSleep with the hooks on.</summary>
    [Scenario("thread-sleep")]
    public static void ThreadSleepHooked() => ThreadSleep(hooks: true);

    /// <summary>The control of <see cref="ThreadSleepHooked"/>: ThreadSleep without the hooks.</summary>
    [Scenario("thread-sleep-unhooked")]
    public static void ThreadSleepUnhooked()
    {
        Controls.WithoutMonitor();
        ThreadSleep(hooks: false);
    }

    /// <summary>
    /// Thread.Sleep(200) in 1000 sync coroutines on one scheduler: with hooks they all sleep at once; without (the
    /// control, 10 coroutines) one after another. On a plain thread Thread.Sleep still sleeps, undiverted.
    /// </summary>
    public static void ThreadSleep(bool hooks)
    {
        int sleepers = hooks ? 1000 : 10;
        const int sleepMs = 200;
        Coroutine.Configure(o => o.SchedulerCount = 1);
        if (hooks)
        {
            Hooks.Enable();
            RequireHooked("Thread.Sleep(int)");
        }

        int asleep = 0;
        int maxAsleep = 0;
        var watch = Stopwatch.StartNew();
        CoroutineRun.All(sleepers, _ =>
        {
            InterlockedMax(ref maxAsleep, Interlocked.Increment(ref asleep));
            var own = Stopwatch.StartNew();
            Thread.Sleep(sleepMs);
            Scenarios.Check(own.ElapsedMilliseconds >= sleepMs - 1, $"a coroutine's Thread.Sleep({sleepMs}) returned after {own.ElapsedMilliseconds} ms");
            Interlocked.Decrement(ref asleep);
        }, TimeSpan.FromSeconds(60));
        long elapsed = watch.ElapsedMilliseconds;
        Console.WriteLine($"ELAPSED {elapsed} MAX-ASLEEP {maxAsleep}");
        if (hooks)
        {
            Scenarios.Check(maxAsleep >= sleepers * 9 / 10 && elapsed < sleepers * sleepMs / 10, $"{sleepers} sleeps: {elapsed} ms, at most {maxAsleep} at once");
            long diverted = ManagedDivertCounters.Count;
            var plain = Stopwatch.StartNew();
            Thread.Sleep(sleepMs);
            Scenarios.Check(plain.ElapsedMilliseconds >= sleepMs - 1 && ManagedDivertCounters.Count == diverted, "Thread.Sleep on a plain thread was diverted or did not sleep");
        }
        else
        {
            Scenarios.Check(elapsed >= sleepers * sleepMs * 9 / 10 && maxAsleep == 1, $"without hooks {sleepers} sleeps took {elapsed} ms, {maxAsleep} at once: not serialized");
        }
    }

    /// <summary>
    /// The detours survive tiering: 200,000 echoes through NetworkStream.Read/Write (whose R2R and tier-1 code would
    /// inline the Socket funnels without the no-inlining bit) in a coroutine are all diverted, then after a pause long
    /// enough for the tier-1 re-compiles another 100,000 are too, and a caller compiled only now (a DynamicMethod calling
    /// Socket.Receive(byte[])) reaches the detour.
    /// </summary>
    [Scenario("detours-hold")]
    public static void DetoursHold()
    {
        Coroutine.Configure(o => o.SchedulerCount = 1);
        Hooks.Enable();
        RequireHooked("Socket.Receive(byte[], int, int, SocketFlags, out SocketError)", "Socket.Send(byte[], int, int, SocketFlags, out SocketError)");
        using var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        listener.Listen(1);
        using var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        client.Connect(listener.LocalEndPoint!);
        using Socket server = listener.Accept();
        using var clientStream = new NetworkStream(client);
        using var serverStream = new NetworkStream(server);

        long Echoes(int count)
        {
            long before = ManagedDivertCounters.Count;
            CoroutineRun.All(1, _ =>
            {
                var one = new byte[1];
                for (int i = 0; i < count; i++)
                {
                    one[0] = (byte)i;
                    clientStream.Write(one, 0, 1);
                    Scenarios.Check(serverStream.Read(one, 0, 1) == 1 && one[0] == (byte)i, $"echo {i} went wrong");
                }
            }, TimeSpan.FromSeconds(120));
            return ManagedDivertCounters.Count - before;
        }

        long first = Echoes(200_000);
        Thread.Sleep(2500); // the tiering delay and the background re-compiles of the hot callers
        long second = Echoes(100_000);
        Console.WriteLine($"DIVERTED {first} then {second}");
        Scenarios.Check(first == 400_000, $"{first} of 400,000 calls were diverted before tier-up");
        Scenarios.Check(second == 200_000, $"{second} of 200,000 calls were diverted after tier-up: a detour was lost");

        var dynamic = new DynamicMethod("ReceiveLate", typeof(int), [typeof(Socket), typeof(byte[])], typeof(ManagedScenarios).Module);
        ILGenerator il = dynamic.GetILGenerator();
        il.Emit(OpCodes.Ldarg_0);
        il.Emit(OpCodes.Ldarg_1);
        il.Emit(OpCodes.Callvirt, typeof(Socket).GetMethod(nameof(Socket.Receive), [typeof(byte[])])!);
        il.Emit(OpCodes.Ret);
        var receiveLate = (Func<Socket, byte[], int>)dynamic.CreateDelegate(typeof(Func<Socket, byte[], int>));
        long beforeLate = ManagedDivertCounters.Count;
        CoroutineRun.All(1, _ =>
        {
            client.Send([42]);
            var buffer = new byte[1];
            Scenarios.Check(receiveLate(server, buffer) == 1 && buffer[0] == 42, "the late caller received the wrong data");
        });
        Scenarios.Check(ManagedDivertCounters.Count - beforeLate == 2, $"a caller compiled after install was diverted {ManagedDivertCounters.Count - beforeLate} of 2 times");
    }

    /// <summary>
    /// .NET's own errors, kept exactly: a ReceiveTimeout that expires inside a coroutine (on a socket blocking
    /// underneath and on one .NET made non-blocking) throws the SocketException a plain thread gets, while the
    /// scheduler keeps running; a peer's reset gives the same SocketException in and out of coroutines.
    /// </summary>
    [Scenario("managed-errors")]
    public static void Errors()
    {
        Coroutine.Configure(o => o.SchedulerCount = 1);
        Hooks.Enable();
        RequireHooked("Socket.Receive(byte[], int, int, SocketFlags, out SocketError)");
        using var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        listener.Listen(16);

        (Socket Client, Socket Server) Pair(bool asyncFirst)
        {
            var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            if (asyncFirst)
            {
                client.ConnectAsync(listener.LocalEndPoint!).GetAwaiter().GetResult();
            }
            else
            {
                client.Connect(listener.LocalEndPoint!);
            }

            return (client, listener.Accept());
        }

        string Outcome(Action action)
        {
            try
            {
                action();
                return "no exception";
            }
            catch (SocketException exception)
            {
                return $"{exception.GetType().Name}/{exception.SocketErrorCode}/{exception.ErrorCode}/{exception.Message}";
            }
        }

        // The ticker's path compiled once before anything is timed (with ReadyToRun=0 under load, first-time JIT on the
        // scheduler thread could otherwise eat the whole timeout).
        CoroutineRun.All(1, _ => Coroutine.Sleep(1));
        foreach (bool asyncFirst in new[] { false, true })
        {
            (Socket plainClient, Socket plainServer) = Pair(asyncFirst);
            plainClient.ReceiveTimeout = 600;
            string plain = Outcome(() => plainClient.Receive(new byte[1]));
            (Socket client, Socket server) = Pair(asyncFirst);
            client.ReceiveTimeout = 600;
            string inCoroutine = "";
            int ticks = 0;
            bool waiting = true;
            var watch = Stopwatch.StartNew();
            CoroutineRun.All(2, i =>
            {
                if (i == 0)
                {
                    inCoroutine = Outcome(() => client.Receive(new byte[1]));
                    Volatile.Write(ref waiting, false);
                }
                else
                {
                    for (int k = 0; k < 1000 && Volatile.Read(ref waiting); k++)
                    {
                        Coroutine.Sleep(10);
                        ticks++;
                    }
                }
            });
            Console.WriteLine($"TIMEOUT async-first={asyncFirst}: {inCoroutine} after {watch.ElapsedMilliseconds} ms, {ticks} ticks");
            Scenarios.Check(plain.Contains("/TimedOut/", StringComparison.Ordinal) && inCoroutine == plain, $"in a coroutine: {inCoroutine}; on a plain thread: {plain}");
            Scenarios.Check(watch.ElapsedMilliseconds >= 590 && ticks >= 5, $"the timed-out receive took {watch.ElapsedMilliseconds} ms with {ticks} ticks of another coroutine meanwhile");
            Scenarios.Check(client.Connected == plainClient.Connected, "the socket's state after the timeout differs");

            // the peer resets the connection: the same error everywhere
            foreach (Socket peer in new[] { plainServer, server })
            {
                peer.LingerState = new LingerOption(true, 0);
                peer.Close();
            }

            Thread.Sleep(50);
            string plainReset = Outcome(() => plainClient.Receive(new byte[1]));
            string coroutineReset = "";
            CoroutineRun.All(1, _ => coroutineReset = Outcome(() => client.Receive(new byte[1])));
            Console.WriteLine($"RESET async-first={asyncFirst}: {coroutineReset}");
            Scenarios.Check(plainReset.Contains("/ConnectionReset/", StringComparison.Ordinal) && coroutineReset == plainReset, $"reset in a coroutine: {coroutineReset}; on a plain thread: {plainReset}");
            plainClient.Dispose();
            client.Dispose();
        }
    }

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

    private static void RequireHooked(params string[] names)
    {
        foreach (string name in names)
        {
            string state = Hooks.Status.TryGetValue(name, out HookStatus value) ? value.ToString() : "missing";
            Scenarios.Check(value.State == HookState.Hooked, $"{name}: {state}");
        }
    }

    /// <summary>Answers each 4-byte request on each of <paramref name="count"/> connections after <paramref name="delayMs"/>.</summary>
    private static async Task Serve(Socket listener, int count, int delayMs)
    {
        for (int i = 0; i < count; i++)
        {
            Socket connection = await listener.AcceptAsync();
            _ = Task.Run(async () =>
            {
                var request = new byte[4];
                int got = 0;
                while (got < 4)
                {
                    int n = await connection.ReceiveAsync(request.AsMemory(got));
                    if (n == 0)
                    {
                        return;
                    }

                    got += n;
                }

                await Task.Delay(delayMs);
                await connection.SendAsync(request);
            });
        }
    }

    private static void InterlockedMax(ref int target, int value)
    {
        int current;
        while ((current = Volatile.Read(ref target)) < value && Interlocked.CompareExchange(ref target, value, current) != current)
        {
        }
    }

    [LibraryImport("libc", EntryPoint = "fcntl")]
    private static partial int Fcntl(int fd, int command, int argument);
}
