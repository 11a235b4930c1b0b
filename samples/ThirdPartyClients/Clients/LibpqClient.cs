using System.Globalization;
using System.Runtime.InteropServices;
using Co.Samples;
using ThirdPartyClients.Servers;

namespace ThirdPartyClients.Clients;

/// <summary>
/// libpq's PQconnectdb + PQexec through P/Invoke, one connection per request: the C client whose waits (poll, then
/// recv/send) the native layer parks. The server is PostgreSQL itself, made to answer after the demo's delay with
/// <c>pg_sleep</c>. PostgreSQL is not ours to instrument, so concurrency is counted here, around the whole request
/// (connect, query, finish): counted around the query alone, it measured how fast the server starts a backend per
/// connection (20 of them on two CPUs take about the demo's delay), not whether the coroutines overlap. A request that
/// blocked its scheduler anywhere would still hold the others out of the count, and the batch's time is judged too.
/// </summary>
internal sealed class LibpqClient(DemoContext context) : IClient
{
    public string Id => "libpq";

    public string Name => "libpq PQexec (P/Invoke)";

    public InFlight InFlight { get; } = new();

    public string? Prepare()
    {
        if (context.Postgres is null)
        {
            return DemoContext.NoPostgres;
        }

        if (!NativeLibrary.TryLoad(LibPq.Library, out _))
        {
            return $"{LibPq.Library} cannot be loaded (install libpq5)";
        }

        Request(-1);
        return null;
    }

    public void Request(int id)
    {
        InFlight.Enter();
        nint conn = 0;
        try
        {
            conn = LibPq.PQconnectdb(context.Postgres!);
            if (conn == 0 || LibPq.PQstatus(conn) != LibPq.ConnectionOk)
            {
                throw new IOException($"PQconnectdb: {(conn == 0 ? "out of memory" : LibPq.ErrorMessage(conn))}");
            }

            string expected = id.ToString(CultureInfo.InvariantCulture);
            string seconds = (context.DelayMs / 1000.0).ToString(CultureInfo.InvariantCulture);
            string answer = Scalar(conn, $"SELECT {expected} FROM pg_sleep({seconds})");
            if (answer != expected)
            {
                throw new InvalidDataException($"client {id}: got '{answer}'");
            }
        }
        finally
        {
            LibPq.PQfinish(conn);
            InFlight.Exit();
        }
    }

    /// <summary>Nothing to release: every request opens and finishes its own connection.</summary>
    public void Dispose()
    {
    }

    /// <summary>PQexec, then the first column of the first row as text.</summary>
    private static string Scalar(nint conn, string sql)
    {
        nint result = LibPq.PQexec(conn, sql);
        try
        {
            if (result == 0 || LibPq.PQresultStatus(result) != LibPq.TuplesOk || LibPq.PQntuples(result) != 1)
            {
                throw new IOException($"PQexec('{sql}'): {LibPq.ErrorMessage(conn)}");
            }

            return Marshal.PtrToStringUTF8(LibPq.PQgetvalue(result, 0, 0)) ?? "";
        }
        finally
        {
            LibPq.PQclear(result);
        }
    }
}
