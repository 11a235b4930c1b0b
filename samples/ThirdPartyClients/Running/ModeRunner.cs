using Co;
using ThirdPartyClients.Clients;

namespace ThirdPartyClients.Running;

/// <summary>
/// One mode in this process: every selected client in turn, each with its own server, so one client's numbers never
/// include another's traffic. Two schedulers: 0 runs the clients' coroutines, 1 the coroutine servers.
/// </summary>
internal static class ModeRunner
{
    /// <summary>Runs the clients of <paramref name="options"/> in <paramref name="mode"/> against PostgreSQL at
    /// <paramref name="postgres"/> (null: skip those rows); the hooks must already be in the state
    /// <paramref name="hooks"/> describes. The monitor is set here, as the schedulers start.</summary>
    public static IReadOnlyList<ClientResult> Run(Options options, DemoMode mode, string hooks, string? postgres, IRunObserver observer)
    {
        TimeSpan threshold = TimeSpan.Zero;
        Coroutine.Configure(o =>
        {
            o.SchedulerCount = 2;
            if (!mode.Monitor)
            {
                // On by default: without this the "off" mode would be partly rescued, not the program as it is.
                o.BlockedSchedulerThreshold = TimeSpan.Zero;
            }

            threshold = o.BlockedSchedulerThreshold; // what the runtime will use: its default, or zero from above
        });
        Scheduler clients = Coroutine.Schedulers[0];
        var context = new DemoContext(Coroutine.Schedulers[1], options.DelayMs, postgres);
        TimeSpan limit = TimeSpan.FromMilliseconds(options.Requests * options.DelayMs * 3L) + TimeSpan.FromSeconds(30);
        string monitor = threshold > TimeSpan.Zero ? $"blocked-scheduler monitor on ({threshold.TotalMilliseconds:0} ms)" : "blocked-scheduler monitor off";
        observer.ModeStarted(mode.Name, $"{hooks}; {monitor}");
        using var handoffs = new MonitorHandoffs(clients);
        var results = new List<ClientResult>();
        foreach (string id in options.Only)
        {
            IClient client = ClientCatalog.Create(id, context, options.Requests);
            observer.ClientStarted(client.Id, client.Name, options.Requests);
            ClientResult result = Prepare(client) ?? Measure(client, options.Requests, clients, observer, limit, handoffs);
            DisposeInCoroutine(client, clients);
            observer.ClientFinished(result);
            results.Add(result);
        }

        return results;
    }

    /// <summary>The timed run, with what the monitor did during it.</summary>
    private static ClientResult Measure(IClient client, int requests, Scheduler scheduler, IRunObserver observer, TimeSpan limit, MonitorHandoffs handoffs)
    {
        handoffs.Begin();
        ClientResult result = ClientRun.Run(client, requests, scheduler, observer, limit);
        (int count, string? blockedIn) = handoffs.End();
        return result with { Handoffs = count, BlockedIn = blockedIn };
    }

    /// <summary>
    /// Disposes the client in a sync coroutine of <paramref name="scheduler"/>, not on this thread. A socket that a
    /// hooked call has waited on is known to the runtime's poller; the close hook forgets it only in coroutine code
    /// (on other threads it must not enter managed code), and the runtime's own <c>Co.Sock</c> calls do not re-check
    /// what they find there. Closing a pool of such sockets here (Npgsql's data source) left stale entries that the
    /// next client's coroutine server then met on reused descriptor numbers, and hung. If the scheduler is still held
    /// by a request that never returned (a failed run), the client is left undisposed after 10 s rather than hang here.
    /// </summary>
    private static void DisposeInCoroutine(IClient client, Scheduler scheduler)
    {
        var done = new WaitGroup(1);
        scheduler.Go(() =>
        {
            try
            {
                client.Dispose();
            }
            finally
            {
                done.Done();
            }
        });
        Task.Run(done.Wait).Wait(TimeSpan.FromSeconds(10));
    }

    /// <summary>The client's set-up (on this plain thread); a result only when it cannot run.</summary>
    private static ClientResult? Prepare(IClient client)
    {
        try
        {
            return client.Prepare() is { } why ? ClientResult.Skip(client.Id, client.Name, why) : null;
        }
        catch (Exception exception)
        {
            return ClientResult.Fail(client.Id, client.Name, $"set-up failed: {exception.GetType().Name}: {exception.Message}");
        }
    }
}
