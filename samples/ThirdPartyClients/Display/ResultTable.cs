using ThirdPartyClients.Running;

namespace ThirdPartyClients.Display;

/// <summary>The final table: a row per client with its time and concurrency in each mode and the verdict.</summary>
internal static class ResultTable
{
    private const int NameWidth = 38;
    private const int CellWidth = 17;

    /// <summary>Both modes side by side; returns whether every row passes <c>--check</c>.</summary>
    public static bool PrintBoth(IReadOnlyList<ClientResult> on, IReadOnlyList<ClientResult> off, int delayMs)
    {
        Console.WriteLine();
        Console.WriteLine($"{"client",-NameWidth} {"hooks off",-CellWidth} {"hooks on",-CellWidth} verdict");
        Console.WriteLine($"{"",-NameWidth} {"time   in flight",-CellWidth} time   in flight");
        bool allOk = true;
        int ran = 0;
        foreach (ClientResult hooked in on)
        {
            ClientResult? plain = off.FirstOrDefault(r => r.Id == hooked.Id);
            (bool ok, string text) = plain is null ? (false, "FAILED: no hooks-off result") : Verdict.Compare(hooked, plain, delayMs);
            allOk &= ok;
            ran += hooked.Skipped is null ? 1 : 0;
            Console.WriteLine($"{hooked.Name,-NameWidth} {Cell(plain),-CellWidth} {Cell(hooked),-CellWidth} {text}");
        }

        Footnote();
        return allOk && ran > 0;
    }

    /// <summary>One mode alone (run by hand with --hooks); returns whether every row is what the mode should give.</summary>
    public static bool PrintOne(IReadOnlyList<ClientResult> results, Options options, bool hooked)
    {
        Console.WriteLine();
        Console.WriteLine($"{"client",-NameWidth} {(hooked ? "hooks on" : "hooks off"),-CellWidth} verdict");
        bool allOk = true;
        foreach (ClientResult result in results)
        {
            (bool ok, string text) = Verdict.Single(result, hooked, options.DelayMs);
            allOk &= ok;
            Console.WriteLine($"{result.Name,-NameWidth} {Cell(result),-CellWidth} {text}");
        }

        Footnote();
        return allOk;
    }

    private static string Cell(ClientResult? r) => r is null || r.Skipped is not null || r.Requests == 0 ? "-" : $"{r.Seconds,-7}{r.MaxInFlight,3}/{r.Requests}";

    private static void Footnote() => Console.WriteLine(
        "\nin flight: the most requests the demo's server held at once (for PostgreSQL, queries outstanding at once, counted around the call)");
}
