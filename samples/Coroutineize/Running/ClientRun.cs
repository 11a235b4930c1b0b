using System.Collections.Concurrent;
using System.Diagnostics;
using Co;
using Coroutineize.Ways;

namespace Coroutineize.Running;

/// <summary>
/// Runs one workload from N client coroutines and measures it. Every client connects and runs one warm-up query, then
/// waits for a common start signal, so the timed part holds only queries (no connection set-up, no JIT), and all
/// clients start it together.
/// </summary>
internal sealed class ClientRun(int clients, Workload workload)
{
    private static readonly TimeSpan Limit = TimeSpan.FromMinutes(2);

    private readonly WaitGroup _connected = new(clients);
    private readonly WaitGroup _finished = new(clients);
    private readonly Event _go = new(manualReset: true);
    private readonly ConcurrentQueue<string> _failures = new();
    private int _inFlight;
    private int _maxInFlight;

    /// <summary>Starts the clients with <paramref name="startClient"/> (given each client's number), waits for them,
    /// and returns what was measured; throws when a client failed or the run overran its limit.</summary>
    public Measurement Execute(Action<int> startClient)
    {
        var watch = Stopwatch.StartNew();
        for (int i = 0; i < clients; i++)
        {
            startClient(i);
        }

        Await(_connected, "connecting");
        double connectMs = watch.Elapsed.TotalMilliseconds;
        TimeSpan cpuBefore = Environment.CpuUsage.TotalTime;
        watch.Restart();
        _go.Signal();
        Await(_finished, "querying");
        double elapsedMs = watch.Elapsed.TotalMilliseconds;
        double cpuMs = (Environment.CpuUsage.TotalTime - cpuBefore).TotalMilliseconds;
        if (!_failures.IsEmpty)
        {
            throw new IOException($"{_failures.Count} of {clients} clients failed; first: {_failures.First()}");
        }

        return new Measurement(connectMs, elapsedMs, cpuMs, clients * workload.QueriesPerClient, _maxInFlight);
    }

    /// <summary>A client in a sync coroutine.</summary>
    public void GoSync(int client, Func<ISyncClient> connect) => Coroutine.Go(() =>
    {
        bool connected = false;
        try
        {
            using ISyncClient connection = connect();
            Check(client, connection.Query(workload.Sql));
            Connected(ref connected);
            _go.Wait();
            for (int i = 0; i < workload.QueriesPerClient; i++)
            {
                Enter();
                string value = connection.Query(workload.Sql);
                Exit();
                Check(client, value);
            }
        }
        catch (Exception problem)
        {
            _failures.Enqueue($"client {client}: {problem.Message}");
        }
        finally
        {
            Connected(ref connected); // a client that failed early must not hold the others' start
            _finished.Done();
        }
    });

    /// <summary>A client in an async coroutine.</summary>
    public void GoAsync(int client, Func<ValueTask<IAsyncClient>> connect) => Coroutine.Go(async () =>
    {
        bool connected = false;
        try
        {
            using IAsyncClient connection = await connect();
            Check(client, await connection.QueryAsync(workload.Sql));
            Connected(ref connected);
            await _go.WaitAsync();
            for (int i = 0; i < workload.QueriesPerClient; i++)
            {
                Enter();
                string value = await connection.QueryAsync(workload.Sql);
                Exit();
                Check(client, value);
            }
        }
        catch (Exception problem)
        {
            _failures.Enqueue($"client {client}: {problem.Message}");
        }
        finally
        {
            Connected(ref connected);
            _finished.Done();
        }
    });

    /// <summary>Waits on a plain thread, with a limit, so a stuck client ends the run with a message, not a hang.</summary>
    private static void Await(WaitGroup group, string phase)
    {
        if (!Task.Run(group.Wait).Wait(Limit))
        {
            throw new TimeoutException($"the clients were still {phase} after {Limit.TotalSeconds} s");
        }
    }

    private void Connected(ref bool connected)
    {
        if (!connected)
        {
            connected = true;
            _connected.Done();
        }
    }

    private void Check(int client, string value)
    {
        if (value != workload.Expected)
        {
            throw new InvalidDataException($"client {client}: '{workload.Sql}' returned '{value}', expected '{workload.Expected}'");
        }
    }

    private void Enter()
    {
        int now = Interlocked.Increment(ref _inFlight);
        int seen;
        while (now > (seen = Volatile.Read(ref _maxInFlight)) && Interlocked.CompareExchange(ref _maxInFlight, now, seen) != seen)
        {
        }
    }

    private void Exit() => Interlocked.Decrement(ref _inFlight);
}
