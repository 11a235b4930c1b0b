// The Npgsql scenario of issue 5: PostgreSQL's managed client (the Npgsql NuGet package), sync API, in sync coroutines
// on one scheduler, against the throwaway server that ./build.sh test starts (tests/services/postgres.sh, CO_TEST_PG).
using System.Diagnostics;
using System.Globalization;
using Co;
using Npgsql;
using Co.Testing;

/// <summary>
/// Npgsql's synchronous calls (<see cref="NpgsqlConnection.Open"/>, <see cref="NpgsqlCommand.ExecuteScalar"/>) in sync
/// coroutines. Npgsql talks to the server with System.Net.Sockets alone — a non-blocking Socket.Connect waited on with
/// Socket.Select, then NetworkStream.Read/Write(byte[], int, int), i.e. Socket.Receive / Socket.Send — so nothing of it
/// reaches libc in a way the native hooks could park; only the managed layer's detours of those Socket funnels can.
/// </summary>
internal static class NpgsqlScenario
{
    private const int Clients = 20;
    private const int SleepMs = 200;

    /// <summary>Run with the hooks on.</summary>
    [Scenario("npgsql")]
    public static void Hooked() => Run(hooks: true);

    /// <summary>The control of <see cref="Hooked"/>: Run without the hooks.</summary>
    [Scenario("npgsql-unhooked")]
    public static void Unhooked()
    {
        Controls.WithoutMonitor();
        Run(hooks: false);
    }

    /// <summary>
    /// 20 sync coroutines on ONE scheduler each open their own physical connection (Pooling=false) with the sync
    /// <see cref="NpgsqlConnection.Open"/>, run <c>SELECT pg_sleep(0.2)</c> with the sync ExecuteScalar, then
    /// <c>SELECT @id * 6</c> with their own id as a parameter (each must get its own answer). A ticker coroutine on the
    /// same scheduler sleeps 10 ms at a time meanwhile and counts the ticks it makes while a pg_sleep query is in flight.
    /// Hooked: at least 10 queries in flight at once, a total under 3/4 of the 20 × 200 ms that serialized queries cannot
    /// beat, and at least 5 ticks while queries are in flight. Unhooked (the control): one query in flight at a time, a
    /// total of at least 90 % of 20 × 200 ms, and not one tick while a query is in flight.
    /// </summary>
    /// <remarks>
    /// The first connection of a data source does a lot of one-time work (the server's type catalogue query, Npgsql's
    /// type mapping, JIT of the whole protocol path); a warm-up connection on the main thread does it before the timed
    /// part, and also proves the server is there, so a dead server is not mistaken for a hook failure. Without it, the
    /// first opens made in coroutines deadlock the scheduler until Npgsql's Timeout: one coroutine runs the bootstrap and
    /// parks in Socket.Receive, the next waits for it in NpgsqlDataSource.Bootstrap's sync
    /// SemaphoreSlim.Wait(TimeSpan, CancellationToken), a Monitor.Wait that blocks the scheduler thread, so the first
    /// never resumes (seen with dotnet-stack, before the managed layer detoured SemaphoreSlim and ManualResetEventSlim
    /// waits). The same held for a sync Open that waits for an exhausted pool (PoolingDataSource.Get →
    /// ManualResetEventSlim.Wait). <see cref="RunPooled"/> covers both now, with no warm-up.
    /// </remarks>
    public static void Run(bool hooks)
    {
        string connectionString = ToNpgsql(ClientProbe.PostgresConnInfo());

        // What Npgsql's sync path goes through (strace: connect → EINPROGRESS, then poll for POLLOUT|POLLPRI;
        // dotnet-stack: NetworkStream.Read/Write(byte[], int, int)): a non-blocking Connect waited on with Select,
        // then the byte[] Receive / Send funnels.
        ClientProbe.Configure(1, hooks,
            "Socket.Connect(EndPoint)", "Socket.Select(IList, IList, IList, int)",
            "Socket.Receive(byte[], int, int, SocketFlags, out SocketError)", "Socket.Send(byte[], int, int, SocketFlags, out SocketError)");

        // Warm-up on this plain thread: the one-time work, and the server is there.
        using (var warmUp = new NpgsqlConnection(connectionString))
        {
            warmUp.Open();
            using var command = new NpgsqlCommand("SELECT 7 * 6", warmUp);
            Scenarios.Check(Convert.ToInt32(command.ExecuteScalar(), CultureInfo.InvariantCulture) == 42, "SELECT 7 * 6 on a plain thread did not return 42");
        }

        int correct = 0;
        var probe = new ClientProbe(Coroutine.Schedulers[0], Clients);
        probe.StartClients(id =>
        {
            using var connection = new NpgsqlConnection(connectionString);
            connection.Open();
            using (var sleep = new NpgsqlCommand("SELECT pg_sleep(0.2)", connection)) // 0.2 s = SleepMs
            {
                object? slept = probe.InFlight(() => sleep.ExecuteScalar());
                if (slept is not null) // pg_sleep returns void, which Npgsql reads as null
                {
                    probe.Failures.Enqueue($"client {id}: SELECT pg_sleep(0.2) returned '{slept}' ({slept.GetType().Name}), expected null (void)");
                }
            }

            using var answer = new NpgsqlCommand("SELECT @id * 6", connection);
            answer.Parameters.AddWithValue("id", id);
            object? result = answer.ExecuteScalar();
            if (result is int value && value == id * 6)
            {
                correct++; // one scheduler: no races between coroutines
            }
            else
            {
                probe.Failures.Enqueue($"client {id}: SELECT @id * 6 returned '{result}' ({result?.GetType().Name ?? "null"}), expected {id * 6}");
            }
        });

        probe.Wait("the Npgsql clients", 45);
        long total = probe.LastFinishMs;
        Console.WriteLine($"ELAPSED {total} clients={Clients} maxInFlight={probe.MaxInFlight} shortestSleep={probe.ShortestCallMs} ticks={probe.Ticks} ticksDuringQueries={probe.TicksInFlight} longestTickGap={probe.LongestTickGapMs}");
        probe.CheckQueries(hooks, "Npgsql", total, correct, SleepMs);
    }

