using Co.TestHost;
using Xunit;

namespace Co.Tests.UnderWine;

/// <summary>
/// The runtime's acceptance in its Windows build (Platform/Windows: WaitOnAddress, an I/O completion port per
/// scheduler, affinity masks, a TLS slot), run under Wine 8 on this Linux machine: results are "under Wine", not
/// "on Windows" (Wine implements the Win32 calls on Linux ones). <c>./build.sh test</c> publishes the host for win-x64
/// and installs Wine; without them these tests fail saying how to get them.
/// </summary>
public sealed class RuntimeUnderWineTests(RuntimeChecksUnderWine checks) : IClassFixture<RuntimeChecksUnderWine>
{
    /// <summary>Every check of the runtime-checks scenario.</summary>
    public static TheoryData<string> CheckNames() => [.. PortableScenarios.CheckNames];

    [Theory]
    [MemberData(nameof(CheckNames))]
    public Task RuntimeCheck_PassesUnderWine(string check) => checks.AssertPassed(check);

    [Fact]
    public async Task RuntimeChecks_RanAsWindowsProgram_WithCoSchedNum_AndMonitorOffSayingWhy()
    {
        HostResult run = (await checks.Run).AssertSuccess();
        Assert.Equal("windows", run.Result("os"));
        Assert.Equal("2", run.Result("schedulers"));
        // Wine 8's FlushProcessWriteBuffers is not a process-wide barrier: the monitor must stay off and say so.
        Assert.True(run.Stderr.Contains("Co: the blocked-scheduler monitor is off: running under Wine", StringComparison.Ordinal),
            $"no line saying the monitor is off under Wine\n{run.Describe()}");
    }

    [Fact]
    public async Task CoroutineIds_FollowSchedulerFormula_UnderWine_WithConfigureOverCoSchedNum()
    {
        ChildProcessTests.AssertIdFormula(
            await TestHost.RunUnderWineAsync(SchedulerIdScenarios.Ids, TestHost.Env(("CO_SCHED_NUM", "1")), 120_000, "3"), 3);
    }
}
