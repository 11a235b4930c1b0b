using ThirdPartyClients.Display;
using Co.Samples;
using ThirdPartyClients.Postgres;
using ThirdPartyClients.Running;

namespace ThirdPartyClients;

/// <summary>
/// One mode in this process: <c>--hooks on|off</c>. Hooks are process-wide and meant to be enabled before anything
/// else runs, which is why the two modes never share a process. A parent's child reports events; run by hand it draws
/// the display and a one-mode table.
/// </summary>
internal static class OneMode
{
    /// <summary>Runs the mode; the exit code is 1 only for <c>--check</c> failures (or a set-up failure).</summary>
    public static int Run(Options options)
    {
        (bool hooked, string hooks) = HookState.Apply(options.Mode == "on"); // first: before any socket or thread exists
        using LocalPostgres postgres = LocalPostgres.Resolve(options.Postgres, mayStart: !options.Report);
        IRunObserver observer = options.Report ? new ReportWriter(Console.Out) : new ConsoleProgress();
        if (!options.Report)
        {
            Header.Print(options, postgres.Note);
        }

        IReadOnlyList<ClientResult> results = ModeRunner.Run(options, hooks, postgres.ConnInfo, observer);
        if (options.Report)
        {
            return 0;
        }

        bool ok = ResultTable.PrintOne(results, options, hooked);
        return options.Check && !ok ? 1 : 0;
    }
}
