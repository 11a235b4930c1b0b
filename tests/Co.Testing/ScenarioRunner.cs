namespace Co.Testing;

/// <summary>
/// Runs a scenario for a test: in a child process of its test host (always, unless debugging), or — when the
/// environment variable <see cref="InProcessVariable"/> is 1 — directly on the test's own thread, so that a debugger
/// attached to the test run stops in the scenario and its exception is the test's exception (tests/README.md).
/// </summary>
/// <remarks>
/// In process the case's environment (DOTNET_* settings, CO_SCHED_NUM, ...) does not apply, a scenario that patches
/// code patches the test process, and process-wide settings (Coroutine.Configure) can be made once per test process:
/// run one scenario at a time (dotnet test --filter) and only to debug it.
/// </remarks>
public static class ScenarioRunner
{
    /// <summary>The environment variable that runs scenarios in the test process when set to 1.</summary>
    public const string InProcessVariable = "CO_SCENARIO_IN_PROCESS";

    /// <summary>The scenario run in this process in the in-process mode, if any.</summary>
    private static string? s_ranInProcess;

    /// <summary>Runs <paramref name="scenario"/> with <paramref name="arguments"/>, in the environment
    /// <paramref name="environment"/> (null values remove a variable), killed after <paramref name="timeout"/>.</summary>
    public static Task<HostResult> RunAsync(Scenario scenario, IReadOnlyList<string> arguments,
        IReadOnlyDictionary<string, string?>? environment, TimeSpan timeout) =>
        Environment.GetEnvironmentVariable(InProcessVariable) == "1"
            ? Task.FromResult(RunInProcess(scenario, arguments, environment))
            : ChildProcess.RunAsync(ChildCommand.ForHost(scenario.Host), [scenario.Name, .. arguments], environment, timeout, scenario.Name);

    /// <summary>Runs <paramref name="scenario"/> as <see cref="RunAsync"/> does, but in the Windows build of its host
    /// under Wine (<see cref="WineCommand"/>), always in a child process: the in-process mode would run it on
    /// Linux.</summary>
    public static Task<HostResult> RunUnderWineAsync(Scenario scenario, IReadOnlyList<string> arguments,
        IReadOnlyDictionary<string, string?>? environment, TimeSpan timeout) =>
        ChildProcess.RunAsync(WineCommand.ForWindowsBuildOf(scenario.Host), [scenario.Name, .. arguments], environment, timeout, scenario.Name);

    /// <summary><see cref="RunAsync"/> for the synchronous tests.</summary>
    public static HostResult Run(Scenario scenario, IReadOnlyList<string> arguments,
        IReadOnlyDictionary<string, string?>? environment, TimeSpan timeout) =>
        RunAsync(scenario, arguments, environment, timeout).GetAwaiter().GetResult();

    /// <summary>Runs the scenario on this thread with standard output captured (and still shown), so RESULT lines
    /// reach the test's checks; an exception propagates as thrown. A second scenario in the same test process is
    /// refused: it would meet the first one's process-wide state (configured schedulers, hooks, counters).</summary>
    private static HostResult RunInProcess(Scenario scenario, IReadOnlyList<string> arguments, IReadOnlyDictionary<string, string?>? environment)
    {
        string? earlier = Interlocked.CompareExchange(ref s_ranInProcess, scenario.Name, null);
        if (earlier is not null)
        {
            throw new InvalidOperationException(
                $"{InProcessVariable}=1 runs one scenario per test process and '{earlier}' already ran here: select one test case (dotnet test --filter)");
        }

        if (environment is { Count: > 0 })
        {
            Console.Error.WriteLine($"{scenario.Name} in process: the case's environment is not applied ({string.Join(' ', environment.Select(v => $"{v.Key}={v.Value}"))})");
        }

        TextWriter shown = Console.Out;
        var captured = new StringWriter();
        Console.SetOut(new TeeWriter(shown, captured));
        try
        {
            scenario.Invoke([.. arguments]);
            Console.WriteLine(ScenarioProtocol.Passed(scenario.Name));
        }
        finally
        {
            Console.SetOut(shown);
        }

        return new HostResult(0, captured.ToString(), "", false, $"in process: {scenario.Name} {string.Join(' ', arguments)}", scenario.Name);
    }

    /// <summary>Writes to two writers: the console the developer watches and the capture the checks read.</summary>
    private sealed class TeeWriter(TextWriter first, TextWriter second) : TextWriter
    {
        public override System.Text.Encoding Encoding => first.Encoding;

        public override void Write(char value)
        {
            lock (second)
            {
                first.Write(value);
                second.Write(value);
            }
        }

        public override void Write(string? value)
        {
            lock (second)
            {
                first.Write(value);
                second.Write(value);
            }
        }

        public override void WriteLine(string? value)
        {
            lock (second)
            {
                first.WriteLine(value);
                second.WriteLine(value);
            }
        }
    }
}
