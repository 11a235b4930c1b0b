using System.Reflection;
using Co.Testing;
using Xunit;

namespace Co.Hook.Tests;

/// <summary>
/// Runs scenarios of Co.Hook.TestHost through Co.Testing's harness: every test that patches live code does, in a
/// child process, so that a crash is a failed test (a non-zero exit code) rather than a dead test run, and so each
/// runtime setting gets a fresh process. Scenarios are named by their methods (<c>CurlScenario.Hooked</c>); the
/// theories' data carries the names the registry gives them, for the test runner to list each case.
/// </summary>
internal static class HookHost
{
    /// <summary>The test host's assembly, where the scenarios are registered.</summary>
    private static Assembly Host => typeof(Co.Hook.TestHost.Program).Assembly;

    /// <summary>The runtime settings that change code generation; every patching scenario runs under each.</summary>
    public static IReadOnlyList<string> Settings => RuntimeSettings.CodeGeneration;

    /// <summary>Each of <paramref name="scenarios"/> under each of <see cref="Settings"/>.</summary>
    public static TheoryData<string, string> Matrix(params Delegate[] scenarios)
    {
        var data = new TheoryData<string, string>();
        foreach (Delegate scenario in scenarios)
        {
            foreach (string setting in Settings)
            {
                data.Add(Scenario.Of(scenario).Name, setting);
            }
        }

        return data;
    }

    /// <summary>Runs the scenario a theory's data names (see <see cref="Matrix"/>); asserts it passed.</summary>
    public static void AssertPasses(string scenario, string setting, TimeSpan? limit = null) =>
        AssertPasses(ScenarioRegistry.Find(Host, scenario), setting, [], limit, null);

    /// <summary>Runs <paramref name="scenario"/> with <paramref name="setting"/> ("NAME=value"), any further
    /// <paramref name="environment"/> variables and <paramref name="arguments"/>; asserts it printed its OK line and
    /// exited 0, or rethrows the child's exception.</summary>
    public static void AssertPasses(Delegate scenario, string setting, string[]? arguments = null, TimeSpan? limit = null, IReadOnlyDictionary<string, string>? environment = null) =>
        AssertPasses(Scenario.Of(scenario), setting, arguments ?? [], limit, environment);

    private static void AssertPasses(Scenario scenario, string setting, string[] arguments, TimeSpan? limit, IReadOnlyDictionary<string, string>? environment) =>
        ScenarioRunner.Run(scenario, arguments, RuntimeSettings.Environment(setting, environment), limit ?? TimeSpan.FromSeconds(60)).AssertSuccess();
}
