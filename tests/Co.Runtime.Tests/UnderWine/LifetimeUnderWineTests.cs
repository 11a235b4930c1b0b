using Co.TestHost;
using Xunit;

namespace Co.Tests.UnderWine;

/// <summary>Stop and the unhandled-exception report in the Windows build under Wine, each a process of its own (Stop is
/// irreversible); the checks are those of the Linux runs (<see cref="ChildProcessTests"/>).</summary>
public sealed class LifetimeUnderWineTests
{
    [Fact]
    public async Task Stop_ThenEveryGoForm_ThrowsInvalidOperation_UnderWine() =>
        ChildProcessTests.AssertStopped(await TestHost.RunUnderWineAsync(LifetimeScenarios.Stop, TestHost.Env()));

    [Theory]
    [InlineData("sync")]
    [InlineData("async")]
    public async Task UnhandledException_PrintsCoroutineIdToStderr_AndSchedulerKeepsRunning_UnderWine(string kind) =>
        ChildProcessTests.AssertUnhandledReported(
            await TestHost.RunUnderWineAsync(LifetimeScenarios.Unhandled, TestHost.Env(), 120_000, kind), kind);
}
