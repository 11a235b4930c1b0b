using ThirdPartyClients.Display;
using Co.Samples;
using ThirdPartyClients.Postgres;
using ThirdPartyClients.Running;

namespace ThirdPartyClients;

/// <summary>
/// The default run: hooks on, then hooks off, each in a child process, then the side-by-side table. PostgreSQL is
/// found (or started) once here and handed to both children, so both modes talk to the same server.
/// </summary>
internal static class BothModes
{
    /// <summary>Runs both modes; with <c>--check</c> the exit code says whether every client passed.</summary>
    public static int Run(Options options)
    {
        using LocalPostgres postgres = LocalPostgres.Resolve(options.Postgres, mayStart: true);
        Header.Print(options, postgres.Note);
        var display = new ConsoleProgress();
        ModeOutcome on = ChildMode.Run(options, "on", postgres.ConnInfo, display);
        Console.WriteLine();
        ModeOutcome off = ChildMode.Run(options, "off", postgres.ConnInfo, display);
        bool ok = ResultTable.PrintBoth(on.Results, off.Results, options.DelayMs);
        foreach (string problem in new[] { on.Problem, off.Problem }.OfType<string>())
        {
            Console.Error.WriteLine(problem);
            ok = false;
        }

        if (options.Check)
        {
            Console.WriteLine(ok ? "check: passed" : "check: FAILED");
            return ok ? 0 : 1;
        }

        return on.Problem is null && off.Problem is null ? 0 : 1;
    }
}
