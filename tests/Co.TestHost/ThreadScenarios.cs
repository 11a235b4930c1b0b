using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using Co.Testing;
using static Co.TestHost.ScenarioSupport;

namespace Co.TestHost;

/// <summary>The threads that carry coroutines: their stack size, CPU affinity, and the spare threads' idle timeout.</summary>
internal static class ThreadScenarios
{
    // Arguments: BYTES. SyncStackSize honoured by the threads that carry sync coroutines (starting and parked):
    // a sync coroutine recurses ~2 MiB deep (far beyond the 256 KiB default), before and after a Sleep.
    [Scenario("stack-size")]
    internal static void StackSize(string[] args)
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
        if (!ok) throw Fail("coroutine did not finish");
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

    // Arguments: true|false. CPU masks of the threads that run coroutines of each scheduler (sync at start, sync after a
    // park, async after an await), with PinSchedulerThreads as given. Prints `AFF sched=S where=W cpus=a,b,...`.
    [Scenario("affinity")]
    internal static void Affinity(string[] args)
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
            if (!done.Wait(Bound) || !doneAsync.Wait(Bound)) throw Fail("coroutines did not finish");
        }
        foreach (var l in lines) Console.Out.WriteLine(l);
        Console.Out.WriteLine($"RESULT process_cpus={string.Join(',', CurrentThreadCpus())} processor_count={Environment.ProcessorCount}");
    }

    [System.Runtime.InteropServices.DllImport("libc", SetLastError = true)]
    private static extern int sched_getaffinity(int pid, nint cpusetsize, byte[] mask);

    [System.Runtime.InteropServices.DllImport("kernel32.dll")]
    private static extern nint GetCurrentThread();

    [System.Runtime.InteropServices.DllImport("kernel32.dll", SetLastError = true)]
    private static extern nuint SetThreadAffinityMask(nint thread, nuint mask);

    [System.Runtime.InteropServices.DllImport("kernel32.dll", SetLastError = true)]
    private static extern bool GetProcessAffinityMask(nint process, out nuint processMask, out nuint systemMask);

    private static List<int> CurrentThreadCpus() => OperatingSystem.IsWindows() ? CurrentThreadCpusOnWindows() : CurrentThreadCpusOnLinux();

    // Windows has no call that reads a thread's mask: setting one returns the previous, so set the process's mask
    // and put the old one back at once (the coroutine is on this thread meanwhile, so nothing else moves it).
    private static List<int> CurrentThreadCpusOnWindows()
    {
        if (!GetProcessAffinityMask(System.Diagnostics.Process.GetCurrentProcess().Handle, out nuint processMask, out _))
            throw new InvalidOperationException("GetProcessAffinityMask failed");
        nuint mask = SetThreadAffinityMask(GetCurrentThread(), processMask);
        if (mask == 0 || SetThreadAffinityMask(GetCurrentThread(), mask) == 0)
            throw new InvalidOperationException("SetThreadAffinityMask failed");
        var cpus = new List<int>();
        for (int i = 0; i < nuint.Size * 8; i++)
            if ((mask & ((nuint)1 << i)) != 0) cpus.Add(i);
        return cpus;
    }

    private static List<int> CurrentThreadCpusOnLinux()
    {
        var mask = new byte[128];
        if (sched_getaffinity(0, mask.Length, mask) != 0) throw new InvalidOperationException("sched_getaffinity failed");
        var cpus = new List<int>();
        for (int i = 0; i < mask.Length * 8; i++)
            if ((mask[i / 8] & (1 << (i % 8))) != 0) cpus.Add(i);
        return cpus;
    }

    // SpareThreadIdleTimeout = 1 s. 200 concurrently parked sync coroutines need ~200 threads; once
    // they have finished, the spare threads must exit after about a second.
    [Scenario("spare-timeout")]
    internal static void SpareTimeout()
    {
        Coroutine.Configure(o => { o.SchedulerCount = 2; o.SpareThreadIdleTimeout = TimeSpan.FromSeconds(1); });
        if (!RunSyncBounded(() => { })) throw Fail("coroutine did not run");
        Thread.Sleep(200);
        int baseline = ThreadCount();
        var release = new Event(manualReset: true);
        var parked = new WaitGroup(200);
        var finished = new WaitGroup(200);
        for (int i = 0; i < 200; i++)
            Coroutine.Go(() => { parked.Done(); release.Wait(); finished.Done(); });
        if (!WaitBounded(parked)) throw Fail("coroutines did not park");
        Thread.Sleep(100);
        int peak = ThreadCount();
        release.Signal();
        if (!WaitBounded(finished)) throw Fail("coroutines did not finish");
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
    }

    private static int ThreadCount()
    {
        using var p = System.Diagnostics.Process.GetCurrentProcess();
        return p.Threads.Count;
    }
}
