using Co.Testing;
using Xunit;

namespace Co.Hook.Tests;

/// <summary>Name lookups from coroutines against a slow resolver (issue 12, item 4), in a child process with a private
/// network namespace whose resolver is the child's own.</summary>
[Trait(AdversarialSuite.Trait, AdversarialSuite.Name)]
public sealed class SlowResolverTests
{
    /// <summary><see cref="HookScenarios.SlowResolver"/>: 20 concurrent lookups from coroutines, each answered NXDOMAIN
    /// after 0.5 s, fail as on a plain thread and take well under 20 × 0.5 s. Once, under the default code generation:
    /// what it measures is the offload's threads, not the patching.</summary>
    [Fact]
    public void ConcurrentLookupsInCoroutines_TakeAboutOneLookupsTime()
    {
        string resolvConf = Path.Combine(Path.GetTempPath(), $"co-slow-resolver-{Environment.ProcessId}-{Guid.NewGuid():N}.conf");
        File.WriteAllText(resolvConf, "nameserver 127.0.0.1\noptions attempts:1 timeout:5\n");
        try
        {
            Scenario scenario = Scenario.Of(HookScenarios.SlowResolver);
            ChildProcess.Run(new PrivateNetworkCommand(ChildCommand.ForHost(scenario.Host), resolvConf), [scenario.Name],
                RuntimeSettings.Environment(RuntimeSettings.Default), TimeSpan.FromSeconds(90), scenario.Name).AssertSuccess();
        }
        finally
        {
            File.Delete(resolvConf);
        }
    }
}
