using System.Globalization;
using Coroutineize.Running;
using Coroutineize.Ways;

namespace Coroutineize.Display;

/// <summary>The side-by-side table of the demo: one row per way.</summary>
internal static class Table
{
    private const int LabelWidth = 48;

    /// <summary>The header row.</summary>
    public static void Header() =>
        Console.WriteLine($"  {"way",-LabelWidth} {"connect",9} {"elapsed",9} {"queries/s",11} {"client CPU/query",17} {"max in flight",14}");

    /// <summary>A measured row.</summary>
    public static void Row(Way way, Measurement m, int clients) => Console.WriteLine(string.Create(
        CultureInfo.InvariantCulture,
        $"  {way.Label,-LabelWidth} {Seconds(m.ConnectMs),9} {Seconds(m.ElapsedMs),9} {m.QueriesPerSecond,11:N0} {$"{m.CpuMicrosecondsPerQuery:F1} us",17} {$"{m.MaxInFlight}/{clients}",14}"));

    /// <summary>A row whose child failed.</summary>
    public static void Failed(Way way, string problem) => Console.WriteLine($"  {way.Label,-LabelWidth} FAILED: {problem}");

    /// <summary>Milliseconds as "0.21 s".</summary>
    public static string Seconds(double ms) => string.Create(CultureInfo.InvariantCulture, $"{ms / 1000.0:F2} s");
}
