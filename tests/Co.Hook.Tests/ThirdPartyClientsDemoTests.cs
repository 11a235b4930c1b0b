using Co.Testing;
using Xunit;

namespace Co.Hook.Tests;

/// <summary>
/// The README's main demo (samples/ThirdPartyClients) as a test: its <c>--check</c> runs every client — Socket,
/// HttpClient.Send, SslStream, Npgsql, libcurl, libpq, raw libc — from 20 coroutines on one scheduler in three child
/// processes (hooks on; no hooks with the blocked-scheduler monitor; neither), and exits non-zero unless each client
/// that ran was concurrent with hooks, serialized with neither, and answered with the monitor alone, which had to hand
/// the scheduler off at least once. The PostgreSQL rows use CO_TEST_PG, which <c>./build.sh test</c> exports.
/// </summary>
public class ThirdPartyClientsDemoTests
{
    /// <summary>Runs the built demo (same configuration as this test assembly) with <c>--check</c> and expects exit 0.
    /// Servers hold each request 300 ms, not the demo's default 100: PostgreSQL starts a backend per connection, and
    /// while other test assemblies load the CPUs, 20 of them took over 1 s, more than half the 100 ms rows' serial time,
    /// though all 20 requests overlapped.</summary>
    [Fact]
    public async Task Demo_Check_EveryClientConcurrentWithHooks_RescuedByMonitorAlone_SerialWithNeither()
    {
        string demo = RepositoryBuild.Output("samples/ThirdPartyClients", "ThirdPartyClients.dll", "build Co.sln (./build.sh build) first");
        HostResult run = await ChildProcess.RunAsync(new DotnetCommand(demo), ["--check", "--delay", "300"], null, TimeSpan.FromMinutes(3), scenario: null);
        Assert.False(run.TimedOut, $"the demo did not finish within 3 minutes\n{run.Output}");
        Assert.True(run.ExitCode == 0 && run.Output.Contains("check: passed", StringComparison.Ordinal), $"the demo's --check exited {run.ExitCode}:\n{run.Output}");
    }
}
