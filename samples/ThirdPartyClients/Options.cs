using System.Globalization;
using ThirdPartyClients.Clients;
using ThirdPartyClients.Running;

namespace ThirdPartyClients;

/// <summary>The command line. With no <c>--mode</c> the demo runs all three modes, each in a child process of itself;
/// <c>--mode on|monitor|off</c> runs one mode here (and <c>--report</c> is how a parent asks a child for
/// machine-readable events instead of a display).</summary>
internal sealed record Options
{
    /// <summary>The usage text.</summary>
    public const string Usage = """
        usage: ThirdPartyClients [--mode on|monitor|off] [--check] [--clients N] [--delay MS] [--pg CONNINFO] [--only ID,ID...]
          (no --mode)    run all three modes, each in a child process, and print them side by side
          --mode MODE    run one mode in this process: "on" calls Co.Hooks.Enable() (the blocked-scheduler monitor
                         stays at its default), "monitor" runs the monitor alone, "off" neither (with
                         DOTNET_STARTUP_HOOKS set, "off" shows the startup hook alone)
          --hooks on|off the same as --mode on|off
          --check        exit 1 unless every client that ran is concurrent with hooks, serialized with neither, and
                         answered with the monitor alone, which had to step in at least once
          --clients N    coroutines (one request each) per client, default 20
          --delay MS     how long every server holds a request, default 100
          --pg CONNINFO  PostgreSQL as libpq's "host=... port=... user=... dbname=..."; default CO_TEST_PG, else a
                         throwaway local server when PostgreSQL is installed, else those rows are skipped
          --only IDS     some of: socket, httpclient, sslstream, npgsql, curl, libpq, libc
        """;

    /// <summary>The mode to run in this process, or null for all of them, each in a child (the parent).</summary>
    public DemoMode? Mode { get; init; }

    /// <summary>Write events for a parent instead of drawing the display.</summary>
    public bool Report { get; init; }

    /// <summary>Exit non-zero unless every client that ran showed what its mode should give.</summary>
    public bool Check { get; init; }

    /// <summary>Coroutines, one request each, per client.</summary>
    public int Requests { get; init; } = 20;

    /// <summary>How long the servers hold each request.</summary>
    public int DelayMs { get; init; } = 100;

    /// <summary>The libpq connection string given with --pg.</summary>
    public string? Postgres { get; init; }

    /// <summary>The clients to run, in table order.</summary>
    public IReadOnlyList<string> Only { get; init; } = ClientCatalog.Ids;

    /// <summary>Whether --help was asked for.</summary>
    public bool Help { get; init; }

    /// <summary>Parses <paramref name="args"/>; throws <see cref="FormatException"/> with the problem.</summary>
    public static Options Parse(IReadOnlyList<string> args)
    {
        var options = new Options();
        for (int i = 0; i < args.Count; i++)
        {
            string Value() => i + 1 < args.Count ? args[++i] : throw new FormatException($"{args[i]} needs a value");
            options = args[i] switch
            {
                "--mode" => options with { Mode = ParseMode(Value()) },
                "--hooks" => options with { Mode = OnOrOff(Value()) },
                "--report" => options with { Report = true },
                "--check" => options with { Check = true },
                "--clients" => options with { Requests = Positive(Value(), "--clients") },
                "--delay" => options with { DelayMs = Positive(Value(), "--delay") },
                "--pg" => options with { Postgres = Value() },
                "--only" => options with { Only = Clients(Value()) },
                "--help" or "-h" => options with { Help = true },
                _ => throw new FormatException($"unknown option '{args[i]}'"),
            };
        }

        return options;
    }

    /// <summary>The arguments for a child that runs <paramref name="mode"/> of this run against
    /// <paramref name="postgres"/>.</summary>
    public IEnumerable<string> ChildArguments(DemoMode mode, string? postgres)
    {
        string[] common = ["--mode", mode.Name, "--report", "--clients", Text(Requests), "--delay", Text(DelayMs), "--only", string.Join(',', Only)];
        return postgres is null ? common : [.. common, "--pg", postgres];
    }

    private static DemoMode ParseMode(string text) =>
        DemoMode.Find(text) ?? throw new FormatException($"--mode takes {string.Join(", ", DemoMode.All.Select(mode => mode.Name))}");

    // --hooks is the spelling from before the monitor had a mode of its own; "monitor" is no state of the hooks.
    private static DemoMode OnOrOff(string text) => text is "on" or "off" ? ParseMode(text) : throw new FormatException("--hooks takes on or off");

    private static int Positive(string text, string option) =>
        int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out int value) && value > 0 ? value : throw new FormatException($"{option} takes a positive number");

    private static string[] Clients(string list)
    {
        string[] ids = list.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        string? unknown = ids.FirstOrDefault(id => !ClientCatalog.Ids.Contains(id));
        return unknown is null ? [.. ClientCatalog.Ids.Where(ids.Contains)] : throw new FormatException($"--only: unknown client '{unknown}'");
    }

    private static string Text(int value) => value.ToString(CultureInfo.InvariantCulture);
}
