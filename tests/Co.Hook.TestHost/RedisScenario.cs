// A Redis client that waits in Monitor.Wait (issue 15): StackExchange.Redis's synchronous API, in sync coroutines on
// one scheduler, against a redis-server the scenario starts on a free loopback port (tests/services/packages.sh
// installs it).
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Co;
using Co.Testing;
using StackExchange.Redis;

/// <summary>
/// StackExchange.Redis's synchronous commands queue the message for the multiplexer's writer, then wait for its own
/// reader thread to complete it in <see cref="Monitor.Wait(object, int)"/> on the message — the wait the managed
/// layer parks. Each coroutine has its own multiplexer (connected beforehand, on the main thread) and runs
/// <c>BLPOP key 0.2</c> on an empty list, which the server answers (nil) after 200 ms without blocking other clients.
/// </summary>
internal static class RedisScenario
{
    private const int BlockMs = 200;

    /// <summary>Run with the hooks on: 100 coroutines.</summary>
    [Scenario("redis")]
    public static void Hooked() => Run(hooks: true, clients: 100);

    /// <summary>The control of <see cref="Hooked"/>: 5 coroutines without the hooks.</summary>
    [Scenario("redis-unhooked")]
    public static void Unhooked()
    {
        Controls.WithoutMonitor();
        Run(hooks: false, clients: 5);
    }

    /// <summary>Hooked: every BLPOP in flight at once and the batch in well under two of them (2 s bound for 100);
    /// unhooked: one at a time, at least 90 % of clients × 200 ms.</summary>
    public static void Run(bool hooks, int clients)
    {
        ClientProbe.Configure(1, hooks, "Monitor.Wait(object, int)", "Monitor.Pulse(object)");
        int port = FreePort();
        using Process server = Process.Start(new ProcessStartInfo("redis-server", $"--port {port} --bind 127.0.0.1 --save \"\" --appendonly no")
        {
            RedirectStandardOutput = true,
        })!;
        try
        {
            var multiplexers = new ConnectionMultiplexer[clients];
            for (int i = 0; i < clients; i++)
            {
                multiplexers[i] = ConnectWhenUp(port);
            }

            int inFlight = 0;
            int maxInFlight = 0;
            var watch = Stopwatch.StartNew();
            CoroutineRun.All(clients, i =>
            {
                IDatabase database = multiplexers[i].GetDatabase();
                int now = Interlocked.Increment(ref inFlight);
                int seen;
                while ((seen = Volatile.Read(ref maxInFlight)) < now && Interlocked.CompareExchange(ref maxInFlight, now, seen) != seen)
                {
                }

                RedisResult result = database.Execute("BLPOP", $"co-empty-{i}", (BlockMs / 1000.0).ToString(System.Globalization.CultureInfo.InvariantCulture));
                Interlocked.Decrement(ref inFlight);
                Scenarios.Check(result.IsNull, $"BLPOP on an empty list returned {result}");
            }, TimeSpan.FromSeconds(60));
            long elapsed = watch.ElapsedMilliseconds;
            Console.WriteLine($"REDIS {clients} BLPOPs of {BlockMs} ms took {elapsed} ms, at most {maxInFlight} in flight");
            foreach (ConnectionMultiplexer multiplexer in multiplexers)
            {
                multiplexer.Dispose();
            }

            if (hooks)
            {
                Scenarios.Check(maxInFlight >= clients * 9 / 10 && elapsed < 2000, $"{clients} BLPOPs took {elapsed} ms, at most {maxInFlight} in flight");
            }
            else
            {
                Scenarios.Check(maxInFlight == 1 && elapsed >= clients * BlockMs * 9 / 10, $"without hooks {clients} BLPOPs took {elapsed} ms, {maxInFlight} in flight: not serialized");
            }
        }
        finally
        {
            server.Kill();
            server.WaitForExit();
        }
    }

    /// <summary>Connects a multiplexer, retrying while the server starts (a few seconds at most).</summary>
    private static ConnectionMultiplexer ConnectWhenUp(int port)
    {
        var watch = Stopwatch.StartNew();
        while (true)
        {
            try
            {
                return ConnectionMultiplexer.Connect($"127.0.0.1:{port},abortConnect=true,connectTimeout=2000");
            }
            catch (RedisConnectionException) when (watch.ElapsedMilliseconds < 10_000)
            {
                Thread.Sleep(50);
            }
        }
    }

    private static int FreePort()
    {
        using var probe = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        probe.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        return ((IPEndPoint)probe.LocalEndPoint!).Port;
    }
}
