using Co.TestHost;
using Xunit;

namespace Co.Tests.Sockets;

/// <summary>The platform-neutral <c>socket-checks</c> scenario on Linux, in one child process: the same checks the
/// Windows build runs under Wine (<see cref="UnderWine.SocketsUnderWineTests"/>), so a check that fails there and passes
/// here points at the platform, not at the check.</summary>
public sealed class SocketChecksTests
{
    [Fact]
    public async Task EverySocketCheck_PassesOnLinux()
    {
        HostResult run = await TestHost.RunAsync(SocketChecks.Run, TestHost.Env(("CO_SCHED_NUM", "2")), 240_000);
        string[] notPassed = [.. SocketChecks.CheckNames.Where(check => !run.LinesStartingWith($"CHECK {check} passed").Any())];
        Assert.True(notPassed.Length == 0, $"not passed: {string.Join(", ", notPassed)}\n{run.Describe()}");
        run.AssertSuccess();
        Assert.Equal("linux", run.Result("os"));
    }
}
