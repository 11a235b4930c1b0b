using Co;
using Co.Samples;
using Coroutineize.Native;

namespace Coroutineize.Ways;

/// <summary>
/// One libpq connection driven through libpq's asynchronous API, as steps: each step does what it can without blocking
/// and returns what the socket must become ready for before the next step (null: finished). Nothing here waits; the
/// sync and async drivers (<see cref="SyncDriver"/>, <see cref="AsyncDriver"/>) wait with <see cref="IoEvent"/>, so the
/// same state machine serves both coroutine kinds — and needs no hook, since libpq never gets to block.
/// </summary>
internal sealed class AsyncConnection : IDisposable
{
    private nint _conn;
    private bool _connectBegun;
    private bool _flushing;
    private string _sql = "";

    private AsyncConnection(nint conn) => _conn = conn;

    /// <summary>The connection's socket now (libpq may replace it while connecting, so ask before every wait).</summary>
    public nint Socket => LibPq.PQsocket(_conn);

    /// <summary>The first column of the first row of the last query's result ("" for none).</summary>
    public string LastValue { get; private set; } = "";

    /// <summary>PQconnectStart: begins connecting; drive <see cref="ConnectStep"/> to finish. It waits for nothing
    /// with an IP address; a host name is resolved in here with a blocking getaddrinfo (libpq's docs: pass
    /// <c>hostaddr</c> to avoid it).</summary>
    public static AsyncConnection Start(string conninfo)
    {
        nint conn = LibPq.PQconnectStart(conninfo);
        if (conn == 0)
        {
            throw new IOException("PQconnectStart returned NULL (out of memory)");
        }

        var connection = new AsyncConnection(conn);
        if (LibPq.PQstatus(conn) == LibPq.ConnectionBad)
        {
            string message = LibPq.ErrorMessage(conn);
            connection.Dispose();
            throw new IOException($"PQconnectStart: {message}");
        }

        return connection;
    }

    /// <summary>One step of PQconnectPoll's loop; null once connected (the connection is then non-blocking).</summary>
    public IoEventType? ConnectStep()
    {
        // libpq's documented start: behave as if PQconnectPoll had asked for "writable" (the TCP connect is in flight).
        if (!_connectBegun)
        {
            _connectBegun = true;
            return IoEventType.Write;
        }

        switch (LibPq.PQconnectPoll(_conn))
        {
            case LibPq.PollingReading:
                return IoEventType.Read;
            case LibPq.PollingWriting:
                return IoEventType.Write;
            case LibPq.PollingOk:
                // Without this PQsendQuery could block in its own send loop when the socket buffer is full.
                if (LibPq.PQsetnonblocking(_conn, 1) != 0)
                {
                    throw new IOException($"PQsetnonblocking: {LibPq.ErrorMessage(_conn)}");
                }

                return null;
            default:
                throw new IOException($"PQconnectPoll: {LibPq.ErrorMessage(_conn)}");
        }
    }

    /// <summary>PQsendQuery: queues <paramref name="sql"/>; drive <see cref="QueryStep"/> to send it and read the answer.</summary>
    public void Send(string sql)
    {
        if (LibPq.PQsendQuery(_conn, sql) == 0)
        {
            throw new IOException($"PQsendQuery('{sql}'): {LibPq.ErrorMessage(_conn)}");
        }

        _sql = sql;
        _flushing = true; // in non-blocking mode PQsendQuery may leave part of the query in libpq's buffer
        LastValue = "";
    }

    /// <summary>One step of sending and reading a query; null once PQgetResult has returned its final NULL.</summary>
    public IoEventType? QueryStep()
    {
        if (_flushing)
        {
            // 1: more to send. Waiting for "writable" alone is safe for one small query: the server reads it whole
            // before it answers, so it never waits for us to read while we wait for it to read.
            int flushed = LibPq.PQflush(_conn);
            if (flushed == 1)
            {
                return IoEventType.Write;
            }

            if (flushed != 0)
            {
                throw new IOException($"PQflush: {LibPq.ErrorMessage(_conn)}");
            }

            _flushing = false;
        }

        if (LibPq.PQconsumeInput(_conn) == 0) // reads what arrived since the last step; never waits
        {
            throw new IOException($"PQconsumeInput: {LibPq.ErrorMessage(_conn)}");
        }

        // Only while PQisBusy is false is PQgetResult sure not to wait; a query ends with PQgetResult returning NULL.
        while (LibPq.PQisBusy(_conn) == 0)
        {
            nint result = LibPq.PQgetResult(_conn);
            if (result == 0)
            {
                return null;
            }

            try
            {
                LibPq.CheckResult(_conn, result, _sql);
                LastValue = LibPq.PQntuples(result) > 0 ? System.Runtime.InteropServices.Marshal.PtrToStringUTF8(LibPq.PQgetvalue(result, 0, 0)) ?? "" : "";
            }
            finally
            {
                LibPq.PQclear(result);
            }
        }

        return IoEventType.Read;
    }

    /// <summary>
    /// PQfinish. libpq closes the socket itself, past <see cref="Sock.Close"/>, so the runtime's poller keeps its record
    /// of that descriptor number (docs/API.md, "Use third-party network libraries"): a later socket given the same
    /// number and waited on with IoEvent in this process would wait on a registration the kernel has dropped. The
    /// sample never reuses a number that way: a child opens all its connections before it finishes any, and finishes
    /// them only at its end. A long-running program that opens and closes connections needs the runtime to forget
    /// such a record, which IoEvent does not do today.
    /// </summary>
    public void Dispose()
    {
        if (_conn != 0)
        {
            LibPq.PQfinish(_conn);
            _conn = 0;
        }
    }
}
