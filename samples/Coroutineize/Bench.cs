using System.Globalization;
using Coroutineize.Running;
using Coroutineize.Ways;

namespace Coroutineize;

/// <summary>
/// <c>--bench</c>: the throughput run (SELECT 1) of every way, in interleaved rounds — each round runs every way once,
/// in an order that rotates from round to round, so a slow spell of a shared machine falls on all ways alike — then
/// the median queries/s and client CPU per query of each way and the ratios of those medians, all measured in this
/// same run. The CPU ratio is the client-side cost of each way; queries/s can hide it when the server, sharing the
/// machine, is the bottleneck.
/// </summary>
internal static class Bench
{
    /// <summary>Runs it; 0 when every run succeeded, 1 otherwise.</summary>
    public static int Run(Options options, string conninfo)
    {
        int queries = options.QueriesFor(bench: true);
        Console.WriteLine();
        Console.WriteLine($"bench: SELECT 1 from {options.Clients} clients x {queries} queries on {options.Schedulers} schedulers, "
            + $"{options.Rounds} interleaved rounds, a fresh child process per run");
        var rates = Way.All.ToDictionary(way => way, _ => new List<double>());
        var cpu = Way.All.ToDictionary(way => way, _ => new List<double>());
        for (int round = 0; round < options.Rounds; round++)
        {
            var line = new List<string>();
            for (int i = 0; i < Way.All.Length; i++)
            {
                Way way = Way.All[(round + i) % Way.All.Length];
                try
                {
                    Measurement m = ChildProcess.Run(options, conninfo, way, "throughput", queries);
                    rates[way].Add(m.QueriesPerSecond);
                    cpu[way].Add(m.CpuMicrosecondsPerQuery);
                    line.Add(Format($"{way.Id} {m.QueriesPerSecond:N0}/s {m.CpuMicrosecondsPerQuery:F1} us"));
                }
                catch (InvalidOperationException problem)
                {
                    Console.WriteLine($"round {round + 1}: {problem.Message}");
                    return 1;
                }
            }

            Console.WriteLine($"  round {round + 1}: {string.Join(", ", line)}");
        }

        Console.WriteLine();
        foreach (Way way in Way.All)
        {
            Console.WriteLine(Format($"  {way.Label,-48} median {Median(rates[way]),9:N0} queries/s, {Median(cpu[way]),6:F1} us client CPU/query"));
        }

        Console.WriteLine();
        foreach (Way way in new[] { Way.Coroutineized, Way.CoroutineizedAsync })
        {
            double rate = Median(rates[way]) / Median(rates[Way.HookedPQexec]);
            double cost = Median(cpu[way]) / Median(cpu[Way.HookedPQexec]);
            Console.WriteLine(Format($"  {way.Id} / hooked: queries/s {rate:F2}x, client CPU per query {cost:F2}x"));
        }
        return 0;
    }

    private static double Median(List<double> values)
    {
        double[] sorted = [.. values.Order()];
        int middle = sorted.Length / 2;
        return sorted.Length % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
    }

    private static string Format(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
