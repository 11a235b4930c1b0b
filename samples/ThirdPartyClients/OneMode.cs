using ThirdPartyClients.Display;
using Co.Samples;
using ThirdPartyClients.Postgres;
using ThirdPartyClients.Running;

namespace ThirdPartyClients;

/// <summary>
/// One mode in this process: <c>--mode on|monitor|off</c>. Hooks are process-wide and meant to be enabled before
/// anything else runs, and the monitor is set once as the schedulers start, which is why the modes never share a
/// process. A parent's child reports events; run by hand it draws the display and a one-mode table.
/// </summary>
internal static class OneMode
{
    /// <summary>Runs <paramref name="mode"/>; the exit code is 1 only for <c>--check</c> failures (or a set-up
    /// failure).</summary>
    public static int Run(Options options, DemoMode mode)
    {
        (bool hooked, string hooks) = HookState.Apply(mode.Hooks); // first: before any socket or thread exists
        using LocalPostgres postgres = LocalPostgres.Resolve(options.Postgres, mayStart: !options.Report);
        IRunObserver observer = options.Report ? new ReportWriter(Console.Out) : new ConsoleProgress();
        if (!options.Report)
        {
            Header.Print(options, postgres.Note);
        }

        IReadOnlyList<ClientResult> results = ModeRunner.Run(options, mode, hooks, postgres.ConnInfo, observer);
        if (options.Report)
        {
            return 0;
        }

        bool ok = ResultTable.PrintOne(results, mode, hooked, options.DelayMs);
        return options.Check && !ok ? 1 : 0;
    }
}
