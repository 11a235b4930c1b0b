using System.Globalization;
using Coroutineize.Display;
using Coroutineize.Running;
using Coroutineize.Ways;

namespace Coroutineize;

/// <summary>The default run: the latency demo and one throughput run, every way side by side, and a conclusion.</summary>
internal static class Demo
{
    /// <summary>Runs it; 0 when every run succeeded, 1 otherwise.</summary>
    public static int Run(Options options, string conninfo)
    {
        Workload latency = Workload.Latency(options.LatencyQueries);
        Workload throughput = Workload.Throughput(options.QueriesFor(bench: false));
        int serialMs = options.Clients * options.LatencyQueries * 50;
        Console.WriteLine();
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"latency: {options.Clients} clients x {latency.QueriesPerClient} x {latency.Sql} (one at a time: {serialMs / 1000.0:F1} s; all at once: {latency.QueriesPerClient * 0.05:F2} s)"));
        Dictionary<Way, Measurement> slow = RunAll(options, conninfo, latency);
        Console.WriteLine();
        Console.WriteLine($"throughput: {options.Clients} clients x {throughput.QueriesPerClient} x {throughput.Sql}");
        Dictionary<Way, Measurement> fast = RunAll(options, conninfo, throughput);
        Console.WriteLine();
        if (slow.Count + fast.Count < 2 * Way.All.Length)
        {
            Console.WriteLine("conclusion: none; a run failed (above)");
            return 1;
        }

        Console.WriteLine($"conclusion: {Conclusion(slow, fast, options.Clients)}");
        return 0;
    }

    private static Dictionary<Way, Measurement> RunAll(Options options, string conninfo, Workload workload)
    {
        Table.Header();
        var measured = new Dictionary<Way, Measurement>();
        foreach (Way way in Way.All)
        {
            try
            {
                Measurement m = ChildProcess.Run(options, conninfo, way, workload.Id, workload.QueriesPerClient);
                measured[way] = m;
                Table.Row(way, m, options.Clients);
            }
            catch (InvalidOperationException problem)
            {
                Table.Failed(way, problem.Message);
            }
        }

        return measured;
    }

    /// <summary>One line from the numbers: did every way overlap the waits, and how the coroutineized (sync) way's
    /// SELECT 1 rate and client CPU compare with the hooked PQexec's.</summary>
    private static string Conclusion(Dictionary<Way, Measurement> slow, Dictionary<Way, Measurement> fast, int clients)
    {
        bool overlapped = Way.All.All(way => slow[way].MaxInFlight * 2 >= clients);
        Measurement mine = fast[Way.Coroutineized];
        Measurement hooked = fast[Way.HookedPQexec];
        string overlap = overlapped ? "every way overlaps the pg_sleep waits" : "NOT every way overlapped the pg_sleep waits (see max in flight)";
        return string.Create(CultureInfo.InvariantCulture,
            $"{overlap}; on SELECT 1, coroutineized (no hooks) / hooked PQexec = {mine.QueriesPerSecond / hooked.QueriesPerSecond:F2}x the queries/s "
            + $"at {mine.CpuMicrosecondsPerQuery / hooked.CpuMicrosecondsPerQuery:F2}x the client CPU per query (one run; --bench for medians).");
    }
}
