using System.Diagnostics;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using Co;
using Co.Hook;
using Co.Testing;

/// <summary>Scenarios of the hook layer: name lookups against a slow resolver.</summary>
internal static partial class HookScenarios
{
    /// <summary>A name under .invalid: never in /etc/hosts, so every lookup asks the resolver.</summary>
    private const string MissingName = "co-slow-resolver-probe.invalid";

    /// <summary>How long the resolver takes to answer each query.</summary>
    private const int ResolverDelayMs = 500;

    /// <summary>How many coroutines look the name up at once.</summary>
    private const int ConcurrentLookups = 20;

    /// <summary>
    /// Concurrent lookups from coroutines take about one lookup's time: 20 sync coroutines on one scheduler, hooks on,
    /// each resolve a missing name — through managed <c>Dns</c>, getaddrinfo and gethostbyname_r in turn — against a
    /// resolver on 127.0.0.1 that answers NXDOMAIN after 0.5 s. All 20 must fail exactly as the same call fails on a
    /// plain thread (the SocketError and native code, the EAI code, the return value and h_errno), and together take
    /// well under 20 × 0.5 s. The thread pool is held to one thread without injection delay beyond it, so the result
    /// does not depend on the machine's core count: lookups handed to the pool queue behind each other (about 7 s for
    /// 20 on two cores before the offload threads). Runs only in a private network namespace, as the test starts it
    /// (unshare --net --mount, resolv.conf pointing at 127.0.0.1), since it serves DNS on port 53.
    /// </summary>
    [Scenario("dns-slow-resolver")]
    public static void SlowResolver()
    {
        Scenarios.Check(File.ReadAllText("/etc/resolv.conf").Contains("nameserver 127.0.0.1", StringComparison.Ordinal), "/etc/resolv.conf does not point at 127.0.0.1: run this scenario as its test does, in a private network namespace");
        Scenarios.Check(new FileInfo("/proc/self/ns/net").LinkTarget != new FileInfo("/proc/1/ns/net").LinkTarget,
            "not in a private network namespace: refusing to serve DNS on the machine's port 53");
        Scenarios.Check(ThreadPool.SetMinThreads(1, 1), "ThreadPool.SetMinThreads(1, 1) refused");
        Coroutine.Configure(o => o.SchedulerCount = 1);
        using var resolver = new SlowNxDomainResponder(ResolverDelayMs);
        Hooks.Enable();
        Scenarios.Check(Hooks.Status["getaddrinfo"].State == HookState.Hooked, "getaddrinfo: " + Hooks.Status["getaddrinfo"]);

        var clock = Stopwatch.StartNew();
        string[] onPlainThread = [.. Enumerable.Range(0, 3).Select(LookUp)];
        long oneLookupMs = clock.ElapsedMilliseconds / 3;
        Console.WriteLine($"RESULT one_lookup_ms={oneLookupMs}");
        Scenarios.Check(oneLookupMs >= ResolverDelayMs * 8 / 10, $"a lookup on a plain thread took {oneLookupMs} ms: the resolver's {ResolverDelayMs} ms delay was not in effect");
        Scenarios.Check(onPlainThread[0].StartsWith("Dns: HostNotFound", StringComparison.Ordinal), "managed Dns on a plain thread: " + onPlainThread[0]);

        long offloadedBefore = Interlocked.Read(ref Co.Hook.Handlers.ResolverHandlers.Offloaded);
        var inCoroutines = new string[ConcurrentLookups];
        var done = new WaitGroup(ConcurrentLookups);
        clock.Restart();
        for (int i = 0; i < ConcurrentLookups; i++)
        {
            int index = i;
            Coroutine.Go(() =>
            {
                inCoroutines[index] = LookUp(index % 3);
                done.Done();
            });
        }

        Scenarios.Check(Task.Run(done.Wait).Wait(TimeSpan.FromSeconds(45)), "the lookups in coroutines did not finish within 45 s");
        long concurrentMs = clock.ElapsedMilliseconds;
        Console.WriteLine($"RESULT concurrent_lookups_ms={concurrentMs}");
        long offloaded = Interlocked.Read(ref Co.Hook.Handlers.ResolverHandlers.Offloaded) - offloadedBefore;
        Scenarios.Check(offloaded >= ConcurrentLookups, $"only {offloaded} of {ConcurrentLookups} lookups in coroutines went through the hooks");
        for (int i = 0; i < ConcurrentLookups; i++)
        {
            Scenarios.Check(inCoroutines[i] == onPlainThread[i % 3], $"lookup {i} in a coroutine: '{inCoroutines[i]}', on a plain thread: '{onPlainThread[i % 3]}'");
        }

        Scenarios.Check(concurrentMs < 3000, $"{ConcurrentLookups} concurrent lookups of {ResolverDelayMs} ms from coroutines took {concurrentMs} ms (one took {oneLookupMs} ms): they queued instead of running at once");
    }

    /// <summary>One lookup of <see cref="MissingName"/> by way <paramref name="way"/> (0: managed Dns, 1: getaddrinfo,
    /// 2: gethostbyname_r), as text comparable between a coroutine and a plain thread.</summary>
    private static unsafe string LookUp(int way)
    {
        switch (way)
        {
            case 0:
                try
                {
                    return "Dns: resolved to " + string.Join<System.Net.IPAddress>(", ", System.Net.Dns.GetHostAddresses(MissingName));
                }
                catch (SocketException failure)
                {
                    return $"Dns: {failure.SocketErrorCode} (native {failure.NativeErrorCode})";
                }

            case 1:
                void* addresses = null;
                int status = SlowResolverLibc.GetAddrInfo(MissingName, null, null, &addresses);
                if (status == 0)
                {
                    SlowResolverLibc.FreeAddrInfo(addresses);
                }

                return $"getaddrinfo: {status}";

            default:
                byte[] name = System.Text.Encoding.ASCII.GetBytes(MissingName + "\0");
                byte* entry = stackalloc byte[64];
                byte* buffer = stackalloc byte[8192];
                void* result = null;
                int hostErrno = -1;
                int returned;
                fixed (byte* namePointer = name)
                {
                    returned = SlowResolverLibc.GetHostByNameR(namePointer, entry, buffer, 8192, &result, &hostErrno);
                }

                return $"gethostbyname_r: {returned}, {(result == null ? "no entry" : "an entry")}, h_errno {hostErrno}";
        }
    }

    private static unsafe partial class SlowResolverLibc
    {
        [LibraryImport("libc", EntryPoint = "getaddrinfo", StringMarshalling = StringMarshalling.Utf8)]
        public static partial int GetAddrInfo(string node, string? service, void* hints, void** result);

        [LibraryImport("libc", EntryPoint = "freeaddrinfo")]
        public static partial void FreeAddrInfo(void* addresses);

        [LibraryImport("libc", EntryPoint = "gethostbyname_r")]
        public static partial int GetHostByNameR(byte* name, void* entry, byte* buffer, nint length, void** result, int* hostErrno);
    }
}
