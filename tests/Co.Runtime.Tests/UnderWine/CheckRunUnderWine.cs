using Co.TestHost;
using Xunit;

namespace Co.Tests.UnderWine;

/// <summary>
/// One run of a check scenario (<c>runtime-checks</c>, <c>socket-checks</c>: many checks, a CHECK line each) in the
/// Windows build of the test host under Wine, with two schedulers (CO_SCHED_NUM=2), shared by the tests of a class
/// through a fixture deriving from this: a Wine start costs seconds, so the checks share one process and each test
/// reads its own check's line.
/// </summary>
public abstract class CheckRunUnderWine(Delegate scenario)
{
    private readonly Lazy<Task<HostResult>> _run = new(() =>
        TestHost.RunUnderWineAsync(scenario, TestHost.Env(("CO_SCHED_NUM", "2")), 300_000));

    /// <summary>The run, started by the first test that asks.</summary>
    public Task<HostResult> Run => _run.Value;

    /// <summary>Asserts that the run's line for <paramref name="check"/> says it passed.</summary>
    public async Task AssertPassed(string check)
    {
        HostResult run = await Run;
        string? line = run.LinesStartingWith($"CHECK {check} ").LastOrDefault();
        Assert.True(line == $"CHECK {check} passed", $"{line ?? $"no line for check {check}"}\n{run.Describe()}");
    }
}
