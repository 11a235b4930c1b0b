using Co.Testing;
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
        HookHost.Matrix(DetourScenarios.DetourGetppid, DetourScenarios.DetourKeepsPageProtection, DetourScenarios.DetourRecv, DetourScenarios.InstallUnderLoad, DetourScenarios.Refuse,
            HookScenarios.BlockingReceiveHooked, HookScenarios.NativeSleepHooked, HookScenarios.NativeConnect, HookScenarios.NativeSemantics,
            HookScenarios.Dns, HookScenarios.NativePoll);

    [Theory]
    [MemberData(nameof(Matrix))]
    public void Scenario_PassesInAChildProcess(string scenario, string setting) =>
        HookHost.AssertPasses(scenario, setting);

    /// <summary>Hundreds of sync coroutines on three schedulers connect concurrently through the hooked blocking connect
    /// (libc and Socket.Connect) while stale users keep polling numbers closed behind the runtime's back: every connect
    /// ends with its real outcome, none parks forever (a bounded wait in the child reports one) and none gets a false
    /// EBADF. Under each runtime setting.</summary>
    [Theory]
    [MemberData(nameof(ConnectStressMatrix))]
    public void ConnectStress_NoLostWakeUp(string scenario, string setting) =>
        HookHost.AssertPasses(scenario, setting, TimeSpan.FromSeconds(120));

    /// <summary>The settings <see cref="ConnectStress_NoLostWakeUp"/> runs under.</summary>
    public static TheoryData<string, string> ConnectStressMatrix() => HookHost.Matrix(HookScenarios.ConnectStress);

    /// <summary>The control of <see cref="HookScenarios.BlockingReceiveHooked"/>: without hooks the same 20 blocking receives on one scheduler run one
    /// after another (the child asserts at least 90 % of 20 × 200 ms), proving that scenario measures the hooks.</summary>
    [Fact]
    public void BlockingReceive_WithoutHooks_Serializes() =>
        HookHost.AssertPasses(HookScenarios.BlockingReceiveUnhooked, RuntimeSettings.Default);

    /// <summary>The control of <see cref="HookScenarios.NativeSleepHooked"/>: without hooks, usleep in coroutines on one scheduler serializes.</summary>
    [Fact]
    public void NativeSleep_WithoutHooks_Serializes() =>
        HookHost.AssertPasses(HookScenarios.NativeSleepUnhooked, RuntimeSettings.Default);

    /// <summary>DOTNET_STARTUP_HOOKS=Co.Hooks.Startup.dll enables the hooks before Main, with no call in the program:
    /// 100 native usleeps in coroutines on one scheduler then overlap.</summary>
    [Fact]
    public void StartupHook_EnablesHooksWithoutAnyCall()
    {
        string startupHook = Path.Combine(AppContext.BaseDirectory, "Co.Hooks.Startup.dll");
        Assert.True(File.Exists(startupHook), $"{startupHook} is missing");
        HookHost.AssertPasses(HookScenarios.StartupHook, $"DOTNET_STARTUP_HOOKS={startupHook}");
    }

    /// <summary>30 s with hooks on: GC churn with forced gen-2 collections, blocking socket echoes and native sleeps in
    /// coroutines on two schedulers, blocking echoes on plain threads — no crash, no wrong echo.</summary>
    [Fact]
    public void Stability_ThirtySeconds_NoCrashNoWrongResult() =>
        HookHost.AssertPasses(HookScenarios.StabilityForSeconds, RuntimeSettings.Default, ["30"], TimeSpan.FromSeconds(120));

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
}
