using System.Runtime.InteropServices;

namespace ThirdPartyClients.Native;

/// <summary>
/// The few functions of libpq, PostgreSQL's C client (libpq.so.5), the demo calls. libpq makes its socket non-blocking
/// and waits in libc's poll() inside <see cref="PQconnectdb"/> and <see cref="PQexec"/>: what the native hooks park.
/// </summary>
internal static partial class LibPq
{
    /// <summary>The library's file name, for the availability probe.</summary>
    public const string Library = "libpq.so.5";

    public const int ConnectionOk = 0; // CONNECTION_OK
    public const int CommandOk = 1;    // PGRES_COMMAND_OK
    public const int TuplesOk = 2;     // PGRES_TUPLES_OK

    [LibraryImport(Library, StringMarshalling = StringMarshalling.Utf8)]
    public static partial nint PQconnectdb(string conninfo);

    [LibraryImport(Library)]
    public static partial int PQstatus(nint conn);

    [LibraryImport(Library)]
    public static partial nint PQerrorMessage(nint conn);

    [LibraryImport(Library, StringMarshalling = StringMarshalling.Utf8)]
    public static partial nint PQexec(nint conn, string query);

    [LibraryImport(Library)]
    public static partial int PQresultStatus(nint result);

    [LibraryImport(Library)]
    public static partial int PQntuples(nint result);

    [LibraryImport(Library)]
    public static partial nint PQgetvalue(nint result, int row, int column);

    [LibraryImport(Library)]
    public static partial void PQclear(nint result);

    [LibraryImport(Library)]
    public static partial void PQfinish(nint conn);

    /// <summary>The connection's last error message, trimmed.</summary>
    public static string ErrorMessage(nint conn) => (Marshal.PtrToStringUTF8(PQerrorMessage(conn)) ?? "").Trim();
}
