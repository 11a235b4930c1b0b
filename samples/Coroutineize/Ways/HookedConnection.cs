using System.Runtime.InteropServices;
using Co.Samples;

namespace Coroutineize.Ways;

/// <summary>
/// The other way: libpq's blocking API as any program calls it, PQconnectdb and PQexec. libpq waits in libc's poll()
/// and then reads with recv(); with <c>Co.Hooks.Enable()</c> those calls, made in a coroutine, park the coroutine
/// instead of its scheduler. Without the hooks every PQexec would hold its scheduler thread for the whole query.
/// </summary>
internal sealed class HookedConnection : IDisposable
{
    private nint _conn;

    private HookedConnection(nint conn) => _conn = conn;

    /// <summary>PQconnectdb.</summary>
    public static HookedConnection Open(string conninfo)
    {
        nint conn = LibPq.PQconnectdb(conninfo);
        if (conn == 0 || LibPq.PQstatus(conn) != LibPq.ConnectionOk)
        {
            string message = conn == 0 ? "out of memory" : LibPq.ErrorMessage(conn);
            LibPq.PQfinish(conn);
            throw new IOException($"PQconnectdb: {message}");
        }

        return new HookedConnection(conn);
    }

    /// <summary>PQexec; returns the first value of the result ("" for none).</summary>
    public string Query(string sql)
    {
        nint result = LibPq.PQexec(_conn, sql);
        if (result == 0)
        {
            throw new IOException($"PQexec('{sql}'): {LibPq.ErrorMessage(_conn)}");
        }

        try
        {
            LibPq.CheckResult(_conn, result, sql);
            return LibPq.PQntuples(result) > 0 ? Marshal.PtrToStringUTF8(LibPq.PQgetvalue(result, 0, 0)) ?? "" : "";
        }
        finally
        {
            LibPq.PQclear(result);
        }
    }

    /// <summary>PQfinish.</summary>
    public void Dispose()
    {
        if (_conn != 0)
        {
            LibPq.PQfinish(_conn);
            _conn = 0;
        }
    }
}
