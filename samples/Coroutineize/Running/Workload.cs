namespace Coroutineize.Running;

/// <summary>What every client coroutine runs: <paramref name="QueriesPerClient"/> times <paramref name="Sql"/>, each
/// answer checked against <paramref name="Expected"/>.</summary>
internal sealed record Workload(string Id, string Sql, string Expected, int QueriesPerClient)
{
    /// <summary>The latency demo: queries that wait 50 ms in the server, where concurrency is everything.</summary>
    public static Workload Latency(int queries) => new("latency", "SELECT pg_sleep(0.05)", "", queries);

    /// <summary>The throughput case: the cheapest query, where the cost of each wait shows.</summary>
    public static Workload Throughput(int queries) => new("throughput", "SELECT 1", "1", queries);

    /// <summary>The workload named <paramref name="id"/>.</summary>
    public static Workload Parse(string id, int queries) => id switch
    {
        "latency" => Latency(queries),
        "throughput" => Throughput(queries),
        _ => throw new FormatException($"unknown workload '{id}' (latency | throughput)"),
    };
}