    /// <summary>libpq's "key=value key=value" (what tests/services/postgres.sh exports, without quoting) as an Npgsql
    /// connection string, with pooling off so that every coroutine opens a connection of its own.</summary>
    private static string ToNpgsql(string conninfo, bool pooling = false, int maxPoolSize = 100)
    {
        var builder = new NpgsqlConnectionStringBuilder { Pooling = pooling, MaxPoolSize = maxPoolSize, Timeout = 15, CommandTimeout = 15 };
        foreach (string pair in conninfo.Split(' ', StringSplitOptions.RemoveEmptyEntries))
        {
            int equals = pair.IndexOf('=');
            Scenarios.Check(equals > 0, $"CO_TEST_PG: cannot read '{pair}' as key=value");
            string key = pair[..equals];
            string value = pair[(equals + 1)..];
            switch (key)
            {
                case "host": builder.Host = value; break;
                case "port": builder.Port = int.Parse(value, CultureInfo.InvariantCulture); break;
                case "user": builder.Username = value; break;
                case "dbname": builder.Database = value; break;
                case "password": builder.Password = value; break;
                default: throw new InvalidOperationException($"CO_TEST_PG: key '{key}' is not one this scenario knows");
            }
        }

        return builder.ConnectionString;
    }

    /// <summary>
    /// Npgsql as applications use it — a pool (at most 5 connections) and no warm-up — from 20 sync coroutines on one
    /// scheduler: the first opens meet the data source's bootstrap (a SemaphoreSlim.Wait while one coroutine loads the
    /// server's types), later ones an exhausted pool (ManualResetEventSlim.Wait until a connection comes back). With
    /// hooks every wait parks only its coroutine: all 20 get their own answer, in about 20 / 5 × 200 ms.
    /// </summary>
    [Scenario("npgsql-pooled")]
    public static void RunPooled()
    {
        const int poolSize = 5;
        string connectionString = ToNpgsql(ClientProbe.PostgresConnInfo(), pooling: true, maxPoolSize: poolSize);
        Coroutine.Configure(o => o.SchedulerCount = 1);
        Hooks.Enable();
        foreach (string name in new[] { "SemaphoreSlim.WaitCore(long, CancellationToken) (every SemaphoreSlim.Wait)", "ManualResetEventSlim.Wait(int, CancellationToken) (every ManualResetEventSlim.Wait)" })
        {
            string state = Hooks.Status.TryGetValue(name, out HookStatus value) ? value.ToString() : "missing";
            Scenarios.Check(value.State == HookState.Hooked, $"{name}: {state}\n{ClientProbe.StatusText()}");
        }

        var done = new WaitGroup(Clients);
        int correct = 0;
        string? failure = null;
        var watch = Stopwatch.StartNew();
        for (int i = 0; i < Clients; i++)
        {
            int id = i;
            Coroutine.Go(() =>
            {
                try
                {
                    using var connection = new NpgsqlConnection(connectionString);
                    connection.Open();
                    using (var sleep = new NpgsqlCommand("SELECT pg_sleep(0.2)", connection))
                    {
                        sleep.ExecuteScalar();
                    }

                    using var product = new NpgsqlCommand("SELECT @id * 6", connection);
                    product.Parameters.AddWithValue("id", id);
                    if (Convert.ToInt32(product.ExecuteScalar(), CultureInfo.InvariantCulture) == id * 6)
                    {
                        Interlocked.Increment(ref correct);
                    }
                }
                catch (Exception exception)
                {
                    failure ??= $"client {id}: {exception}";
                }
                finally
                {
                    done.Done();
                }
            });
        }

        Scenarios.Check(Task.Run(done.Wait).Wait(TimeSpan.FromSeconds(60)), "the pooled clients did not finish within 60 s");
        long elapsed = watch.ElapsedMilliseconds;
        Console.WriteLine($"ELAPSED {elapsed} correct={correct}");
        Scenarios.Check(failure is null, failure ?? "");
        Scenarios.Check(correct == Clients, $"{correct} of {Clients} pooled clients got their own answer");
        Scenarios.Check(elapsed < 10_000, $"20 pooled queries of 200 ms on {poolSize} connections took {elapsed} ms");
    }
}
