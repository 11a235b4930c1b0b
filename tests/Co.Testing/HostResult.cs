namespace Co.Testing;

/// <summary>The outcome of one run of a child program (a test host's scenario, or another program under test).</summary>
/// <param name="ExitCode">The process's exit code (whatever it was when killed, if <paramref name="TimedOut"/>).</param>
/// <param name="Stdout">Its standard output.</param>
/// <param name="Stderr">Its standard error.</param>
/// <param name="TimedOut">True when it was killed, with its process tree, at the timeout.</param>
/// <param name="CommandLine">The environment set and the command run, for the failure message.</param>
/// <param name="Scenario">The scenario run, whose <c>OK</c>/<c>FAIL</c> line <see cref="AssertSuccess"/> expects; null
/// for a program outside the protocol.</param>
public sealed record HostResult(int ExitCode, string Stdout, string Stderr, bool TimedOut, string CommandLine, string? Scenario)
{
    /// <summary>The <c>RESULT key=value</c> pairs of standard output (last value wins).</summary>
    public IReadOnlyDictionary<string, string> Results => ScenarioProtocol.Results(Lines(Stdout));

    /// <summary>The standard output and standard error together, as the checks of programs outside the protocol read
    /// them.</summary>
    public string Output => Stdout + Stderr;

    /// <summary>The exception the scenario's <c>FAIL</c> line carries, or null when it printed none.</summary>
    public ChildFailure? Failure => Scenario is null ? null : ScenarioProtocol.FailureOf(Lines(Stdout), Scenario);

    /// <summary>Standard output's lines that start with <paramref name="prefix"/>.</summary>
    public IEnumerable<string> LinesStartingWith(string prefix) =>
        Lines(Stdout).Where(l => l.StartsWith(prefix, StringComparison.Ordinal));

    /// <summary>The value of <c>RESULT key=...</c>; throws, with the run described, when the child printed none.</summary>
    public string Result(string key) =>
        Results.TryGetValue(key, out string? value) ? value : throw new ScenarioFailedException($"child printed no RESULT {key}=...\n{Describe()}");

    /// <summary>The non-empty lines of <paramref name="text"/>.</summary>
    public static IEnumerable<string> Lines(string text) =>
        text.Split('\n').Select(l => l.TrimEnd('\r')).Where(l => l.Length > 0);

    /// <summary>The command, exit code and output (each stream cut to its first and last 3000 characters).</summary>
    public string Describe() =>
        $"command: {CommandLine}\nexit code: {ExitCode}{(TimedOut ? " (TIMED OUT, killed)" : "")}\n--- stdout ---\n{Cut(Stdout)}\n--- stderr ---\n{Cut(Stderr)}";

    /// <summary>
    /// Asserts the run passed: when the scenario printed its <c>FAIL</c> line, throws a
    /// <see cref="ChildScenarioException"/> with the child's exception; otherwise throws a
    /// <see cref="ScenarioFailedException"/> unless the process exited 0 in time and (for a scenario) printed its
    /// <c>OK</c> line.
    /// </summary>
    public HostResult AssertSuccess()
    {
        if (Failure is { } failure)
        {
            throw new ChildScenarioException(failure, this);
        }

        if (TimedOut || ExitCode != 0)
        {
            throw new ScenarioFailedException("child process failed\n" + Describe());
        }

        if (Scenario is not null && !ScenarioProtocol.HasPassed(Lines(Stdout), Scenario))
        {
            throw new ScenarioFailedException($"child process exited 0 without printing '{ScenarioProtocol.Passed(Scenario)}'\n{Describe()}");
        }

        return this;
    }

    private static string Cut(string text) => text.Length <= 6000 ? text : text[..3000] + "\n...\n" + text[^3000..];
}
