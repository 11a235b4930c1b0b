using System.Diagnostics;
using Co.Testing;
using Co.TestHost;
using Xunit;

namespace Co.Tests.UnderWine;

/// <summary>
/// The Windows build of bench/Co.Benchmarks (published by <c>./build.sh test</c> into artifacts/wine) under Wine, in
/// smoke runs (<c>--quick</c>): a BenchmarkDotNet row and the custom handoff unit end with every row measured. No
/// figure is judged here (timing belongs to bench/); this guards what once kept them from ending under Wine —
/// BenchmarkDotNet's WMI probe, whose exception killed the main thread, and glibc calls inside the handoff's coroutines.
/// </summary>
public sealed class BenchmarksUnderWineTests
{
    private static readonly TimeSpan s_bound = TimeSpan.FromMinutes(3);

    [Fact]
    public async Task MicroRow_IsMeasured_AndTheProcessEnds_UnderWine()
    {
        string output = await RunToTheEnd("RawAwaiterPingPong", "--quick", "--no-fork");
        Assert.Contains("UNDER WINE", output, StringComparison.Ordinal);
        Assert.Matches(@"\[result\] RawAwaiterPingPong: [0-9.,]+ ns/switch", output);
    }

    [Fact]
    public async Task Handoff_BothRowsAreMeasured_UnderWine()
    {
        string output = await RunToTheEnd("handoff", "--quick", "--no-fork");
        Assert.Matches(@"\[result\] PinnedFutexHandoff: [0-9.,]+ ns/switch", output);
        Assert.Matches(@"\[result\] SyncEventPingPong: [0-9.,]+ ns/switch", output);
        Assert.DoesNotContain("CPUs seen by the coroutines: none", output, StringComparison.Ordinal);
    }

    /// <summary>Runs Co.Benchmarks with <paramref name="arguments"/> from its folder; asserts that it exits with 0
    /// (every row measured) within the bound, and returns what it printed. The runs use --no-fork: a unit's child
    /// process would outlive a kill of its parent under Wine (and keep the output open).</summary>
    private static async Task<string> RunToTheEnd(params string[] arguments)
    {
        string executable = WineCommand.PublishedBenchmarks();
        WineCommand.ForWindowsBuildOf(typeof(PortableScenarios).Assembly); // the prefix exists and Wine starts .NET
        ProcessStartInfo start = WinePrefix.StartInfo(executable);
        start.WorkingDirectory = Path.GetDirectoryName(executable)!;
        start.RedirectStandardOutput = true;
        start.RedirectStandardError = true;
        start.UseShellExecute = false;
        foreach (string argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start)!;
        Task<string> stdout = process.StandardOutput.ReadToEndAsync();
        Task<string> stderr = process.StandardError.ReadToEndAsync();
        bool exited = process.WaitForExit(s_bound);
        if (!exited)
        {
            process.Kill(entireProcessTree: true);
        }

        string output = await Collected(stdout);
        Assert.True(exited && process.ExitCode == 0,
                    $"exited {exited}, code {(exited ? process.ExitCode : -1)}\n{output}\n{await Collected(stderr)}");
        return output;
    }

    private static async Task<string> Collected(Task<string> output)
    {
        try
        {
            return await output.WaitAsync(TimeSpan.FromSeconds(30));
        }
        catch (TimeoutException)
        {
            return "(the output stayed open 30 s after the process ended or was killed)";
        }
    }
}
