using Co.TestHost;
using Xunit;

namespace Co.Tests;

/// <summary>The platform-neutral <c>runtime-checks</c> scenario on Linux, in one child process: the same checks the
/// Windows build runs under Wine (<see cref="UnderWine.RuntimeUnderWineTests"/>), so a check that fails there and passes
/// here points at the platform, not at the check.</summary>
public sealed class RuntimeChecksTests
{
    [Fact]
    public async Task EveryRuntimeCheck_PassesOnLinux()
    {
        HostResult run = await TestHost.RunAsync(PortableScenarios.RuntimeChecks, TestHost.Env(("CO_SCHED_NUM", "2")), 240_000);
        string[] notPassed = [.. PortableScenarios.CheckNames.Where(check => !run.LinesStartingWith($"CHECK {check} passed").Any())];
        Assert.True(notPassed.Length == 0, $"not passed: {string.Join(", ", notPassed)}\n{run.Describe()}");
        run.AssertSuccess();
        Assert.Equal("linux", run.Result("os"));
    }
}
