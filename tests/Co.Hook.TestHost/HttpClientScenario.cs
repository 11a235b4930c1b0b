// The HttpClient.Send scenario of issue 5: the synchronous HttpClient API in sync coroutines on one scheduler, against a
// local HTTP server written with the runtime's own socket API (Co.Sock) that answers each request after 200 ms.
using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Text;
using Co;

/// <summary>
/// <see cref="HttpClient.Send(HttpRequestMessage)"/> (sync) in coroutines. SocketsHttpHandler's sync path writes the
/// request and reads the response with the synchronous NetworkStream calls (Socket.Send / Socket.Receive), on a socket
/// it connected with ConnectAsync — non-blocking underneath — so a sync Receive waits inside the runtime, where only the
/// managed hook layer's Socket detours can park the coroutine instead of the thread.
/// </summary>
/// <remarks>
/// Two schedulers, as in <see cref="CurlScenario"/>: scheduler 0 runs only the clients (and a ticker), scheduler 1 only
/// the HTTP server, so that the unhooked control, whose sends block scheduler 0's thread, cannot starve the server it is
/// waiting for. The server is a copy of CurlScenario's (which is private to it).
/// <para>
/// One wait inside Send is not a socket call: with no idle pooled connection, the request waits for the connection
/// the pool opens on the thread pool, in HttpConnectionWaiter.WaitForConnectionAsync(async: false) →
/// TaskCompletionSourceWithCancellation.WaitWithCancellation → Task.GetAwaiter().GetResult() →
/// Task.SpinThenBlockingWait. The managed layer's detour of that Task wait parks the coroutine there; without it the
/// wait ends in ManualResetEventSlim.Wait → Monitor.Wait and blocks the scheduler thread for as long as the connect
/// takes (seen with dotnet-stack and a ConnectCallback that delays 2 s: the whole scheduler stalled 2 s). On loopback
/// the connect is well under a tick, so this test does not depend on that detour.
/// </para>
/// </remarks>
internal static class HttpClientScenario
{
    private const int DelayMs = 200;

