using System.Runtime.InteropServices;

namespace Co.Samples;

/// <summary>
/// The libpq functions (libpq.so.5) the samples use: the blocking pair PQconnectdb/PQexec, which hooked code calls as
/// they are (ThirdPartyClients, Coroutineize's hooked way), and the asynchronous API (PQconnectStart/PQconnectPoll,
/// PQsendQuery, PQflush, PQconsumeInput, PQisBusy, PQgetResult) that Coroutineize's coroutineized way drives itself,
/// waiting on PQsocket with IoEvent. Shared by both samples and the hook tests' libpq scenario (linked into each
/// project).
/// </summary>
internal static partial class LibPq
{
    /// <summary>The library's file name, for the availability probe.</summary>
    public const string Library = "libpq.so.5";

    public const int ConnectionOk = 0;  // ConnStatusType CONNECTION_OK
    public const int ConnectionBad = 1; // CONNECTION_BAD

    public const int PollingFailed = 0;  // PostgresPollingStatusType PGRES_POLLING_FAILED
    public const int PollingReading = 1; // PGRES_POLLING_READING
    public const int PollingWriting = 2; // PGRES_POLLING_WRITING
    public const int PollingOk = 3;      // PGRES_POLLING_OK

    public const int CommandOk = 1; // ExecStatusType PGRES_COMMAND_OK
    public const int TuplesOk = 2;  // PGRES_TUPLES_OK

    [LibraryImport(Library, StringMarshalling = StringMarshalling.Utf8)]
    public static partial nint PQconnectdb(string conninfo);

    [LibraryImport(Library, StringMarshalling = StringMarshalling.Utf8)]
    public static partial nint PQconnectStart(string conninfo);

    [LibraryImport(Library)]
    public static partial int PQconnectPoll(nint conn);

    [LibraryImport(Library)]
    public static partial int PQstatus(nint conn);

    [LibraryImport(Library)]
    public static partial int PQsocket(nint conn);

    [LibraryImport(Library)]
    public static partial int PQsetnonblocking(nint conn, int arg);

    [LibraryImport(Library)]
    public static partial nint PQerrorMessage(nint conn);

    [LibraryImport(Library, StringMarshalling = StringMarshalling.Utf8)]
    public static partial nint PQexec(nint conn, string query);

    [LibraryImport(Library, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int PQsendQuery(nint conn, string query);

    [LibraryImport(Library)]
    public static partial int PQflush(nint conn);

    [LibraryImport(Library)]
    public static partial int PQconsumeInput(nint conn);

    [LibraryImport(Library)]
    public static partial int PQisBusy(nint conn);

    [LibraryImport(Library)]
    public static partial nint PQgetResult(nint conn);

    [LibraryImport(Library)]
    public static partial int PQresultStatus(nint result);

    [LibraryImport(Library)]
    public static partial int PQntuples(nint result);

    [LibraryImport(Library)]
    public static partial int PQnfields(nint result);

    [LibraryImport(Library)]
    public static partial nint PQgetvalue(nint result, int row, int column);

    [LibraryImport(Library)]
    public static partial void PQclear(nint result);

    [LibraryImport(Library)]
    public static partial void PQfinish(nint conn);

    /// <summary>The connection's last error message, trimmed.</summary>
    public static string ErrorMessage(nint conn) => (Marshal.PtrToStringUTF8(PQerrorMessage(conn)) ?? "").Trim();

    /// <summary>Throws unless <paramref name="result"/> is a successful result; the caller still owns (clears) it.</summary>
    public static void CheckResult(nint conn, nint result, string sql)
    {
        int status = PQresultStatus(result);
        if (status is not (TuplesOk or CommandOk))
        {
            throw new IOException($"'{sql}' failed (status {status}): {ErrorMessage(conn)}");
        }
    }
}
