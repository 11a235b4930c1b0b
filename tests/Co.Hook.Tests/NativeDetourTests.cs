using Xunit;

namespace Co.Hook.Tests;

/// <summary>
/// The native detour engine and the hook layer built on it (blocking System.Net.Sockets calls and libc usleep in
/// coroutines on one scheduler overlap with hooks on; raw libc connect keeps libc's results). Every scenario patches live code, so each runs in a child process (Co.Hook.TestHost),
/// once per runtime setting that changes code generation: tiered compilation off and on, PGO off, ReadyToRun off,
/// W^X off. A crash of the child is a failure with its exit code.
/// </summary>
public class NativeDetourTests
{
    /// <summary>The runtime settings every patching scenario runs under.</summary>
    public static TheoryData<string, string> Matrix() =>
        ChildProcess.Matrix("detour-getppid", "detour-recv", "install-under-load", "refuse", "blocking-receive", "native-sleep", "native-connect", "native-semantics", "dns", "native-poll");

    [Theory]
    [MemberData(nameof(Matrix))]
    public void Scenario_PassesInAChildProcess(string scenario, string setting)
    {
        (int exitCode, string output) = RunChild(scenario, setting);
        Assert.True(exitCode == 0 && output.Contains($"OK {scenario}", StringComparison.Ordinal),
            $"scenario {scenario} under {setting} exited {exitCode}:\n{output}");
    }

    /// <summary>The control of "blocking-receive": without hooks the same 20 blocking receives on one scheduler run one
    /// after another (the child asserts at least 90 % of 20 × 200 ms), proving that scenario measures the hooks.</summary>
    [Fact]
    public void BlockingReceive_WithoutHooks_Serializes()
    {
        (int exitCode, string output) = RunChild("blocking-receive-unhooked", "DOTNET_TieredCompilation=1");
        Assert.True(exitCode == 0 && output.Contains("OK blocking-receive-unhooked", StringComparison.Ordinal), $"exited {exitCode}:\n{output}");
    }

    /// <summary>The control of "native-sleep": without hooks, usleep in coroutines on one scheduler serializes.</summary>
    [Fact]
    public void NativeSleep_WithoutHooks_Serializes()
    {
        (int exitCode, string output) = RunChild("native-sleep-unhooked", "DOTNET_TieredCompilation=1");
        Assert.True(exitCode == 0 && output.Contains("OK native-sleep-unhooked", StringComparison.Ordinal), $"exited {exitCode}:\n{output}");
    }

    /// <summary>DOTNET_STARTUP_HOOKS=Co.Hooks.Startup.dll enables the hooks before Main, with no call in the program:
    /// 100 native usleeps in coroutines on one scheduler then overlap.</summary>
    [Fact]
    public void StartupHook_EnablesHooksWithoutAnyCall()
    {
        string startupHook = Path.Combine(AppContext.BaseDirectory, "Co.Hooks.Startup.dll");
        Assert.True(File.Exists(startupHook), $"{startupHook} is missing");
        (int exitCode, string output) = RunChild("startup-hook", $"DOTNET_STARTUP_HOOKS={startupHook}");
        Assert.True(exitCode == 0 && output.Contains("OK startup-hook", StringComparison.Ordinal), $"exited {exitCode}:\n{output}");
    }

    /// <summary>30 s with hooks on: GC churn with forced gen-2 collections, blocking socket echoes and native sleeps in
    /// coroutines on two schedulers, blocking echoes on plain threads — no crash, no wrong echo.</summary>
    [Fact]
    public void Stability_ThirtySeconds_NoCrashNoWrongResult()
    {
        (int exitCode, string output) = RunChild("stability", "DOTNET_TieredCompilation=1", "30", TimeSpan.FromSeconds(120));
        Assert.True(exitCode == 0 && output.Contains("OK stability", StringComparison.Ordinal), $"exited {exitCode}:\n{output}");
    }

    [Fact]
    public void TryInstall_NullPointers_Throw()
    {
        Assert.Throws<ArgumentException>(() => NativeDetour.TryInstall(0, 1, out _, out _));
        Assert.Throws<ArgumentException>(() => NativeDetour.TryInstall(1, 0, out _, out _));
    }

    [Fact]
    public void Install_UnmappedTarget_IsRefusedWithAReason()
    {
        bool installed = NativeDetour.TryInstall(0x10, 0x20, out NativeDetour? detour, out string? reason);
        Assert.False(installed);
        Assert.Null(detour);
        Assert.Contains("not in readable memory", reason);
        NativeDetourException thrown = Assert.Throws<NativeDetourException>(() => NativeDetour.Install(0x10, 0x20));
        Assert.Contains("0x10", thrown.Message);
    }

    private static (int ExitCode, string Output) RunChild(string scenario, string setting) =>
        ChildProcess.Run(scenario, setting, null, TimeSpan.FromSeconds(60));

    private static (int ExitCode, string Output) RunChild(string scenario, string setting, string? argument, TimeSpan limit) =>
        ChildProcess.Run(scenario, setting, argument, limit);
}