    /// <summary>
    /// Hooked: 50 sync HttpClient.Send calls (one shared HttpClient) on scheduler 0 overlap — the server holds at least
    /// 10 requests at once (serial sends give exactly 1), the run takes under 50 × 200 ms / 2, and a ticker coroutine on
    /// scheduler 0 ticks at least 5 times while sends are in flight. Unhooked (10 clients, the control): the server never
    /// holds more than one request, the run takes at least 90 % of 10 × 200 ms, and the ticker never ticks during a send.
    /// Every client reads its body synchronously (ReadAsStream + StreamReader.ReadToEnd) and checks that it names its
    /// own path.
    /// </summary>
    public static void Run(bool hooks)
    {
        int clients = hooks ? 50 : 10;
        Coroutine.Configure(o => o.SchedulerCount = 2);
        if (hooks)
        {
            Hooks.Enable();
            foreach ((string name, string state) in Hooks.Status)
            {
                Scenarios.Check(state == Hooks.Hooked || state.StartsWith("not needed: ", StringComparison.Ordinal), $"{name}: {state}");
            }

            // What SocketsHttpHandler's sync path reads and writes through (NetworkStream.Read(Span) / Write(ReadOnlySpan)).
            foreach (string name in new[] { "Socket.Receive(Span<byte>, SocketFlags, out SocketError)", "Socket.Send(ReadOnlySpan<byte>, SocketFlags, out SocketError)" })
            {
                Scenarios.Check(Hooks.Status.GetValueOrDefault(name) == Hooks.Hooked,
                    $"{name}: {Hooks.Status.GetValueOrDefault(name) ?? "missing"}\n{string.Join("\n", Hooks.Status.Select(entry => $"  {entry.Key}: {entry.Value}"))}");
            }
        }
        else
        {
            Scenarios.Check(!Hooks.IsEnabled, "the control must run without hooks");
        }

        Scheduler clientScheduler = Coroutine.Schedulers[0];
        Scheduler serverScheduler = Coroutine.Schedulers[1];
        using var server = DelayingHttpServer.Start(serverScheduler, DelayMs);
        using var client = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = 1000, PooledConnectionLifetime = TimeSpan.FromMinutes(1) })
        {
            Timeout = TimeSpan.FromSeconds(30),
        };

        // Warm-up on this plain thread: the first Send of a process JITs the whole handler; and the server is there.
        (int warmStatus, string warmBody) = Fetch(client, $"http://127.0.0.1:{server.Port}/warm-up");
        Scenarios.Check(warmStatus == 200 && warmBody == DelayingHttpServer.BodyFor("/warm-up"), $"the warm-up request on a plain thread got HTTP {warmStatus}, body '{warmBody}'");
        int servedBefore = server.Served;
        server.ResetMaxPending();

        var failures = new ConcurrentQueue<string>();
        var done = new WaitGroup(clients + 1);
        int finished = 0;
        long lastFinishMs = 0; // when the last client finished: the main thread's own wake-up is not the clients' time
        int inFlight = 0;
        int ticks = 0;
        int ticksInFlight = 0;
        long longestTickGap = 0;
        var watch = Stopwatch.StartNew();

        // The ticker: on the clients' scheduler, 10 ms coroutine sleeps until every client has finished (at most 30 s).
        // A sync client never yields between counting itself in flight and calling Send, so the ticker can run while a
        // send is in flight only if a wait inside Send parked the coroutine instead of blocking the thread.
        clientScheduler.Go(() =>
        {
            long last = watch.ElapsedMilliseconds;
            while (Volatile.Read(ref finished) < clients && watch.ElapsedMilliseconds < 30_000)
            {
                Coroutine.Sleep(10);
                long now = watch.ElapsedMilliseconds;
                longestTickGap = Math.Max(longestTickGap, now - last);
                last = now;
                ticks++;
                if (inFlight > 0) // one scheduler: read between the clients' updates, never during one
                {
                    ticksInFlight++;
                }
            }

            done.Done();
        });

        for (int i = 0; i < clients; i++)
        {
            clientScheduler.Go(id =>
            {
                try
                {
                    string path = $"/client-{id}";
                    inFlight++;
                    int status;
                    string body;
                    try
                    {
                        (status, body) = Fetch(client, $"http://127.0.0.1:{server.Port}{path}");
                    }
                    finally
                    {
                        inFlight--;
                    }

                    if (status != 200 || body != DelayingHttpServer.BodyFor(path))
                    {
                        failures.Enqueue($"client {id}: HTTP {status}, body '{body}'");
                    }
                }
                catch (Exception exception)
                {
                    failures.Enqueue($"client {id}: {exception}");
                }
                finally
                {
                    lastFinishMs = Math.Max(lastFinishMs, watch.ElapsedMilliseconds); // one scheduler: no races
                    Interlocked.Increment(ref finished);
                    done.Done();
                }
            }, i);
        }

        Scenarios.Check(Task.Run(done.Wait).Wait(TimeSpan.FromSeconds(45)), "the clients did not finish within 45 s");
        long elapsed = Volatile.Read(ref lastFinishMs);
        int served = server.Served - servedBefore;
        Console.WriteLine($"ELAPSED {elapsed} clients={clients} served={served} maxPending={server.MaxPending} ticks={ticks} ticksInFlight={ticksInFlight} longestTickGap={longestTickGap}");
        Scenarios.Check(failures.IsEmpty, string.Join("\n", failures));
        Scenarios.Check(served == clients, $"the server answered {served} of {clients} requests");
        if (hooks)
        {
            Scenarios.Check(elapsed < clients * DelayMs / 2, $"with hooks, {clients} sends of {DelayMs} ms took {elapsed} ms on one scheduler: not concurrent");
            Scenarios.Check(server.MaxPending >= 10, $"with hooks, the server held at most {server.MaxPending} of {clients} requests at once");
            Scenarios.Check(ticksInFlight >= 5, $"the ticker on the clients' scheduler ticked {ticksInFlight} times while sends were in flight: the scheduler was blocked");
        }
        else
        {
            Scenarios.Check(elapsed >= clients * DelayMs * 9 / 10, $"without hooks, {clients} sends took only {elapsed} ms: the control should serialize them");
            Scenarios.Check(server.MaxPending == 1, $"without hooks, the server held {server.MaxPending} requests at once: the control should serialize them");
            Scenarios.Check(ticksInFlight == 0 && longestTickGap >= DelayMs * 9 / 10,
                $"without hooks, the ticker ticked {ticksInFlight} times while sends were in flight and waited at most {longestTickGap} ms: the sends should block its scheduler");
        }
    }

    /// <summary>A GET of <paramref name="url"/> with the synchronous API only: Send, then the body read with
    /// ReadAsStream and StreamReader.ReadToEnd.</summary>
    private static (int Status, string Body) Fetch(HttpClient client, string url)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, url);
        using HttpResponseMessage response = client.Send(request, HttpCompletionOption.ResponseHeadersRead);
        using var reader = new StreamReader(response.Content.ReadAsStream(), Encoding.ASCII);
        return ((int)response.StatusCode, reader.ReadToEnd());
    }
}
