using System.Diagnostics;
using System.Runtime.InteropServices;
using Co;
using Co.Hook.Detours;
using Co.Testing;

/// <summary>Scenarios of the descriptor-level hooks: enabling and disabling the hooks repeatedly under
/// load.</summary>
internal static unsafe partial class DescriptorScenarios
{
    /// <summary>
    /// Enable and Disable 60 times while plain threads and coroutines echo over sockets: every echo is right, each
    /// Disable writes every function's original bytes back, and after the first cycle neither the executable arena nor
    /// the process's memory grows (the gates and trampolines are reused).
    /// </summary>
    [Scenario("install-cycles")]
    public static void InstallCycles()
    {
        const int cycles = 60;
        Coroutine.Configure(o => o.SchedulerCount = 2);
        nint libc = NativeLibrary.Load("libc.so.6");
        Hooks.Enable();
        var targets = new List<nint>();
        foreach ((string name, HookStatus state) in Hooks.Status)
        {
            if (state.State == HookState.Hooked && NativeLibrary.TryGetExport(libc, name, out nint export))
            {
                targets.Add(export); // the libc functions (the managed layer's methods have no export)
            }
        }

        Scenarios.Check(targets.Count >= 30, $"only {targets.Count} libc functions hooked");
        Hooks.Disable();
        var originals = targets.Select(t => new ReadOnlySpan<byte>((void*)t, 8).ToArray()).ToList();

        bool running = true;
        long echoes = 0;
        string? failure = null;
        var load = new List<Thread>();
        for (int t = 0; t < 2; t++)
        {
            load.Add(new Thread(() => Echo(ref running, ref echoes, ref failure)) { IsBackground = true });
        }

        load.ForEach(t => t.Start());
        var echoing = new WaitGroup(4);
        for (int c = 0; c < 4; c++)
        {
            Coroutine.Go(() =>
            {
                try
                {
                    Echo(ref running, ref echoes, ref failure);
                }
                finally
                {
                    echoing.Done();
                }
            });
        }

        long arenaAfterFirst = 0;
        long rssAfterFirst = 0;
        var watch = Stopwatch.StartNew();
        for (int cycle = 0; cycle < cycles && watch.Elapsed < TimeSpan.FromSeconds(40); cycle++)
        {
            Hooks.Enable();
            Scenarios.Check(Hooks.Status.Values.All(v => v.State is HookState.Hooked or HookState.NotNeeded), $"cycle {cycle}: not every hook installed");
            Thread.Sleep(1);
            Hooks.Disable();
            for (int i = 0; i < targets.Count; i++)
            {
                Scenarios.Check(new ReadOnlySpan<byte>((void*)targets[i], 8).SequenceEqual(originals[i]), $"cycle {cycle}: function {i}'s bytes were not restored");
            }

            if (cycle == 4)
            {
                GC.Collect();
                arenaAfterFirst = ExecutableArena.BytesAllocated;
                rssAfterFirst = Environment.WorkingSet;
            }
        }

        Volatile.Write(ref running, false);
        load.ForEach(t => t.Join());
        Scenarios.Check(Task.Run(echoing.Wait).Wait(TimeSpan.FromSeconds(10)), "the echoing coroutines did not stop");
        GC.Collect();
        long arenaGrowth = ExecutableArena.BytesAllocated - arenaAfterFirst;
        long rssGrowth = Environment.WorkingSet - rssAfterFirst;
        Console.WriteLine($"ECHOES {echoes} ARENA {ExecutableArena.BytesAllocated} (+{arenaGrowth}) RSS +{rssGrowth / 1024} KiB");
        Scenarios.Check(failure is null, failure ?? "");
        Scenarios.Check(echoes > 1000, $"only {echoes} echoes during the cycles");
        Scenarios.Check(arenaGrowth == 0, $"the executable arena grew by {arenaGrowth} bytes over the cycles");
        Scenarios.Check(rssGrowth < 32 << 20, $"the process grew by {rssGrowth / 1024} KiB over the cycles");
    }

    /// <summary>Echoes 4-byte counters over a socketpair with blocking send/recv until <paramref name="running"/> is
    /// cleared (at most 60 s); records the first wrong echo.</summary>
    private static void Echo(ref bool running, ref long echoes, ref string? failure)
    {
        int* pair = stackalloc int[2];
        Native.SocketPair(AfUnix, SockStream, 0, pair);
        var limit = Stopwatch.StartNew();
        for (int i = 0; Volatile.Read(ref running) && limit.Elapsed < TimeSpan.FromSeconds(60); i++)
        {
            int sent = i;
            int received = -1;
            if (Native.Send(pair[0], &sent, sizeof(int), 0) != sizeof(int) || Native.Recv(pair[1], &received, sizeof(int), 0x100) != sizeof(int) || received != i)
            {
                failure ??= $"echo {i} came back as {received} (errno {Marshal.GetLastPInvokeError()})";
                break;
            }

            Interlocked.Increment(ref echoes);
        }

        Native.Close(pair[0]);
        Native.Close(pair[1]);
    }
}
