namespace Coroutineize.Ways;

/// <summary>One connection used from a sync coroutine.</summary>
internal interface ISyncClient : IDisposable
{
    /// <summary>Runs <paramref name="sql"/>, returns the first value of its result.</summary>
    string Query(string sql);
}

/// <summary>One connection used from an async coroutine.</summary>
internal interface IAsyncClient : IDisposable
{
    /// <summary>Runs <paramref name="sql"/>, returns the first value of its result.</summary>
    ValueTask<string> QueryAsync(string sql);
}

/// <summary>Coroutineized, sync coroutine: libpq's async API, <c>IoEvent.Wait</c> between steps.</summary>
internal sealed class CoroutineizedClient(AsyncConnection connection) : ISyncClient
{
    public static ISyncClient Connect(string conninfo) => new CoroutineizedClient(SyncDriver.Connect(conninfo));

    public string Query(string sql) => SyncDriver.Query(connection, sql);

    public void Dispose() => connection.Dispose();
}

/// <summary>Coroutineized, async coroutine: the same steps, <c>await IoEvent.WaitAsync()</c> between them.</summary>
internal sealed class CoroutineizedAsyncClient(AsyncConnection connection) : IAsyncClient
{
    public static async ValueTask<IAsyncClient> ConnectAsync(string conninfo) =>
        new CoroutineizedAsyncClient(await AsyncDriver.ConnectAsync(conninfo));

    public ValueTask<string> QueryAsync(string sql) => AsyncDriver.QueryAsync(connection, sql);

    public void Dispose() => connection.Dispose();
}

/// <summary>Hooked, sync coroutine: PQconnectdb/PQexec, parked by the hooks.</summary>
internal sealed class HookedClient(HookedConnection connection) : ISyncClient
{
    public static ISyncClient Connect(string conninfo) => new HookedClient(HookedConnection.Open(conninfo));

    public string Query(string sql) => connection.Query(sql);

    public void Dispose() => connection.Dispose();
}
