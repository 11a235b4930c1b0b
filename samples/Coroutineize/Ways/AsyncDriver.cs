using Co;
using Coroutineize.Native;

namespace Coroutineize.Ways;

/// <summary>Drives <see cref="AsyncConnection"/>'s steps from an async coroutine: the same loop as
/// <see cref="SyncDriver"/> with <see cref="IoEvent.WaitAsync"/>, so a parked client costs an async state machine rather
/// than a coroutine stack.</summary>
internal static class AsyncDriver
{
    /// <summary>Runs <paramref name="step"/> until it returns null, awaiting what it asks in between.</summary>
    public static async ValueTask RunAsync(AsyncConnection connection, Func<IoEventType?> step)
    {
        while (step() is { } wanted)
        {
            nint socket = connection.Socket;
            if (!Readiness.Now(socket, wanted) && !await new IoEvent(socket, wanted).WaitAsync())
            {
                throw new IOException($"IoEvent.WaitAsync({wanted}): {Sock.StrError()}");
            }
        }
    }

    /// <summary>Connects (PQconnectStart/PQconnectPoll).</summary>
    public static async ValueTask<AsyncConnection> ConnectAsync(string conninfo)
    {
        AsyncConnection connection = AsyncConnection.Start(conninfo);
        try
        {
            await RunAsync(connection, connection.ConnectStep);
            return connection;
        }
        catch
        {
            connection.Dispose();
            throw;
        }
    }

    /// <summary>Runs <paramref name="sql"/> and returns the first value of its result.</summary>
    public static async ValueTask<string> QueryAsync(AsyncConnection connection, string sql)
    {
        connection.Send(sql);
        await RunAsync(connection, connection.QueryStep);
        return connection.LastValue;
    }
}
