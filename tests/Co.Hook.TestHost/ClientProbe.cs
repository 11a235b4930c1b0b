// What the client scenarios (CurlScenario, HttpClientScenario, LibpqScenario, NpgsqlScenario) share: blocking client
// calls in sync coroutines on one scheduler, next to a ticker coroutine that shows whether the scheduler kept running.
using System.Collections.Concurrent;
using System.Diagnostics;
using Co;

/// <summary>
/// Runs a client scenario's coroutines and measures them: the clients, each a sync coroutine on one scheduler; a ticker
/// coroutine on the same scheduler that sleeps 10 ms at a time and counts the ticks it makes while a client call is in
/// flight; the most calls in flight at once and the shortest call. A client never yields between counting its call in
/// flight and making it, so the ticker can tick while a call is in flight only if the call's wait parked the coroutine
/// instead of blocking the scheduler thread; with the hooks the calls overlap, without them (the controls) they
/// serialize and the ticker stands still.
/// </summary>
/// <remarks>
/// The clock starts and the ticker is created in the constructor, before any client. Everything but
/// <see cref="Wait"/> and the checks runs on the one scheduler, whose coroutines never run in parallel, so the counts
/// need no lock; the main thread reads them only after <see cref="Wait"/>.
/// </remarks>
internal sealed class ClientProbe
{
    private readonly Scheduler _scheduler;
    private readonly int _clients;
    private readonly WaitGroup _done;
    private readonly Stopwatch _watch;
    private int _finished;
    private int _inFlight;
    private long _lastFinishMs;

    /// <summary>Starts the clock and the ticker on <paramref name="scheduler"/>, for <paramref name="clients"/>
    /// clients to come (<see cref="StartClients"/>).</summary>
    public ClientProbe(Scheduler scheduler, int clients)
    {
        _scheduler = scheduler;
        _clients = clients;
        _done = new WaitGroup(clients + 1);
        _watch = Stopwatch.StartNew();
        scheduler.Go(Tick);
    }

    /// <summary>What went wrong in the clients, one line each.</summary>
    public ConcurrentQueue<string> Failures { get; } = new();

    /// <summary>The ticker's ticks.</summary>
    public int Ticks { get; private set; }

    /// <summary>The ticker's ticks made while a client call was in flight.</summary>
    public int TicksInFlight { get; private set; }

    /// <summary>The longest time between two of the ticker's ticks, in ms.</summary>
    public long LongestTickGapMs { get; private set; }

    /// <summary>The most client calls in flight at once.</summary>
    public int MaxInFlight { get; private set; }

    /// <summary>The shortest client call that returned, in ms (<see cref="long.MaxValue"/> before the first).</summary>
    public long ShortestCallMs { get; private set; } = long.MaxValue;

    /// <summary>The time since the probe started, in ms.</summary>
    public long ElapsedMs => _watch.ElapsedMilliseconds;

    /// <summary>When the last client finished, in ms since the probe started: unlike <see cref="ElapsedMs"/> after
    /// <see cref="Wait"/>, it leaves out the main thread's own wake-up.</summary>
    public long LastFinishMs => Volatile.Read(ref _lastFinishMs);

    /// <summary>The hooks' status, one "  name: state" line each, for failure messages.</summary>
    public static string StatusText() => string.Join("\n", Hooks.Status.Select(entry => $"  {entry.Key}: {entry.Value}"));

    /// <summary>
    /// Configures <paramref name="schedulers"/> schedulers. With <paramref name="hooks"/>, enables the hooks and checks
    /// that every one is hooked or not needed, and that <paramref name="used"/> (what the client goes through) are
    /// hooked; without, checks that the control runs without hooks.
    /// </summary>
    public static void Configure(int schedulers, bool hooks, params string[] used)
    {
        Coroutine.Configure(o => o.SchedulerCount = schedulers);
        if (hooks)
        {
            Hooks.Enable();
            foreach ((string name, HookStatus state) in Hooks.Status)
            {
                Scenarios.Check(state.State is HookState.Hooked or HookState.NotNeeded, $"{name}: {state}");
            }

            foreach (string name in used)
            {
                Scenarios.Check(Hooks.Status.GetValueOrDefault(name).State == HookState.Hooked, $"{name}: {(Hooks.Status.TryGetValue(name, out HookStatus entry) ? entry.ToString() : "missing")}\n{StatusText()}");
            }
        }
        else
        {
            Scenarios.Check(!Hooks.IsEnabled, "the control must run without hooks");
        }
    }

