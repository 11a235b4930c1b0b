// The HttpClient.Send scenario of issue 5: the synchronous HttpClient API in sync coroutines on one scheduler, against a
// local HTTP server written with the runtime's own socket API (Co.Sock) that answers each request after 200 ms.
using System.Text;
using Co;
using Co.Testing;

/// <summary>
/// <see cref="HttpClient.Send(HttpRequestMessage)"/> (sync) in coroutines. SocketsHttpHandler's sync path writes the
/// request and reads the response with the synchronous NetworkStream calls (Socket.Send / Socket.Receive), on a socket
/// it connected with ConnectAsync — non-blocking underneath — so a sync Receive waits inside the runtime, where only the
/// managed hook layer's Socket detours can park the coroutine instead of the thread.
/// </summary>
/// <remarks>
/// Two schedulers, as in <see cref="CurlScenario"/>: scheduler 0 runs only the clients (and a ticker), scheduler 1 only
/// the HTTP server, so that the unhooked control, whose sends block scheduler 0's thread, cannot starve the server it is
/// waiting for. Both scenarios use the same DelayingHttpServer.
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

    /// <summary>Run with the hooks on.</summary>
    [Scenario("http-send")]
    public static void Hooked() => Run(hooks: true);

    /// <summary>The control of <see cref="Hooked"/>: Run without the hooks.</summary>
    [Scenario("http-send-unhooked")]
    public static void Unhooked()
    {
        Controls.WithoutMonitor();
        Run(hooks: false);
    }

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

        // What SocketsHttpHandler's sync path reads and writes through (NetworkStream.Read(Span) / Write(ReadOnlySpan)).
        ClientProbe.Configure(2, hooks, "Socket.Receive(Span<byte>, SocketFlags, out SocketError)", "Socket.Send(ReadOnlySpan<byte>, SocketFlags, out SocketError)");
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

        var probe = new ClientProbe(clientScheduler, clients);
        probe.StartClients(id =>
        {
            string path = $"/client-{id}";
            (int status, string body) = probe.InFlight(() => Fetch(client, $"http://127.0.0.1:{server.Port}{path}"));
            if (status != 200 || body != DelayingHttpServer.BodyFor(path))
            {
                probe.Failures.Enqueue($"client {id}: HTTP {status}, body '{body}'");
            }
        });

        probe.Wait("the clients", 45);
        probe.CheckHttp(hooks, "sends", probe.LastFinishMs, server.Served - servedBefore, server, DelayMs);
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
