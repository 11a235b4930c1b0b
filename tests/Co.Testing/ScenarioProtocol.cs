using System.Text.Json;

namespace Co.Testing;

/// <summary>
/// The one output protocol of every test host, on standard output, one record per line:
/// <list type="bullet">
/// <item><c>RESULT key=value key=value ...</c>: measurements for the parent to check (values without spaces; a
/// later value of a key replaces an earlier one);</item>
/// <item>other lines (a scenario's own data lines such as <c>CO ...</c> or <c>ELAPSED ...</c>, diagnostics): free;</item>
/// <item>last, exactly one of <c>OK &lt;name&gt;</c> (the scenario returned) or
/// <c>FAIL &lt;name&gt; &lt;json&gt;</c> (it threw): the JSON carries the exception's type, message and stack
/// (<see cref="ChildFailure"/>), so the parent rethrows them as a <see cref="ChildScenarioException"/> and the
/// test failure shows the child's exception as if it had been thrown in the test.</item>
/// </list>
/// A process that ends with neither (a crash, a kill at the timeout) failed; its exit code and output say how.
/// </summary>
public static class ScenarioProtocol
{
    /// <summary>The prefix of a measurement line.</summary>
    public const string ResultPrefix = "RESULT ";

    private const string PassedPrefix = "OK ";
    private const string FailedPrefix = "FAIL ";

    /// <summary>The final line of a scenario that returned.</summary>
    public static string Passed(string scenario) => PassedPrefix + scenario;

    /// <summary>The final line of a scenario that threw <paramref name="exception"/>.</summary>
    public static string Failed(string scenario, Exception exception) =>
        $"{FailedPrefix}{scenario} {JsonSerializer.Serialize(ChildFailure.From(exception))}";

    /// <summary>True when <paramref name="lines"/> hold the final line of <paramref name="scenario"/> passing.</summary>
    public static bool HasPassed(IEnumerable<string> lines, string scenario) =>
        lines.Any(line => line == Passed(scenario));

    /// <summary>The failure <paramref name="lines"/> report for <paramref name="scenario"/>, or null when none.</summary>
    public static ChildFailure? FailureOf(IEnumerable<string> lines, string scenario)
    {
        string prefix = $"{FailedPrefix}{scenario} ";
        string? line = lines.LastOrDefault(l => l.StartsWith(prefix, StringComparison.Ordinal));
        return line is null ? null : JsonSerializer.Deserialize<ChildFailure>(line[prefix.Length..]);
    }

    /// <summary>The <c>RESULT key=value</c> pairs of <paramref name="lines"/> (last value wins).</summary>
    public static IReadOnlyDictionary<string, string> Results(IEnumerable<string> lines)
    {
        var results = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (string line in lines.Where(l => l.StartsWith(ResultPrefix, StringComparison.Ordinal)))
        {
            foreach (string pair in line[ResultPrefix.Length..].Split(' ', StringSplitOptions.RemoveEmptyEntries))
            {
                int equals = pair.IndexOf('=');
                if (equals > 0)
                {
                    results[pair[..equals]] = pair[(equals + 1)..];
                }
            }
        }

        return results;
    }
}
