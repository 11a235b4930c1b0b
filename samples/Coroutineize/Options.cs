using System.Globalization;

namespace Coroutineize;

/// <summary>The command line. The parent (demo or <c>--bench</c>) runs each way in a child process of this program,
/// started with <c>--way</c> and <c>--workload</c>.</summary>
internal sealed class Options
{
    public const string Usage = """
        usage: Coroutineize [--pg CONNINFO] [--clients N] [--schedulers S] [--latency-queries M] [--queries K]
               Coroutineize --bench [--rounds R] [--pg CONNINFO] [--clients N] [--schedulers S] [--queries K]
          --pg CONNINFO        libpq connection string (default: $CO_TEST_PG, else a throwaway server started with
                               tests/services/postgres.sh when PostgreSQL is installed, else exit 2)
          --clients N          client coroutines, one connection each (default 50)
          --schedulers S       schedulers (default 2)
          --latency-queries M  SELECT pg_sleep(0.05) per client in the latency demo (default 4)
          --queries K          SELECT 1 per client in the throughput run (default 200; --bench: 1000)
          --bench              interleaved rounds of the throughput run only, medians and the ratio of the ways
          --rounds R           rounds of --bench (default 5)
        """;

    public string? Pg { get; private set; }

    public int Clients { get; private set; } = 50;

    public int Schedulers { get; private set; } = 2;

    public int LatencyQueries { get; private set; } = 4;

    public int? ThroughputQueries { get; private set; }

    public bool Bench { get; private set; }

    public int Rounds { get; private set; } = 5;

    public bool Help { get; private set; }

    /// <summary>Set in a child: the way to run.</summary>
    public string? Way { get; private set; }

    /// <summary>Set in a child: the workload to run.</summary>
    public string? Workload { get; private set; }

    /// <summary>Set in a child: queries per client.</summary>
    public int ChildQueries { get; private set; }

    /// <summary>The parsed command line; throws <see cref="FormatException"/> on a bad one.</summary>
    public static Options Parse(string[] args)
    {
        var options = new Options();
        for (int i = 0; i < args.Length; i++)
        {
            string name = args[i];
            string Next() => i + 1 < args.Length ? args[++i] : throw new FormatException($"{name} needs a value");
            int Count() => int.TryParse(Next(), NumberStyles.None, CultureInfo.InvariantCulture, out int n) && n > 0 ? n : throw new FormatException($"{name} needs a positive number");
            switch (name)
            {
                case "--pg": options.Pg = Next(); break;
                case "--clients": options.Clients = Count(); break;
                case "--schedulers": options.Schedulers = Count(); break;
                case "--latency-queries": options.LatencyQueries = Count(); break;
                case "--queries": options.ThroughputQueries = Count(); break;
                case "--bench": options.Bench = true; break;
                case "--rounds": options.Rounds = Count(); break;
                case "--way": options.Way = Next(); break;
                case "--workload": options.Workload = Next(); break;
                case "--child-queries": options.ChildQueries = Count(); break;
                case "-h" or "--help": options.Help = true; break;
                default: throw new FormatException($"unknown argument '{name}'");
            }
        }

        return options;
    }

    /// <summary>SELECT 1 per client in the throughput run: more under --bench, where a run should last long enough
    /// for the rate to be steady.</summary>
    public int QueriesFor(bool bench) => ThroughputQueries ?? (bench ? 1000 : 200);

    /// <summary>The child's command line for one way and workload.</summary>
    public IEnumerable<string> ChildArguments(string conninfo, string way, string workload, int queries) =>
    [
        "--pg", conninfo, "--clients", Format(Clients), "--schedulers", Format(Schedulers),
        "--way", way, "--workload", workload, "--child-queries", Format(queries),
    ];

    private static string Format(int value) => value.ToString(CultureInfo.InvariantCulture);
}
