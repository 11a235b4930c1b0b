using Npgsql;
using ThirdPartyClients.Postgres;
using ThirdPartyClients.Servers;

namespace ThirdPartyClients.Clients;

/// <summary>
/// Npgsql (the NuGet package) as applications use it — a pooled data source, sync <c>Open</c> and
/// <c>ExecuteScalar</c>. Npgsql talks to PostgreSQL through System.Net.Sockets alone (Connect + Select, then the sync
/// Receive/Send funnels) and waits for its pool with SemaphoreSlim/ManualResetEventSlim: only the managed layer's
/// detours reach those. Concurrency is counted around the whole request, as for <see cref="LibpqClient"/>.
/// </summary>
internal sealed class NpgsqlClient(DemoContext context, int poolSize) : IClient
{
    private NpgsqlDataSource? _dataSource;

    public string Id => "npgsql";

    public string Name => "Npgsql Open/ExecuteScalar (sync)";

    public InFlight InFlight { get; } = new();

    public string? Prepare()
    {
        if (context.Postgres is null)
        {
            return DemoContext.NoPostgres;
        }

        _dataSource = NpgsqlDataSource.Create(ConnInfo.ToNpgsql(context.Postgres, poolSize));
        Request(-1);
        return null;
    }

    public void Request(int id)
    {
        InFlight.Enter();
        object? answer;
        try
        {
            using NpgsqlConnection connection = _dataSource!.OpenConnection();
            using var command = new NpgsqlCommand("SELECT @id FROM pg_sleep(@seconds)", connection);
            command.Parameters.AddWithValue("id", id);
            command.Parameters.AddWithValue("seconds", context.DelayMs / 1000.0);
            answer = command.ExecuteScalar();
        }
        finally
        {
            InFlight.Exit();
        }

        if (answer is not int value || value != id)
        {
            throw new InvalidDataException($"client {id}: got '{answer}'");
        }
    }

    public void Dispose() => _dataSource?.Dispose();
}
