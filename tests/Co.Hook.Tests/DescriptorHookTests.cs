using Co.Testing;
using Xunit;

namespace Co.Hook.Tests;

/// <summary>
/// The descriptor-level hooks, each scenario in a child process under every DOTNET_* setting (see
/// <see cref="HookHost"/>): the socket bitmap follows socket/socketpair/accept/dup/dup2/close and never takes in a
/// pipe; read/readv/write/writev on blocking sockets park only their coroutine (50 readers of 200 ms overlap on one
/// scheduler, 4 MB pass whole) while a pipe read is libc's and blocks the thread; close and shutdown wake readers;
/// select/ppoll/epoll_wait overlap and report the right descriptors; the gethostbyname family and getnameinfo are
/// handed to the pool; the gates count what they divert per function (co.hooks.diverted on the meter "Co"); bad input gives libc's exact results and errno in and out of coroutines; and 60 Enable/Disable
/// cycles under load restore every function's bytes and grow neither the executable arena nor the process.
/// </summary>
public class DescriptorHookTests
{
    public static TheoryData<string, string> Matrix() =>
        HookHost.Matrix(DescriptorScenarios.SocketTracking, DescriptorScenarios.Streams, DescriptorScenarios.Waits, DescriptorScenarios.HostLookups,
            DescriptorScenarios.HookMetrics, DescriptorScenarios.InstallCycles);

    /// <summary>The bad-input scenario, part of the adversarial suite.</summary>
    public static TheoryData<string, string> BadInputMatrix() => HookHost.Matrix(DescriptorScenarios.BadInput);

    [Theory]
    [MemberData(nameof(Matrix))]
    public void Scenario_PassesInAChildProcess(string scenario, string setting) =>
        HookHost.AssertPasses(scenario, setting, limit: TimeSpan.FromSeconds(90));

    [Theory]
    [MemberData(nameof(BadInputMatrix))]
    [Trait(AdversarialSuite.Trait, AdversarialSuite.Name)]
    public void BadInput_PassesInAChildProcess(string scenario, string setting) =>
        HookHost.AssertPasses(scenario, setting, limit: TimeSpan.FromSeconds(90));
}
