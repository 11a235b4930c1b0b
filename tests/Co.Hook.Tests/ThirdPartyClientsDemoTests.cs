using System.Diagnostics;
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
    /// <summary>Runs the built demo (same configuration as this test assembly) with <c>--check</c> and expects exit 0.</summary>
    [Fact]
    public async Task Demo_Check_EveryClientConcurrentWithHooks_RescuedByMonitorAlone_SerialWithNeither()
    {
        string demo = DemoAssembly();
        var start = new ProcessStartInfo("dotnet", [demo, "--check"]) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        using Process child = Process.Start(start)!;
        Task<string> stdout = child.StandardOutput.ReadToEndAsync();
        Task<string> stderr = child.StandardError.ReadToEndAsync();
        using var limit = new CancellationTokenSource(TimeSpan.FromMinutes(3));
        try
        {
            await child.WaitForExitAsync(limit.Token);
        }
        catch (OperationCanceledException)
        {
            child.Kill(entireProcessTree: true);
            await child.WaitForExitAsync();
            Assert.Fail($"the demo did not finish within 3 minutes\n{await stdout}{await stderr}");
        }

        string output = await stdout + await stderr;
        Assert.True(child.ExitCode == 0 && output.Contains("check: passed", StringComparison.Ordinal), $"the demo's --check exited {child.ExitCode}:\n{output}");
    }

    /// <summary>samples/ThirdPartyClients/bin/&lt;configuration&gt;/net10.0/ThirdPartyClients.dll under the folder that
    /// holds Co.sln above this assembly; the configuration is this assembly's own (its folder's parent's name).</summary>
    private static string DemoAssembly()
    {
        var output = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar));
        string configuration = output.Parent?.Name ?? "Release";
        DirectoryInfo? root = output;
        while (root is not null && !File.Exists(Path.Combine(root.FullName, "Co.sln")))
        {
            root = root.Parent;
        }

        Assert.True(root is not null, $"no Co.sln above {output.FullName}");
        string demo = Path.Combine(root.FullName, "samples", "ThirdPartyClients", "bin", configuration, output.Name, "ThirdPartyClients.dll");
        Assert.True(File.Exists(demo), $"{demo} is missing: build Co.sln (./build.sh build) first");
        return demo;
    }
}
