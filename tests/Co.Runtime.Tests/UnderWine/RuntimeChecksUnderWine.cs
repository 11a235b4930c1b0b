using Co.TestHost;

namespace Co.Tests.UnderWine;

/// <summary>
/// One run of the <c>runtime-checks</c> scenario in the Windows build of the test host under Wine, with two schedulers
/// (CO_SCHED_NUM=2), shared by the tests of <see cref="RuntimeUnderWineTests"/>: a Wine start costs seconds, so the
/// checks share one process and each test reads its own check's line.
/// </summary>
public sealed class RuntimeChecksUnderWine
{
    private readonly Lazy<Task<HostResult>> _run = new(() =>
        TestHost.RunUnderWineAsync(PortableScenarios.RuntimeChecks, TestHost.Env(("CO_SCHED_NUM", "2")), 300_000));

    /// <summary>The run, started by the first test that asks.</summary>
    public Task<HostResult> Run => _run.Value;
}
