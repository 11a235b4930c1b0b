using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using Co.Testing;
using static Co.TestHost.ScenarioSupport;

namespace Co.TestHost;

/// <summary>Many TCP clients of Co.Sock in one process, against the test's server.</summary>
internal static class SockClientsScenario
{
    // ---------------------------------------------------------------------------------------------------
    // Arguments: ip port count.
    //   Opens `count` TCP connections to ip:port from async coroutines (at most 256 connects in flight), holds
    //   them ALL open at once and echoes through each twice: round 1 as each connects, round 2 only after every
    //   connection is up. Each message is 16 bytes naming its connection and round; the echo must match exactly.
    //   Then closes them all. Raises RLIMIT_NOFILE first if needed. Prints
    //   `RESULT fd_limit=.. connected=.. round1_ok=.. round2_ok=.. closed=.. errors=errno:count,..` and timings.
    // ---------------------------------------------------------------------------------------------------
    [Scenario("sock-clients")]
    internal static void SockClients(string[] args)
    {
        var ci = System.Globalization.CultureInfo.InvariantCulture;
        var ip = System.Net.IPAddress.Parse(args[0]);
        int port = int.Parse(args[1], ci);
        int count = int.Parse(args[2], ci);
        long limit = SockHostNative.EnsureFdLimit(count + 512);
        Console.Out.WriteLine($"RESULT fd_limit={limit}");
        if (limit < count + 64) throw Fail($"RLIMIT_NOFILE is {limit}: cannot hold {count} sockets");

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
        if (!up || !echoedAll || !closedAll) throw Fail("clients did not finish in time");
        if (connectedOk != count || round1Ok != count || round2Ok != count || !errors.IsEmpty) throw Fail("some connections failed");
    }
}
