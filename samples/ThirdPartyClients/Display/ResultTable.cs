using ThirdPartyClients.Running;

namespace ThirdPartyClients.Display;

/// <summary>The final table: a row per client with its time and concurrency in each mode and the verdict.</summary>
internal static class ResultTable
{
    private const int NameWidth = 38;
    private const int CellWidth = 17;

    /// <summary>All three modes side by side, a row per client of hooks on's list; returns whether every row passes
    /// <c>--check</c>.</summary>
    public static bool PrintAll(IReadOnlyList<ClientResult> on, IReadOnlyList<ClientResult> monitor, IReadOnlyList<ClientResult> off, int delayMs)
    {
        Console.WriteLine();
        const string Units = "time   in flight";
        Console.WriteLine($"{"client",-NameWidth} {DemoMode.On.Column,-CellWidth} {DemoMode.MonitorOnly.Column,-CellWidth} {DemoMode.Off.Column,-CellWidth} verdict");
        Console.WriteLine($"{"",-NameWidth} {Units,-CellWidth} {Units,-CellWidth} {Units}");
        bool allOk = true;
        int ran = 0;
        foreach (ClientResult hooked in on)
        {
            ClientResult? rescued = monitor.FirstOrDefault(r => r.Id == hooked.Id);
            ClientResult? plain = off.FirstOrDefault(r => r.Id == hooked.Id);
            (bool ok, string text) = (rescued, plain) switch
            {
                (null, _) => (false, "FAILED: no monitor-only result"),
                (_, null) => (false, "FAILED: no result with neither"),
                _ => Verdict.Compare(hooked, rescued, plain, delayMs),
            };
            allOk &= ok;
            ran += hooked.Skipped is null ? 1 : 0;
            Console.WriteLine($"{hooked.Name,-NameWidth} {Cell(hooked),-CellWidth} {Cell(rescued),-CellWidth} {Cell(plain),-CellWidth} {text}");
        }

        Footnote([.. on, .. monitor, .. off]);
        return allOk && ran > 0;
    }

    /// <summary>One mode alone (run by hand with --mode); <paramref name="hooked"/> says whether hooks are on, by the
    /// mode or a startup hook. Returns whether every row is what the process should give (see
    /// <see cref="Verdict.Single"/>).</summary>
    public static bool PrintOne(IReadOnlyList<ClientResult> results, DemoMode mode, bool hooked, int delayMs)
    {
        Console.WriteLine();
        Console.WriteLine($"{"client",-NameWidth} {$"--mode {mode.Name}",-CellWidth} verdict");
        bool allOk = true;
        foreach (ClientResult result in results)
        {
            (bool ok, string text) = Verdict.Single(result, hooked, mode.Monitor, delayMs);
            allOk &= ok;
            Console.WriteLine($"{result.Name,-NameWidth} {Cell(result),-CellWidth} {text}");
        }

        Footnote(results);
        return allOk;
    }

    private static string Cell(ClientResult? r) => r is null || r.Skipped is not null || r.Requests == 0 ? "-" : $"{r.Seconds,-7}{r.MaxInFlight,3}/{r.Requests}";

    private static void Footnote(IEnumerable<ClientResult> shown)
    {
        Console.WriteLine("\nin flight: the most requests the demo's server held at once (for PostgreSQL, queries outstanding at once, counted around the call)");
        if (shown.Any(result => result.Handoffs > 0))
        {
            // Why the monitor column overlaps only partly: every rescue waits out the threshold first.
            Console.WriteLine("hand-offs: how often the blocked-scheduler monitor gave the clients' scheduler to another thread because a coroutine");
            Console.WriteLine("  held it, blocked in the kernel, past the threshold (each costs that wait and a thread); in parentheses the system call");
            Console.WriteLine("  it found most often");
        }
    }
}
