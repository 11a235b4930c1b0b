using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using Co;

namespace Co.TestHost;

/// <summary>
/// Runs one named scenario of the Co runtime in a fresh process (scheduler count is process-global and fixed at
/// first use; Stop() is irreversible). Prints machine-readable lines: `RESULT key=value ...`, scenario-specific
/// data lines, and `FAIL message` on failure. Exit code 0 = scenario ran to its end; non-zero = failure.
/// Scenarios end with Environment.Exit so that a runtime keeping foreground threads alive cannot hang them;
/// `exit-without-stop` is the one that tests a normal return from Main.
/// </summary>
public static class Program
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(30);

    public static int Main(string[] args)
    {
        if (args.Length == 0)
        {
            Console.Error.WriteLine("usage: Co.TestHost <scenario> [args]");
            return 2;
        }
        string scenario = args[0];
        string[] rest = args[1..];
        if (scenario == "exit-without-stop")
            return ExitWithoutStop(); // returns normally from Main on purpose

        int code;
        try
        {
            code = scenario switch
            {
                "ids" => Ids(rest),
                "default-count" => DefaultCount(),
                "configure-after-start" => ConfigureAfterStart(),
                "configure-invalid" => ConfigureInvalid(),
                "configure-null" => ConfigureNull(),
                "stop" => Stop(),
                "unhandled" => Unhandled(rest),
                "stack-size" => StackSize(rest),
                "affinity" => Affinity(rest),
                "spare-timeout" => SpareTimeout(),
                "sock-clients" => SockClients(rest),
                "monitor" => MonitorScenario.Run(monitored: true),
                "monitor-off" => MonitorScenario.Run(monitored: false),
                _ => Fail($"unknown scenario '{scenario}'"),
            };
        }
        catch (Exception e)
        {
            Console.Out.WriteLine("FAIL exception " + e.GetType().FullName);
            Console.Error.WriteLine("FAIL " + e);
            code = 3;
        }
        Console.Out.Flush();
        Console.Error.Flush();
        Environment.Exit(code);
        return code;
    }

    private static int Fail(string message)
    {
        Console.Out.WriteLine("FAIL " + message);
        Console.Error.WriteLine("FAIL " + message);
        return 1;
    }

    private static string TypeName(Exception? e) => e is null ? "none" : e.GetType().Name;

    private static string? Catch(Action a)
    {
        try { a(); return null; }
        catch (Exception e) { return e.GetType().Name; }
    }

    // ---------------------------------------------------------------------------------------------------
    // ids [configureCount]
    //   Optionally Configure(SchedulerCount = configureCount) first. Then starts, all at once and all kept alive
    //   until every one has recorded itself: 8 sync + 8 async coroutines per scheduler through Coroutine.Go
    //   (round-robin), and 4 sync + 4 async per scheduler through Scheduler.Go. Each prints
    //   `CO via=go|sched:K kind=sync|async sid=S id=I cur=C`. Also prints the outside values.
    // ---------------------------------------------------------------------------------------------------
    private static int Ids(string[] args)
    {
        if (args.Length > 0)
        {
            int n = int.Parse(args[0], System.Globalization.CultureInfo.InvariantCulture);
            Coroutine.Configure(o => o.SchedulerCount = n);
        }
        Console.Out.WriteLine($"RESULT outside_id={Coroutine.Id} outside_sid={Coroutine.SchedulerId} " +
                              $"outside_cur={(Coroutine.CurrentScheduler is null ? "null" : "set")} " +
                              $"outside_in={Coroutine.IsInCoroutine}");

        int count = Coroutine.SchedulerCount;
        var schedulers = Coroutine.Schedulers;
        var lines = new ConcurrentQueue<string>();
        var gate = new Event(manualReset: true);
        int viaGo = 16 * count, viaSched = 8 * count;
        int total = viaGo + viaSched;
        var recorded = new WaitGroup(total);
        var finished = new WaitGroup(total);

        void Record(string via, string kind)
        {
            int sid = Coroutine.SchedulerId;
            int id = Coroutine.Id;
            string cur = Coroutine.CurrentScheduler is { } s ? s.Id.ToString(System.Globalization.CultureInfo.InvariantCulture) : "null";
            lines.Enqueue($"CO via={via} kind={kind} sid={sid} id={id} cur={cur} in={Coroutine.IsInCoroutine}");
        }

        for (int i = 0; i < viaGo; i++)
        {
            if (i % 2 == 0)
            {
                Coroutine.Go(() =>
                {
                    Record("go", "sync");
                    recorded.Done();
                    gate.Wait();
                    finished.Done();
                });
            }
            else
            {
                Coroutine.Go(async () =>
                {
                    Record("go", "async");
                    int sid0 = Coroutine.SchedulerId, id0 = Coroutine.Id;
                    recorded.Done();
                    await gate.WaitAsync();
                    bool same = sid0 == Coroutine.SchedulerId && id0 == Coroutine.Id;
                    lines.Enqueue($"AFTER id={id0} same={same}");
                    finished.Done();
                });
            }
        }
        for (int k = 0; k < count; k++)
        {
            var s = schedulers[k];
            string via = "sched:" + k.ToString(System.Globalization.CultureInfo.InvariantCulture);
            for (int j = 0; j < 4; j++)
            {
                s.Go(() =>
                {
                    Record(via, "sync");
                    recorded.Done();
                    gate.Wait();
                    finished.Done();
                });
                s.Go(async () =>
                {
                    Record(via, "async");
                    recorded.Done();
                    await gate.WaitAsync();
                    finished.Done();
                });
            }
        }
        if (!WaitBounded(recorded)) return Fail($"not all coroutines started: {recorded.Count} of {total} missing");
        gate.Signal();
        if (!WaitBounded(finished)) return Fail($"not all coroutines finished: {finished.Count} of {total} missing");

        foreach (var l in lines) Console.Out.WriteLine(l);
        Console.Out.WriteLine($"RESULT count={count} schedulers={schedulers.Count} total={total} " +
                              $"sched_ids={string.Join(',', schedulers.Select(s => s.Id))}");
        return 0;
    }

    private static bool WaitBounded(WaitGroup wg)
    {
        var t = new Thread(() => wg.Wait()) { IsBackground = true };
        t.Start();
        return t.Join(Bound);
    }

    private static bool RunSyncBounded(Action body)
    {
        var done = new ManualResetEventSlim();
        Exception? error = null;
        Coroutine.Go(() =>
        {
            try { body(); }
            catch (Exception e) { error = e; }
            finally { done.Set(); }
        });
        if (!done.Wait(Bound)) return false;
        if (error != null) throw new InvalidOperationException("coroutine failed: " + error.Message, error);
        return true;
    }

    private static bool RunAsyncBounded(Func<Task> body)
    {
        var done = new ManualResetEventSlim();
        Exception? error = null;
        Coroutine.Go(async () =>
        {
            try { await body(); }
            catch (Exception e) { error = e; }
            finally { done.Set(); }
        });
        if (!done.Wait(Bound)) return false;
        if (error != null) throw new InvalidOperationException("coroutine failed: " + error.Message, error);
        return true;
    }

    // default-count: scheduler count without Configure (CO_SCHED_NUM as set by the parent, or unset).
    private static int DefaultCount()
    {
        var opts = new CoroutineOptions();
        Console.Out.WriteLine($"RESULT options_default={opts.SchedulerCount}");
        if (!RunSyncBounded(() => { })) return Fail("coroutine did not run");
        Console.Out.WriteLine($"RESULT count={Coroutine.SchedulerCount} schedulers={Coroutine.Schedulers.Count} " +
                              $"cpus={Environment.ProcessorCount}");
        return 0;
    }

    // configure-after-start: Configure after the first coroutine ran must throw InvalidOperationException.
    private static int ConfigureAfterStart()
    {
        int before = Coroutine.SchedulerCount;
        if (!RunSyncBounded(() => { })) return Fail("coroutine did not run");
        string? exc = Catch(() => Coroutine.Configure(o => o.SchedulerCount = before + 1));
        Console.Out.WriteLine($"RESULT configure_after_start={exc ?? "none"} count_before={before} " +
                              $"count_after={Coroutine.SchedulerCount} schedulers_after={Coroutine.Schedulers.Count}");
        // The runtime keeps working.
        bool ran = RunSyncBounded(() => { });
        Console.Out.WriteLine($"RESULT still_runs={ran}");
        return 0;
    }

    // configure-invalid: SchedulerCount = 0 is rejected by Configure (setter or validation).
    private static int ConfigureInvalid()
    {
        Exception? caught = null;
        try { Coroutine.Configure(o => o.SchedulerCount = 0); }
        catch (Exception e) { caught = e; }
        Console.Out.WriteLine($"RESULT configure_zero={TypeName(caught)} is_argument_exception={caught is ArgumentException}");
        caught = null;
        try { Coroutine.Configure(o => o.SchedulerCount = -3); }
        catch (Exception e) { caught = e; }
        Console.Out.WriteLine($"RESULT configure_negative={TypeName(caught)} is_argument_exception_neg={caught is ArgumentException}");
        return 0;
    }

    // configure-null: Configure(null) -> ArgumentNullException (before start).
    private static int ConfigureNull()
    {
        string? exc = Catch(() => Coroutine.Configure(null!));
        Console.Out.WriteLine($"RESULT configure_null={exc ?? "none"}");
        return 0;
    }

    // stop: run coroutines, Stop(), then every Go form must throw InvalidOperationException.
    private static int Stop()
    {
        Coroutine.Configure(o => o.SchedulerCount = 2);
        if (!RunSyncBounded(() => Coroutine.Sleep(1))) return Fail("sync coroutine did not run");
        if (!RunAsyncBounded(async () => await Coroutine.SleepAsync(1))) return Fail("async coroutine did not run");
        var s0 = Coroutine.Schedulers[0];
        // Coroutines still parked when Stop is called: Stop does not wait for them.
        var parked = new WaitGroup(4);
        var never = new Event();
        Coroutine.Go(() => { parked.Done(); Coroutine.Sleep(600_000); });
        Coroutine.Go(async () => { parked.Done(); await Coroutine.SleepAsync(600_000); });
        Coroutine.Go(() => { parked.Done(); never.Wait(); });
        Coroutine.Go(async () => { parked.Done(); await never.WaitAsync(); });
        if (!WaitBounded(parked)) return Fail("parked coroutines did not start");
        Thread.Sleep(50);

        var sw = System.Diagnostics.Stopwatch.StartNew();
        var stopThread = new Thread(Coroutine.Stop) { IsBackground = true };
        stopThread.Start();
        if (!stopThread.Join(Bound)) return Fail("Stop() did not return within 30 s");
        Console.Out.WriteLine($"RESULT stopped=1 stop_ms={sw.ElapsedMilliseconds}");

        string? second = null;
        var again = new Thread(() => second = Catch(Coroutine.Stop) ?? "none") { IsBackground = true };
        again.Start();
        Console.Out.WriteLine($"RESULT second_stop={(again.Join(Bound) ? second : "hang")}");

        Console.Out.WriteLine("RESULT " + string.Join(' ',
            "go_action=" + (Catch(() => Coroutine.Go(() => { })) ?? "none"),
            "go_action_t=" + (Catch(() => Coroutine.Go((int x) => { }, 1)) ?? "none"),
            "go_func=" + (Catch(() => Coroutine.Go(() => Task.CompletedTask)) ?? "none"),
            "go_func_t=" + (Catch(() => Coroutine.Go((int x) => Task.CompletedTask, 1)) ?? "none"),
            "sched_go_action=" + (Catch(() => s0.Go(() => { })) ?? "none"),
            "sched_go_action_t=" + (Catch(() => s0.Go((int x) => { }, 1)) ?? "none"),
            "sched_go_func=" + (Catch(() => s0.Go(() => Task.CompletedTask)) ?? "none"),
            "sched_go_func_t=" + (Catch(() => s0.Go((int x) => Task.CompletedTask, 1)) ?? "none")));
        return 0;
    }

    // unhandled sync|async: no handler attached. A coroutine throws; the runtime must write its id to stderr and
    // keep running other coroutines (on the same scheduler) afterwards.
    private static int Unhandled(string[] args)
    {
        Coroutine.Configure(o => o.SchedulerCount = 2);
        bool async = args.Length > 0 && args[0] == "async";
        var s = Coroutine.Schedulers[1];

        // Park some coroutines first so the thrower's id is not a trivially small number.
        var park = new Event(manualReset: true);
        var parked = new WaitGroup(10);
        for (int i = 0; i < 10; i++)
            s.Go(() => { parked.Done(); park.Wait(); });
        if (!WaitBounded(parked)) return Fail("parked coroutines did not start");

        var idReady = new ManualResetEventSlim();
        int id = -100;
        if (async)
        {
            s.Go(async () =>
            {
                id = Coroutine.Id;
                idReady.Set();
                await Coroutine.SleepAsync(20);
                throw new InvalidOperationException("boom-unhandled-marker-async");
            });
        }
        else
        {
            s.Go((Action)(() =>
            {
                id = Coroutine.Id;
                idReady.Set();
                Coroutine.Sleep(20);
                throw new InvalidOperationException("boom-unhandled-marker-sync");
            }));
        }
        if (!idReady.Wait(Bound)) return Fail("throwing coroutine did not run");
        Console.Out.WriteLine($"RESULT thrower_id={id} thrower_sched={s.Id}");
        Thread.Sleep(500); // let it throw and the runtime report it

        // The same scheduler keeps running coroutines, both kinds.
        var after = new ManualResetEventSlim();
        var afterAsync = new ManualResetEventSlim();
        s.Go(() => { Coroutine.Sleep(5); after.Set(); });
        s.Go(async () => { await Coroutine.SleepAsync(5); afterAsync.Set(); });
        bool ok = after.Wait(Bound) && afterAsync.Wait(Bound);
        park.Signal();
        Console.Out.WriteLine($"RESULT after_ok={ok}");
        Console.Out.Flush();
        Console.Error.Flush();
        return 0;
    }

    // stack-size BYTES: SyncStackSize honoured by the threads that carry sync coroutines (starting and parked):
    // a sync coroutine recurses ~2 MiB deep (far beyond the 256 KiB default), before and after a Sleep.
    private static int StackSize(string[] args)
    {
        int bytes = int.Parse(args[0], System.Globalization.CultureInfo.InvariantCulture);
        Coroutine.Configure(o =>
        {
            o.SchedulerCount = 2;
            o.SyncStackSize = bytes;
            o.PinSchedulerThreads = false;
            o.SpareThreadIdleTimeout = TimeSpan.FromSeconds(1);
        });
        long depthBefore = 0, depthAfter = 0;
        bool ok = RunSyncBounded(() =>
        {
            depthBefore = Recurse(32);
            Coroutine.Sleep(10);
            depthAfter = Recurse(32);
        });
        Console.Out.WriteLine($"RESULT ran={ok} before={depthBefore} after={depthAfter}");
        return ok ? 0 : Fail("coroutine did not finish");
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static unsafe long Recurse(int depth)
    {
        byte* buf = stackalloc byte[64 * 1024];
        buf[0] = (byte)depth;
        buf[64 * 1024 - 1] = (byte)depth;
        if (depth == 0) return buf[0] + buf[64 * 1024 - 1];
        return 1 + Recurse(depth - 1) + buf[100];
    }

    // affinity true|false: CPU masks of the threads that run coroutines of each scheduler (sync at start, sync after a
    // park, async after an await), with PinSchedulerThreads as given. Prints `AFF sched=S where=W cpus=a,b,...`.
    private static int Affinity(string[] args)
    {
        bool pin = bool.Parse(args[0]);
        Coroutine.Configure(o => { o.SchedulerCount = 2; o.PinSchedulerThreads = pin; });
        var lines = new ConcurrentQueue<string>();
        void Record(string where) =>
            lines.Enqueue($"AFF sched={Coroutine.SchedulerId} where={where} cpus={string.Join(',', CurrentThreadCpus())}");
        foreach (var s in Coroutine.Schedulers)
        {
            var done = new ManualResetEventSlim();
            var doneAsync = new ManualResetEventSlim();
            var blocker = new Event();
            s.Go(() =>
            {
                Record("sync-start");
                Coroutine.Sleep(5);
                Record("sync-after-sleep");
                blocker.Wait(); // parked while the next coroutine runs on another thread of this scheduler
                Record("sync-after-event");
                done.Set();
            });
            s.Go(async () =>
            {
                Record("async-start");
                await Coroutine.SleepAsync(5);
                Record("async-after-sleep");
                await Task.Delay(5);
                Record("async-after-foreign-await");
                blocker.Signal();
                doneAsync.Set();
            });
            if (!done.Wait(Bound) || !doneAsync.Wait(Bound)) return Fail("coroutines did not finish");
        }
        foreach (var l in lines) Console.Out.WriteLine(l);
        Console.Out.WriteLine($"RESULT process_cpus={string.Join(',', CurrentThreadCpus())} processor_count={Environment.ProcessorCount}");
        return 0;
    }

    [System.Runtime.InteropServices.DllImport("libc", SetLastError = true)]
    private static extern int sched_getaffinity(int pid, nint cpusetsize, byte[] mask);

    private static List<int> CurrentThreadCpus()
    {
        var mask = new byte[128];
        if (sched_getaffinity(0, mask.Length, mask) != 0) throw new InvalidOperationException("sched_getaffinity failed");
        var cpus = new List<int>();
        for (int i = 0; i < mask.Length * 8; i++)
            if ((mask[i / 8] & (1 << (i % 8))) != 0) cpus.Add(i);
        return cpus;
    }

    // spare-timeout: SpareThreadIdleTimeout = 1 s. 200 concurrently parked sync coroutines need ~200 threads; once
    // they have finished, the spare threads must exit after about a second.
    private static int SpareTimeout()
    {
        Coroutine.Configure(o => { o.SchedulerCount = 2; o.SpareThreadIdleTimeout = TimeSpan.FromSeconds(1); });
        if (!RunSyncBounded(() => { })) return Fail("coroutine did not run");
        Thread.Sleep(200);
        int baseline = ThreadCount();
        var release = new Event(manualReset: true);
        var parked = new WaitGroup(200);
        var finished = new WaitGroup(200);
        for (int i = 0; i < 200; i++)
            Coroutine.Go(() => { parked.Done(); release.Wait(); finished.Done(); });
        if (!WaitBounded(parked)) return Fail("coroutines did not park");
        Thread.Sleep(100);
        int peak = ThreadCount();
        release.Signal();
        if (!WaitBounded(finished)) return Fail("coroutines did not finish");
        var sw = System.Diagnostics.Stopwatch.StartNew();
        int now = ThreadCount();
        while (now > baseline + 20 && sw.ElapsedMilliseconds < 15_000)
        {
            Thread.Sleep(100);
            now = ThreadCount();
        }
        Console.Out.WriteLine($"RESULT baseline={baseline} peak={peak} after={now} drop_ms={sw.ElapsedMilliseconds}");
        // and the runtime still works with fresh threads
        bool again = RunSyncBounded(() => Coroutine.Sleep(1));
        Console.Out.WriteLine($"RESULT still_runs={again}");
        return 0;
    }

    private static int ThreadCount()
    {
        using var p = System.Diagnostics.Process.GetCurrentProcess();
        return p.Threads.Count;
    }

    // exit-without-stop: coroutines parked forever (sync and async) must not keep the process alive once Main
    // returns (co's programs just return from main; stop() is optional).
    private static int ExitWithoutStop()
    {
        Coroutine.Configure(o => o.SchedulerCount = 2);
        var never = new Event();
        var started = new WaitGroup(4);
        for (int i = 0; i < 2; i++)
        {
            Coroutine.Go(() => { started.Done(); never.Wait(); });
            Coroutine.Go(async () => { started.Done(); await never.WaitAsync(); });
        }
        if (!WaitBounded(started)) return Fail("coroutines did not start");
        Console.Out.WriteLine("RESULT main_returning=1");
        Console.Out.Flush();
        return 0;
    }

    // ---------------------------------------------------------------------------------------------------
    // sock-clients ip port count
    //   Opens `count` TCP connections to ip:port from async coroutines (at most 256 connects in flight), holds
    //   them ALL open at once and echoes through each twice: round 1 as each connects, round 2 only after every
    //   connection is up. Each message is 16 bytes naming its connection and round; the echo must match exactly.
    //   Then closes them all. Raises RLIMIT_NOFILE first if needed. Prints
    //   `RESULT fd_limit=.. connected=.. round1_ok=.. round2_ok=.. closed=.. errors=errno:count,..` and timings.
    // ---------------------------------------------------------------------------------------------------
    private static int SockClients(string[] args)
    {
        var ci = System.Globalization.CultureInfo.InvariantCulture;
        var ip = System.Net.IPAddress.Parse(args[0]);
        int port = int.Parse(args[1], ci);
        int count = int.Parse(args[2], ci);
        long limit = SockHostNative.EnsureFdLimit(count + 512);
        Console.Out.WriteLine($"RESULT fd_limit={limit}");
        if (limit < count + 64) return Fail($"RLIMIT_NOFILE is {limit}: cannot hold {count} sockets");

        var ep = new System.Net.IPEndPoint(ip, port);
        var family = ep.AddressFamily;
        var connected = new WaitGroup(count);
        var echoed = new WaitGroup(count);
        var closed = new WaitGroup(count);
        var roundTwo = new Event(manualReset: true);
        var closeAll = new Event(manualReset: true);
        var slots = new Chan<byte>(256);
        int connectedOk = 0, round1Ok = 0, round2Ok = 0;
        var errors = new ConcurrentDictionary<string, int>();
        void Error(string what) => errors.AddOrUpdate(what, 1, (_, n) => n + 1);

        static byte[] Message(int conn, int round)
        {
            var m = new byte[16];
            BitConverter.TryWriteBytes(m, conn);
            BitConverter.TryWriteBytes(m.AsSpan(4), round);
            BitConverter.TryWriteBytes(m.AsSpan(8), (long)conn * 7919 + round * 104729);
            return m;
        }

        async Task<bool> Round(nint fd, int conn, int round)
        {
            byte[] msg = Message(conn, round);
            int s = await Sock.SendAsync(fd, msg, 20_000);
            if (s != 16) { Error($"send{round}:{Sock.Error()}"); return false; }
            var back = new byte[16];
            int r = await Sock.RecvNAsync(fd, back, 20_000);
            if (r != 16) { Error($"recv{round}:{(r == 0 ? "eof" : Sock.Error().ToString(ci))}"); return false; }
            if (!back.AsSpan().SequenceEqual(msg)) { Error($"mismatch{round}"); return false; }
            return true;
        }

        var sw = System.Diagnostics.Stopwatch.StartNew();
        for (int i = 0; i < count; i++)
        {
            Coroutine.Go(async conn =>
            {
                nint fd = -1;
                bool alive = false;
                try
                {
                    await slots.WriteAsync(1);
                    try
                    {
                        fd = Sock.TcpSocket(family);
                        if (fd < 0) { Error($"socket:{Sock.Error()}"); }
                        else if (await Sock.ConnectAsync(fd, ep, 20_000) != 0) { Error($"connect:{Sock.Error()}"); }
                        else { alive = true; Interlocked.Increment(ref connectedOk); }
                    }
                    finally
                    {
                        await slots.ReadAsync();
                    }
                    if (alive)
                    {
                        alive = await Round(fd, conn, 1);
                        if (alive) Interlocked.Increment(ref round1Ok);
                    }
                }
                catch (Exception e) { Error("exception1:" + e.GetType().Name); alive = false; }
                connected.Done();

                try
                {
                    await roundTwo.WaitAsync();
                    if (alive && await Round(fd, conn, 2)) Interlocked.Increment(ref round2Ok);
                }
                catch (Exception e) { Error("exception2:" + e.GetType().Name); }
                echoed.Done();

                try
                {
                    await closeAll.WaitAsync();
                    if (fd >= 0 && Sock.Close(fd) != 0) Error($"close:{Sock.Error()}");
                }
                catch (Exception e) { Error("exception3:" + e.GetType().Name); }
                closed.Done();
            }, i);
        }

        bool up = WaitBounded(connected);
        long connectMs = sw.ElapsedMilliseconds;
        Console.Out.WriteLine($"RESULT connected={connectedOk} round1_ok={round1Ok} connect_ms={connectMs} all_up={up}");
        roundTwo.Signal();
        bool echoedAll = WaitBounded(echoed);
        Console.Out.WriteLine($"RESULT round2_ok={round2Ok} round2_done={echoedAll} round2_ms={sw.ElapsedMilliseconds - connectMs}");
        closeAll.Signal();
        bool closedAll = WaitBounded(closed);
        Console.Out.WriteLine($"RESULT closed={(closedAll ? count : count - closed.Count)} total_ms={sw.ElapsedMilliseconds} " +
                              $"errors={(errors.IsEmpty ? "none" : string.Join(',', errors.OrderBy(e => e.Key).Select(e => $"{e.Key}:{e.Value}")))}");
        if (!up || !echoedAll || !closedAll) return Fail("clients did not finish in time");
        return connectedOk == count && round1Ok == count && round2Ok == count && errors.IsEmpty ? 0 : Fail("some connections failed");
    }
}

