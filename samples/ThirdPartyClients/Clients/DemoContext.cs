using Co;

namespace ThirdPartyClients.Clients;

/// <summary>What every client needs to set itself up.</summary>
/// <param name="ServerScheduler">Where the coroutine servers run: never the clients' scheduler, which a blocking call
/// without hooks holds.</param>
/// <param name="DelayMs">How long every server holds a request before answering.</param>
/// <param name="Postgres">A libpq connection string ("host=... port=..."), or null when no PostgreSQL is reachable.</param>
internal sealed record DemoContext(Scheduler ServerScheduler, int DelayMs, string? Postgres)
{
    /// <summary>Why the PostgreSQL clients are skipped when <see cref="Postgres"/> is null.</summary>
    public const string NoPostgres = "no PostgreSQL (set CO_TEST_PG or --pg, or install postgresql)";
}
