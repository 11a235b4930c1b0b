using System.Diagnostics;
using Xunit;

namespace Co.Hook.Tests;

/// <summary>
/// Runs a scenario of Co.Hook.TestHost in a child process: every test that patches live code does, so that a crash is
/// a failed test (a non-zero exit code) rather than a dead test run, and so each runtime setting gets a fresh process.
/// </summary>
internal static class ChildProcess
{
    /// <summary>The runtime settings that change code generation; every patching scenario runs under each.</summary>
    public static readonly string[] Settings =
    [
        "DOTNET_TieredCompilation=0",
        "DOTNET_TieredCompilation=1",
        "DOTNET_TieredPGO=0",
        "DOTNET_ReadyToRun=0",
        "DOTNET_EnableWriteXorExecute=0",
    ];

    /// <summary>Each of <paramref name="scenarios"/> under each of <see cref="Settings"/>.</summary>
    public static TheoryData<string, string> Matrix(params string[] scenarios)
    {
        var data = new TheoryData<string, string>();
        foreach (string scenario in scenarios)
        {
            foreach (string setting in Settings)
            {
                data.Add(scenario, setting);
            }
        }

        return data;
    }

    /// <summary>Runs <paramref name="scenario"/> with <paramref name="setting"/> ("NAME=value") and any further
    /// <paramref name="environment"/> variables; asserts it printed "OK scenario" and exited 0.</summary>
    public static void AssertPasses(string scenario, string setting, string? argument = null, TimeSpan? limit = null, IReadOnlyDictionary<string, string>? environment = null)
    {
        (int exitCode, string output) = Run(scenario, setting, argument, limit ?? TimeSpan.FromSeconds(60), environment);
        Assert.True(exitCode == 0 && output.Contains($"OK {scenario}", StringComparison.Ordinal),
            $"scenario {scenario} under {setting} exited {exitCode}:\n{output}");
    }

    /// <summary>Runs the scenario; returns its exit code (-1 when killed at <paramref name="limit"/>) and output.</summary>
    public static (int ExitCode, string Output) Run(string scenario, string setting, string? argument, TimeSpan limit, IReadOnlyDictionary<string, string>? environment = null)
    {
        string host = Path.Combine(AppContext.BaseDirectory, "Co.Hook.TestHost.dll");
        Assert.True(File.Exists(host), $"{host} is missing");
        var start = new ProcessStartInfo("dotnet", argument is null ? [host, scenario] : [host, scenario, argument])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        int equals = setting.IndexOf('=');
        start.Environment[setting[..equals]] = setting[(equals + 1)..];
        foreach ((string name, string value) in environment ?? new Dictionary<string, string>())
        {
            start.Environment[name] = value;
        }

        using Process child = Process.Start(start)!;
        Task<string> stdout = child.StandardOutput.ReadToEndAsync();
        Task<string> stderr = child.StandardError.ReadToEndAsync();
        if (!child.WaitForExit(limit))
        {
            child.Kill(entireProcessTree: true);
            child.WaitForExit();
            return (-1, $"timed out after {limit.TotalSeconds} s\n{stdout.Result}{stderr.Result}");
        }

        return (child.ExitCode, stdout.Result + stderr.Result);
    }
}
