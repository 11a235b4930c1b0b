using System.Runtime.InteropServices;
using Co;
using Co.Samples;
using Co.Testing;

/// <summary>
/// libpq, PostgreSQL's C client, called through P/Invoke from sync coroutines: the native-library case the hook layer
/// exists for. libpq makes its socket non-blocking and waits in poll(), then reads with recv() and writes with send();
/// with the hooks those waits park the coroutine instead of the scheduler thread.
/// </summary>
internal static class LibpqScenario
{
    private const int Clients = 20;
    private const int SleepMs = 200;

    /// <summary>Run with the hooks on.</summary>
    [Scenario("libpq")]
    public static void Hooked() => Run(hooks: true);

    /// <summary>The control of <see cref="Hooked"/>: Run without the hooks.</summary>
    [Scenario("libpq-unhooked")]
    public static void Unhooked()
    {
        Controls.WithoutMonitor();
        Run(hooks: false);
    }

    /// <summary>
    /// 20 sync coroutines on ONE scheduler each open their own connection (PQconnectdb) to the server named by
    /// CO_TEST_PG, run <c>SELECT pg_sleep(0.2)</c> and then <c>SELECT id*6</c> (each must get its own answer). A ticker
    /// coroutine on the same scheduler sleeps 10 ms at a time meanwhile and counts the ticks it makes while a query is
    /// in flight. With hooks the queries are in flight at once (at least half of them; in practice all 20), the total
    /// is under 3 s, 3/4 of the 20 × 200 ms that serialized queries cannot beat (unloaded it is about 300 ms), and the
    /// ticker keeps ticking while they run. Without (the control) each call blocks the scheduler thread: one query in
    /// flight at a time, a total of at least 90 % of 20 × 200 ms, and not one tick while a query is in flight.
    /// </summary>
    /// <remarks>
    /// The bounds leave room for a loaded machine, where the 20 connections (a server process forked and authenticated
    /// for each) dominate: a full test run next to other test runs on 2 CPUs measured 2.4 s, with 13 queries in flight
    /// at once and pg_sleep(0.2) itself taking 270 ms. For the same reason the longest gap between ticks is printed but
    /// not asserted: under load the connection phase (each connection several hand-overs of the scheduler) can stretch
    /// a gap past 200 ms with no blocking call at all (strace shows no coroutine thread in a long syscall other than
    /// its futex wait for its turn).
    /// </remarks>
    public static void Run(bool hooks)
    {
        string conninfo = ClientProbe.PostgresConnInfo();
        Coroutine.Configure(o => o.SchedulerCount = 1);
        if (hooks)
        {
            Hooks.Enable();
            foreach (string name in new[] { "connect", "poll", "send", "recv", "getaddrinfo" })
            {
                Scenarios.Check(Hooks.Status[name].State == HookState.Hooked, $"{name}: {Hooks.Status[name]}");
            }
        }

        // The server is there (checked on this plain thread, so a dead server is not mistaken for a hook failure).
        using (var warmUp = Connection.Open(conninfo))
        {
            Scenarios.Check(warmUp.Scalar("SELECT 7*6") == "42", "SELECT 7*6 on a plain thread did not return 42");
        }

        int correct = 0;
        var probe = new ClientProbe(Coroutine.Schedulers[0], Clients);
        probe.StartClients(id =>
        {
            using Connection connection = Connection.Open(conninfo);
            probe.InFlight(() => connection.Execute("SELECT pg_sleep(0.2)")); // 0.2 s = SleepMs
            string answer = connection.Scalar($"SELECT {id}*6");
            if (answer == (id * 6).ToString(System.Globalization.CultureInfo.InvariantCulture))
            {
                correct++; // one scheduler: no races between coroutines
            }
            else
            {
                probe.Failures.Enqueue($"client {id}: SELECT {id}*6 returned '{answer}'");
            }
        });

        probe.Wait("the libpq clients", 30);
        long total = probe.ElapsedMs;
        Console.WriteLine($"ELAPSED {total} maxInFlight={probe.MaxInFlight} shortestSleep={probe.ShortestCallMs} ticks={probe.Ticks} ticksDuringQueries={probe.TicksInFlight} longestTickGap={probe.LongestTickGapMs}");
        probe.CheckQueries(hooks, "libpq", total, correct, SleepMs);
    }

    /// <summary>One libpq connection (PGconn*).</summary>
    private sealed class Connection : IDisposable
    {
        private nint _conn;

        private Connection(nint conn) => _conn = conn;

        public static Connection Open(string conninfo)
        {
            nint conn = LibPq.PQconnectdb(conninfo);
            Scenarios.Check(conn != 0, "PQconnectdb returned NULL (out of memory)");
            if (LibPq.PQstatus(conn) != LibPq.ConnectionOk)
            {
                string message = LibPq.ErrorMessage(conn);
                LibPq.PQfinish(conn);
                throw new InvalidOperationException($"PQconnectdb('{conninfo}') failed: {message}");
            }

            return new Connection(conn);
        }

        /// <summary>Runs <paramref name="sql"/>; throws unless it succeeded.</summary>
        public void Execute(string sql)
        {
            nint result = Run(sql);
            LibPq.PQclear(result);
        }

        /// <summary>Runs <paramref name="sql"/> and returns the first column of its first row.</summary>
        public string Scalar(string sql)
        {
            nint result = Run(sql);
            try
            {
                Scenarios.Check(LibPq.PQntuples(result) == 1 && LibPq.PQnfields(result) == 1, $"{sql}: expected one row of one column");
                return Marshal.PtrToStringUTF8(LibPq.PQgetvalue(result, 0, 0)) ?? "";
            }
            finally
            {
                LibPq.PQclear(result);
            }
        }

        public void Dispose()
        {
            if (_conn != 0)
            {
                LibPq.PQfinish(_conn);
                _conn = 0;
            }
        }

        private nint Run(string sql)
        {
            nint result = LibPq.PQexec(_conn, sql);
            int status = result == 0 ? -1 : LibPq.PQresultStatus(result);
            if (status is LibPq.TuplesOk or LibPq.CommandOk)
            {
                return result;
            }

            string message = LibPq.ErrorMessage(_conn);
            if (result != 0)
            {
                LibPq.PQclear(result);
            }

            throw new InvalidOperationException($"PQexec('{sql}') gave status {status}: {message}");
        }
    }
}
