using Co.Testing;

namespace Co.Tests;

/// <summary>
/// Runs a scenario of Co.TestHost (a [Scenario] method, named by the method itself) through Co.Testing's harness: a
/// child process with chosen environment variables, a timeout that kills the process tree, captured output, and the
/// RESULT/OK/FAIL protocol. CO_SCHED_NUM and DOTNET_STARTUP_HOOKS are removed from the child's environment unless
/// <c>env</c> sets them; a null value in <c>env</c> removes a variable.
/// </summary>
internal static class TestHost
{
    /// <summary>The test host's assembly, beside the tests (the ProjectReference copies it and its runtimeconfig).</summary>
    public static string DllPath => typeof(Co.TestHost.Program).Assembly.Location;

    /// <summary>Runs <paramref name="scenario"/> with <paramref name="args"/>, killed after <paramref name="timeoutMs"/>.</summary>
    public static Task<HostResult> RunAsync(Delegate scenario, IReadOnlyDictionary<string, string?>? env,
        int timeoutMs = 60_000, params string[] args) =>
        ScenarioRunner.RunAsync(Scenario.Of(scenario), args, ChildEnvironment(env), TimeSpan.FromMilliseconds(timeoutMs));

    /// <summary>Runs <paramref name="scenario"/> with <paramref name="args"/> in the Windows build of the test host
    /// under Wine (<see cref="WineCommand"/>), killed after <paramref name="timeoutMs"/>.</summary>
    public static Task<HostResult> RunUnderWineAsync(Delegate scenario, IReadOnlyDictionary<string, string?>? env,
        int timeoutMs = 120_000, params string[] args) =>
        ScenarioRunner.RunUnderWineAsync(Scenario.Of(scenario), args, ChildEnvironment(env), TimeSpan.FromMilliseconds(timeoutMs));

    /// <summary><paramref name="env"/> over the defaults: CO_SCHED_NUM and DOTNET_STARTUP_HOOKS removed.</summary>
    private static Dictionary<string, string?> ChildEnvironment(IReadOnlyDictionary<string, string?>? env)
    {
        var environment = new Dictionary<string, string?>(StringComparer.Ordinal)
        {
            ["CO_SCHED_NUM"] = null,
            ["DOTNET_STARTUP_HOOKS"] = null,
        };
        foreach ((string name, string? value) in env ?? new Dictionary<string, string?>())
        {
            environment[name] = value;
        }

        return environment;
    }

    /// <summary>Runs <paramref name="scenario"/> with <paramref name="args"/> in the default environment, within 60 s.</summary>
    public static Task<HostResult> RunAsync(Delegate scenario, params string[] args) =>
        RunAsync(scenario, null, 60_000, args);

    /// <summary>An environment of <paramref name="vars"/> (a null value removes the variable).</summary>
    public static Dictionary<string, string?> Env(params (string Key, string? Value)[] vars) =>
        vars.ToDictionary(v => v.Key, v => v.Value);
}