/// <summary>RLIMIT_NOFILE for the sock-clients scenario.</summary>
internal static unsafe partial class SockHostNative
{
    private const int RlimitNofile = 7;

    [System.Runtime.InteropServices.StructLayout(System.Runtime.InteropServices.LayoutKind.Sequential)]
    private struct RLimit
    {
        public ulong Cur;
        public ulong Max;
    }

    [System.Runtime.InteropServices.LibraryImport("libc", EntryPoint = "getrlimit", SetLastError = true)]
    private static partial int GetRLimit(int resource, RLimit* limit);

    [System.Runtime.InteropServices.LibraryImport("libc", EntryPoint = "setrlimit", SetLastError = true)]
    private static partial int SetRLimit(int resource, RLimit* limit);

    /// <summary>Raises the soft limit to at least <paramref name="needed"/> (up to the hard limit); returns it.</summary>
    public static long EnsureFdLimit(long needed)
    {
        RLimit limit;
        if (GetRLimit(RlimitNofile, &limit) != 0) return -1;
        if (limit.Cur < (ulong)needed)
        {
            RLimit raised = limit;
            raised.Cur = Math.Min((ulong)needed, limit.Max);
            if (SetRLimit(RlimitNofile, &raised) == 0) limit = raised;
        }
        return limit.Cur > long.MaxValue ? long.MaxValue : (long)limit.Cur;
    }
}
