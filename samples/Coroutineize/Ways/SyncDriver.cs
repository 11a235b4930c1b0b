using Co;
using Coroutineize.Native;

namespace Coroutineize.Ways;

/// <summary>Drives <see cref="AsyncConnection"/>'s steps from a sync coroutine: co's own style, a straight-line loop
/// in which <see cref="IoEvent.Wait"/> parks the coroutine (not its scheduler) until libpq's socket is ready.</summary>
internal static class SyncDriver
{
    /// <summary>Runs <paramref name="step"/> until it returns null, waiting for what it asks in between.</summary>
    public static void Run(AsyncConnection connection, Func<IoEventType?> step)
    {
        while (step() is { } wanted)
        {
            nint socket = connection.Socket;
            if (!Readiness.Now(socket, wanted) && !new IoEvent(socket, wanted).Wait())
            {
                throw new IOException($"IoEvent.Wait({wanted}): {Sock.StrError()}");
            }
        }
    }

    /// <summary>Connects (PQconnectStart/PQconnectPoll).</summary>
    public static AsyncConnection Connect(string conninfo)
    {
        AsyncConnection connection = AsyncConnection.Start(conninfo);
        try
        {
            Run(connection, connection.ConnectStep);
            return connection;
        }
        catch
        {
            connection.Dispose();
            throw;
        }
    }

    /// <summary>Runs <paramref name="sql"/> (PQsendQuery, PQflush, PQconsumeInput/PQisBusy, PQgetResult) and returns
    /// the first value of its result.</summary>
    public static string Query(AsyncConnection connection, string sql)
    {
        connection.Send(sql);
        Run(connection, connection.QueryStep);
        return connection.LastValue;
    }
}
