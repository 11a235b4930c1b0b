// The libcurl scenario of issue 4: curl_easy_perform through P/Invoke, in sync coroutines, against a local HTTP server
// written with the runtime's own socket API (Co.Sock) that answers each request after 200 ms.
using System.Runtime.InteropServices;
using System.Text;
using Co;
using Co.Samples;
using Co.Testing;

/// <summary>
/// libcurl's easy interface in coroutines. curl makes its socket non-blocking, connects (EINPROGRESS) and then waits in
/// libc poll() inside curl_easy_perform; with the hooks that poll parks only the calling coroutine.
/// </summary>
/// <remarks>
/// Two schedulers: scheduler 0 runs only the curl clients (and a ticker), scheduler 1 only the HTTP server. The issue's
/// "50 coroutines on 1 scheduler" is about the clients' scheduler; the server has a scheduler of its own so that the
/// unhooked control, whose fetches block scheduler 0's thread, cannot starve the server it is waiting for.
/// </remarks>
internal static class CurlScenario
{
    private const int DelayMs = 200;

    /// <summary>Run with the hooks on.</summary>
    [Scenario("curl")]
    public static void Hooked() => Run(hooks: true);

    /// <summary>The control of <see cref="Hooked"/>: Run without the hooks.</summary>
    [Scenario("curl-unhooked")]
    public static void Unhooked()
    {
        Controls.WithoutMonitor();
        Run(hooks: false);
    }

    /// <summary>
    /// Hooked: 50 fetches on scheduler 0 overlap — the server holds many requests at once (usually all 50), the whole run
    /// takes well under 50 × 200 ms, and a ticker coroutine on scheduler 0 keeps ticking while fetches are in flight.
    /// Unhooked (10 clients, the control): each curl_easy_perform blocks scheduler 0's thread, so the server never holds
    /// more than one request, the run takes at least 90 % of 10 × 200 ms, and the ticker never ticks during a fetch.
    /// Every client checks that it got its own reply.
    /// </summary>
    public static void Run(bool hooks)
    {
        int clients = hooks ? 50 : 10;

        // What curl's transfers go through (strace: connect → EINPROGRESS, then poll, send, recv).
        ClientProbe.Configure(2, hooks, "connect", "poll", "send", "recv");
        Scenarios.Check(LibCurl.GlobalInit(LibCurl.GlobalDefault) == 0, "curl_global_init failed");
        Scheduler clientScheduler = Coroutine.Schedulers[0];
        Scheduler serverScheduler = Coroutine.Schedulers[1];
        using var server = DelayingHttpServer.Start(serverScheduler, DelayMs);

        // The longest gap between ticks is printed, not asserted with hooks: it also holds the CPU bursts of 50 clients
        // starting up and finishing together, over 150 ms on a loaded 2-CPU machine.
        var probe = new ClientProbe(clientScheduler, clients);
        probe.StartClients(id =>
        {
            string path = $"/client-{id}";
            (int result, long status, string body) = Fetch($"http://127.0.0.1:{server.Port}{path}", probe);
            if (result != 0 || status != 200 || body != DelayingHttpServer.BodyFor(path))
            {
                probe.Failures.Enqueue($"client {id}: curl_easy_perform {result} ({LibCurl.StrError(result)}), HTTP {status}, body '{body}'");
            }
        });

        probe.Wait("the clients", 45);
        probe.CheckHttp(hooks, "fetches", probe.ElapsedMs, server.Served, server, DelayMs);
    }

    /// <summary>One curl easy transfer of <paramref name="url"/> in the calling (sync) coroutine, curl_easy_perform
    /// counted in flight by <paramref name="probe"/>.</summary>
    private static unsafe (int Result, long Status, string Body) Fetch(string url, ClientProbe probe)
    {
        nint easy = LibCurl.EasyInit();
        Scenarios.Check(easy != 0, "curl_easy_init failed");
        var body = new List<byte>();
        GCHandle handle = GCHandle.Alloc(body);
        try
        {
            byte[] urlBytes = Encoding.ASCII.GetBytes(url + "\0");
            fixed (byte* urlText = urlBytes)
            {
                // libcurl copies string options, so the pinned buffer need only live through the call.
                SetOpt(easy, LibCurl.OptUrl, (nint)urlText);
            }

            SetOpt(easy, LibCurl.OptWriteFunction, (nint)(delegate* unmanaged<byte*, nuint, nuint, nint, nuint>)&LibCurl.Collect);
            SetOpt(easy, LibCurl.OptWriteData, GCHandle.ToIntPtr(handle));
            SetOpt(easy, LibCurl.OptNoSignal, 1L);
            SetOpt(easy, LibCurl.OptTimeoutMs, 20_000L);
            int result = probe.InFlight(() => LibCurl.EasyPerform(easy));
            long status = 0;
            Scenarios.Check(LibCurl.EasyGetInfo(easy, LibCurl.InfoResponseCode, &status) == 0, "curl_easy_getinfo(CURLINFO_RESPONSE_CODE) failed");
            return (result, status, Encoding.ASCII.GetString(body.ToArray()));
        }
        finally
        {
            LibCurl.EasyCleanup(easy);
            handle.Free();
        }
    }

    private static void SetOpt(nint easy, int option, nint value)
    {
        int result = LibCurl.EasySetOptPointer(easy, option, value);
        Scenarios.Check(result == 0, $"curl_easy_setopt({option}) returned {result} ({LibCurl.StrError(result)})");
    }

    private static void SetOpt(nint easy, int option, long value)
    {
        int result = LibCurl.EasySetOptLong(easy, option, value);
        Scenarios.Check(result == 0, $"curl_easy_setopt({option}) returned {result} ({LibCurl.StrError(result)})");
    }
}