    /// <summary>The libpq connection string of the PostgreSQL server that ./build.sh test starts (CO_TEST_PG).</summary>
    public static string PostgresConnInfo()
    {
        string? conninfo = Environment.GetEnvironmentVariable("CO_TEST_PG");
        Scenarios.Check(!string.IsNullOrWhiteSpace(conninfo),
            "CO_TEST_PG is not set: run through ./build.sh test, which starts PostgreSQL (tests/services/postgres.sh start)");
        return conninfo!;
    }

    /// <summary>Starts the clients on the probe's scheduler: <paramref name="client"/> gets each one's index, 0 to
    /// clients - 1. An exception that escapes it is a failure of that client.</summary>
    public void StartClients(Action<int> client)
    {
        for (int i = 0; i < _clients; i++)
        {
            _scheduler.Go(id =>
            {
                try
                {
                    client(id);
                }
                catch (Exception exception)
                {
                    Failures.Enqueue($"client {id}: {exception}");
                }
                finally
                {
                    _lastFinishMs = Math.Max(_lastFinishMs, _watch.ElapsedMilliseconds); // one scheduler: no races
                    Interlocked.Increment(ref _finished);
                    _done.Done();
                }
            }, i);
        }
    }

    /// <summary>Makes the blocking client call <paramref name="call"/>, counted in flight while it runs, and returns
    /// its result.</summary>
    public T InFlight<T>(Func<T> call)
    {
        var watch = Stopwatch.StartNew();
        MaxInFlight = Math.Max(MaxInFlight, Interlocked.Increment(ref _inFlight));
        T result;
        try
        {
            result = call();
        }
        finally
        {
            Interlocked.Decrement(ref _inFlight);
        }

        ShortestCallMs = Math.Min(ShortestCallMs, watch.ElapsedMilliseconds);
        return result;
    }

    /// <summary>Makes the blocking client call <paramref name="call"/>, counted in flight while it runs.</summary>
    public void InFlight(Action call) => InFlight(() =>
    {
        call();
        return true;
    });

    /// <summary>Waits on the main thread, at most <paramref name="seconds"/> s, for the clients and the ticker to
    /// finish; <paramref name="who"/> names the clients in the failure message.</summary>
    public void Wait(string who, int seconds) =>
        Scenarios.Check(Task.Run(_done.Wait).Wait(TimeSpan.FromSeconds(seconds)), $"{who} did not finish within {seconds} s");

    /// <summary>
    /// The result of the HTTP client scenarios (<see cref="CurlScenario"/>, <see cref="HttpClientScenario"/>): prints
    /// it and checks that every client succeeded and the server answered all of them (<paramref name="served"/>).
    /// Hooked: the run (<paramref name="elapsedMs"/>) takes under half of clients × <paramref name="delayMs"/>, the
    /// server holds at least 10 requests at once (serial <paramref name="calls"/> give exactly 1), and the ticker ticks
    /// at least 5 times while calls are in flight. Unhooked (the control): the run takes at least 90 % of clients ×
    /// <paramref name="delayMs"/>, the server never holds more than one request, and the ticker never ticks during a
    /// call and waits at least 90 % of a reply delay once.
    /// </summary>
    public void CheckHttp(bool hooks, string calls, long elapsedMs, int served, DelayingHttpServer server, int delayMs)
    {
        Console.WriteLine($"ELAPSED {elapsedMs} clients={_clients} served={served} maxPending={server.MaxPending} ticks={Ticks} ticksInFlight={TicksInFlight} longestTickGap={LongestTickGapMs}");
        Scenarios.Check(Failures.IsEmpty, string.Join("\n", Failures));
        Scenarios.Check(served == _clients, $"the server answered {served} of {_clients} requests");
        if (hooks)
        {
            // Serial would be 50 × 200 ms = 10 s; curl's 50 fetches take 230-470 ms on an idle machine, up to 1.7 s seen on
            // a loaded 2-CPU one.
            Scenarios.Check(elapsedMs < _clients * delayMs / 2, $"with hooks, {_clients} {calls} of {delayMs} ms took {elapsedMs} ms on one scheduler: not concurrent");

            // Serial calls give exactly 1 (the control). Usually all 50 requests are held at once; under CPU load the
            // clients' start-up can outlast a reply delay, so the first replies go out before the last requests arrive.
            Scenarios.Check(server.MaxPending >= 10, $"with hooks, the server held at most {server.MaxPending} of {_clients} requests at once");
            Scenarios.Check(TicksInFlight >= 5, $"the ticker on the clients' scheduler ticked {TicksInFlight} times while {calls} were in flight: the scheduler was blocked");
        }
        else
        {
            Scenarios.Check(elapsedMs >= _clients * delayMs * 9 / 10, $"without hooks, {_clients} {calls} took only {elapsedMs} ms: the control should serialize them");
            Scenarios.Check(server.MaxPending == 1, $"without hooks, the server held {server.MaxPending} requests at once: the control should serialize them");
            Scenarios.Check(TicksInFlight == 0 && LongestTickGapMs >= delayMs * 9 / 10,
                $"without hooks, the ticker ticked {TicksInFlight} times while {calls} were in flight and waited at most {LongestTickGapMs} ms: the {calls} should block its scheduler");
        }
    }

