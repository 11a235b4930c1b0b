using ThirdPartyClients.Display;
using Co.Samples;
using ThirdPartyClients.Postgres;
using ThirdPartyClients.Running;

namespace ThirdPartyClients;

/// <summary>
/// The default run: hooks on, the monitor alone, then neither, each in a child process, then the side-by-side table.
/// PostgreSQL is found (or started) once here and handed to every child, so all modes talk to the same server.
/// </summary>
internal static class AllModes
{
    /// <summary>Runs every mode; with <c>--check</c> the exit code says whether every client passed.</summary>
    public static int Run(Options options)
    {
        using LocalPostgres postgres = LocalPostgres.Resolve(options.Postgres, mayStart: true);
        Header.Print(options, postgres.Note);
        var display = new ConsoleProgress();
        var outcomes = new Dictionary<DemoMode, ModeOutcome>();
        foreach (DemoMode mode in DemoMode.All)
        {
            if (outcomes.Count > 0)
            {
                Console.WriteLine();
            }

            outcomes[mode] = ChildMode.Run(options, mode, postgres.ConnInfo, display);
        }

        bool ok = ResultTable.PrintAll(outcomes[DemoMode.On].Results, outcomes[DemoMode.MonitorOnly].Results, outcomes[DemoMode.Off].Results, options.DelayMs);
        string[] problems = [.. outcomes.Values.Select(outcome => outcome.Problem).OfType<string>()];
        foreach (string problem in problems)
        {
            Console.Error.WriteLine(problem);
        }

        if (options.Check)
        {
            ok &= problems.Length == 0;
            Console.WriteLine(ok ? "check: passed" : "check: FAILED");
            return ok ? 0 : 1;
        }

        return problems.Length == 0 ? 0 : 1;
    }
}
