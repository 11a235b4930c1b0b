using System.Globalization;
using Co.TestHost;
using Xunit;

namespace Co.Tests.UnderWine;

/// <summary>Scheduler threads in the Windows build under Wine, each a process of its own (the options are
/// process-wide): pinning by affinity mask (SetThreadAffinityMask, read back through the mask it returns), the sync
/// coroutine stack size, spare threads exiting after their idle timeout. The checks are those of the Linux runs
/// (<see cref="ChildProcessTests"/>).</summary>
public sealed class ThreadsUnderWineTests
{
    [Fact]
    public async Task PinSchedulerThreads_True_EachSchedulersThreadsRunOnOneCpu_UnderWine() =>
        ChildProcessTests.AssertPinnedPerScheduler(await TestHost.RunUnderWineAsync(ThreadScenarios.Affinity, TestHost.Env(), 120_000, "true"));

    [Fact]
    public async Task PinSchedulerThreads_False_ThreadsKeepTheProcessAffinity_UnderWine() =>
        ChildProcessTests.AssertProcessAffinityKept(await TestHost.RunUnderWineAsync(ThreadScenarios.Affinity, TestHost.Env(), 120_000, "false"));

    [Fact]
    public async Task SyncStackSize_IsHonouredForSyncCoroutineThreads_UnderWine() =>
        ChildProcessTests.AssertStackSizeHonoured(await TestHost.RunUnderWineAsync(ThreadScenarios.StackSize, TestHost.Env(), 120_000,
            (16 * 1024 * 1024).ToString(CultureInfo.InvariantCulture)));

    [Fact]
    public async Task SpareThreadIdleTimeout_SpareThreadsExitAfterIt_UnderWine() =>
        ChildProcessTests.AssertSpareThreadsExit(await TestHost.RunUnderWineAsync(ThreadScenarios.SpareTimeout, TestHost.Env()));
}