    /// <summary>
    /// The checks of the PostgreSQL scenarios (<see cref="LibpqScenario"/>, <see cref="NpgsqlScenario"/>), whose
    /// clients each run one <c>pg_sleep</c> query of <paramref name="sleepMs"/> in flight and then one that must give
    /// their own answer (<paramref name="correct"/> of them did): every client succeeded and no sleep returned early.
    /// Hooked: the run (<paramref name="totalMs"/>) takes under 3/4 of the clients × <paramref name="sleepMs"/> that
    /// serialized queries cannot beat, at least half the queries are in flight at once, and the ticker ticks at least 5
    /// times while they are. Unhooked (the control): the run takes at least 90 % of clients × <paramref name="sleepMs"/>,
    /// one query is in flight at a time, and the ticker never ticks while one is. <paramref name="client"/> names the
    /// client library in the messages.
    /// </summary>
    public void CheckQueries(bool hooks, string client, long totalMs, int correct, int sleepMs)
    {
        Scenarios.Check(Failures.IsEmpty, string.Join("\n", Failures));
        Scenarios.Check(correct == _clients, $"{correct} of {_clients} clients got their own answer");
        Scenarios.Check(ShortestCallMs >= sleepMs - 10, $"a pg_sleep({sleepMs} ms) query returned after {ShortestCallMs} ms");
        if (hooks)
        {
            Scenarios.Check(totalMs < _clients * sleepMs * 3 / 4, $"with hooks, {_clients} {client} queries of {sleepMs} ms took {totalMs} ms on one scheduler: not concurrent");
            Scenarios.Check(MaxInFlight >= _clients / 2, $"with hooks, at most {MaxInFlight} of {_clients} queries were in flight at once");
            Scenarios.Check(TicksInFlight >= 5, $"with hooks, another coroutine of the scheduler woke from its 10 ms sleeps only {TicksInFlight} times while queries of {sleepMs} ms were in flight");
        }
        else
        {
            Scenarios.Check(totalMs >= _clients * sleepMs * 9 / 10, $"without hooks, {_clients} {client} queries took only {totalMs} ms: the control should serialize them");
            Scenarios.Check(MaxInFlight == 1, $"without hooks, {MaxInFlight} queries were in flight at once on one scheduler");
            Scenarios.Check(TicksInFlight == 0, $"without hooks, another coroutine of the scheduler ran {TicksInFlight} times while a query was in flight");
        }
    }

    /// <summary>The ticker: 10 ms coroutine sleeps until every client has finished (at most 30 s).</summary>
    private void Tick()
    {
        long last = _watch.ElapsedMilliseconds;
        while (Volatile.Read(ref _finished) < _clients && _watch.ElapsedMilliseconds < 30_000)
        {
            Coroutine.Sleep(10);
            long now = _watch.ElapsedMilliseconds;
            LongestTickGapMs = Math.Max(LongestTickGapMs, now - last);
            last = now;
            Ticks++;
            if (Volatile.Read(ref _inFlight) > 0)
            {
                TicksInFlight++;
            }
        }

        _done.Done();
    }
}
