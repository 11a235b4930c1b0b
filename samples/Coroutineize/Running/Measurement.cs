using System.Globalization;

namespace Coroutineize.Running;

/// <summary>What one child run measured; travels to the parent as one "RESULT ..." line on stdout.</summary>
/// <param name="ConnectMs">Time until every client had connected (and run one warm-up query).</param>
/// <param name="ElapsedMs">Time from the start signal until every client had run all its queries.</param>
/// <param name="CpuMs">CPU time this (client) process used in the timed part, all threads: what each way costs on
/// the client side, which queries/s hide when the server, on the same CPUs, is the bottleneck.</param>
/// <param name="Queries">Queries run in the timed part, all answered correctly.</param>
/// <param name="MaxInFlight">Most queries in flight at once, counted around each query.</param>
internal sealed record Measurement(double ConnectMs, double ElapsedMs, double CpuMs, int Queries, int MaxInFlight)
{
    private const string Prefix = "RESULT ";

    /// <summary>Queries per second of the timed part.</summary>
    public double QueriesPerSecond => Queries / (ElapsedMs / 1000.0);

    /// <summary>Client CPU time per query, in microseconds.</summary>
    public double CpuMicrosecondsPerQuery => CpuMs * 1000.0 / Queries;

    /// <summary>The line the child prints.</summary>
    public string ToLine() => string.Create(CultureInfo.InvariantCulture, $"{Prefix}{ConnectMs:F1} {ElapsedMs:F1} {CpuMs:F1} {Queries} {MaxInFlight}");

    /// <summary>The measurement in <paramref name="line"/>, or null when the line is not a result line.</summary>
    public static Measurement? TryParse(string line)
    {
        if (!line.StartsWith(Prefix, StringComparison.Ordinal))
        {
            return null;
        }

        string[] parts = line[Prefix.Length..].Split(' ');
        return new Measurement(
            double.Parse(parts[0], CultureInfo.InvariantCulture),
            double.Parse(parts[1], CultureInfo.InvariantCulture),
            double.Parse(parts[2], CultureInfo.InvariantCulture),
            int.Parse(parts[3], CultureInfo.InvariantCulture),
            int.Parse(parts[4], CultureInfo.InvariantCulture));
    }
}
