using System.Diagnostics;
using Co;
using ThirdPartyClients.Clients;

namespace ThirdPartyClients.Running;

/// <summary>
/// The measurement itself: <c>n</c> sync coroutines on one scheduler each make one blocking request of one client.
/// Without hooks each request holds the scheduler's thread until its answer, so the requests run one after another —
/// unless the blocked-scheduler monitor hands the scheduler to another thread, a threshold into each blocked request;
/// with hooks every wait parks only its coroutine, and all of them can be at the server at once.
/// </summary>
internal static class ClientRun
{
    /// <summary>Runs the requests and reports progress from the calling (plain) thread: no console I/O happens
    /// inside a coroutine, so the display can never be what blocks or unblocks a scheduler.</summary>
    public static ClientResult Run(IClient client, int n, Scheduler scheduler, IRunObserver observer, TimeSpan limit)
    {
        client.InFlight.Reset();
        var done = new WaitGroup(n);
        int finished = 0;
        int completed = 0;
        long lastFinishMs = 0;
        string? failure = null;
        var watch = Stopwatch.StartNew();
        for (int i = 0; i < n; i++)
        {
            scheduler.Go(id =>
            {
                try
                {
                    client.Request(id);
                    Interlocked.Increment(ref completed);
                }
                catch (Exception exception)
                {
                    Interlocked.CompareExchange(ref failure, $"request {id}: {exception.GetType().Name}: {exception.Message}", null);
                }
                finally
                {
                    // The clients share one scheduler, whose coroutines never run in parallel: a plain max is safe.
                    Volatile.Write(ref lastFinishMs, Math.Max(Volatile.Read(ref lastFinishMs), watch.ElapsedMilliseconds));
                    Interlocked.Increment(ref finished);
                    done.Done();
                }
            }, i);
        }

        Task all = Task.Run(done.Wait);
        while (!all.Wait(TimeSpan.FromMilliseconds(50)))
        {
            observer.ClientProgress(client.Id, Volatile.Read(ref finished), n);
            if (watch.Elapsed > limit)
            {
                failure ??= $"timed out after {limit.TotalSeconds:0} s with {Volatile.Read(ref finished)} of {n} requests finished";
                break;
            }
        }

        observer.ClientProgress(client.Id, Volatile.Read(ref finished), n);
        long elapsed = all.IsCompleted ? Volatile.Read(ref lastFinishMs) : watch.ElapsedMilliseconds;
        return new ClientResult(client.Id, client.Name, n, Volatile.Read(ref completed), client.InFlight.Max, elapsed, Error: Volatile.Read(ref failure));
    }
}
