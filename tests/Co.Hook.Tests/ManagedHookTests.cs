using Co.Testing;
using Xunit;

namespace Co.Hook.Tests;

/// <summary>
/// The managed hook layer, each scenario in a child process under every DOTNET_* setting (see
/// <see cref="HookHost"/>): synchronous Send/Receive on sockets .NET made non-blocking underneath (a path that never
/// blocks in libc) from 100 coroutines on one scheduler all wait at once; 1000 coroutines' Thread.Sleep(200) overlap;
/// 100 coroutines blocking on incomplete tasks (Result, GetResult, Wait) overlap, with .NET's timeout, cancellation and
/// fault outcomes; the detours survive tier-up (every one of 600,000 NetworkStream calls diverted, before and after the re-compiles,
/// and a caller compiled late reaches them); and timeouts and resets give .NET's exact SocketException in and out of
/// coroutines; Monitor.Wait and WaitHandle waits (events, semaphores, mutexes, WaitAny, WaitAll, an APM result's
/// handle, CountdownEvent) of 100 coroutines each overlap. The controls show the same work serialized without hooks.
/// </summary>
public class ManagedHookTests
{
    public static TheoryData<string, string> Matrix() =>
        HookHost.Matrix(ManagedScenarios.ReceiveAfterAsyncHooked, ManagedScenarios.ThreadSleepHooked, ManagedScenarios.TaskWaitHooked,
            ManagedScenarios.SyncPrimitivesHooked, ManagedScenarios.DetoursHold, ManagedScenarios.Errors,
            ManagedScenarios.ThreadWaitsHooked, ManagedScenarios.ThreadWaitSemantics);

    [Theory]
    [MemberData(nameof(Matrix))]
    public void Scenario_PassesInAChildProcess(string scenario, string setting) =>
        HookHost.AssertPasses(scenario, setting, limit: TimeSpan.FromSeconds(120));

    /// <summary>Enable again (while enabled, and after Disable) does not redo the managed layer's self-check.</summary>
    [Fact]
    public void EnableRepeated_DoesNotRedoTheSelfCheck() =>
        HookHost.AssertPasses(ManagedScenarios.EnableRepeated, RuntimeSettings.Default);

    /// <summary>Without hooks the same synchronous receives block the scheduler thread: 20 take 20 × 200 ms.</summary>
    [Fact]
    public void ReceiveAfterAsync_WithoutHooks_Serializes() =>
        HookHost.AssertPasses(ManagedScenarios.ReceiveAfterAsyncUnhooked, RuntimeSettings.Default);

    /// <summary>Without hooks a task's blocking wait blocks the scheduler thread: 10 take 10 × 200 ms.</summary>
    [Fact]
    public void TaskWait_WithoutHooks_Serializes() =>
        HookHost.AssertPasses(ManagedScenarios.TaskWaitUnhooked, RuntimeSettings.Default);

    /// <summary>Without hooks the first SemaphoreSlim/ManualResetEventSlim wait blocks the scheduler thread: no second
    /// coroutine ever waits.</summary>
    [Fact]
    public void SyncPrimitives_WithoutHooks_BlockTheScheduler() =>
        HookHost.AssertPasses(ManagedScenarios.SyncPrimitivesUnhooked, RuntimeSettings.Default);

    /// <summary>The Monitor detours are all-or-nothing: one refused takes the others out, with the reason in Status.</summary>
    [Fact]
    public void MonitorHooks_FailClosedTogether() =>
        HookHost.AssertPasses(ManagedScenarios.MonitorHooksFailClosed, RuntimeSettings.Default);

    /// <summary>Without hooks a Monitor.Wait or a WaitHandle wait blocks the scheduler thread: 5 waits of 200 ms on each
    /// primitive take 5 × 200 ms, one at a time.</summary>
    [Fact]
    public void ThreadWaits_WithoutHooks_Serialize() =>
        HookHost.AssertPasses(ManagedScenarios.ThreadWaitsUnhooked, RuntimeSettings.Default);

    /// <summary>Without hooks Thread.Sleep blocks the scheduler thread: 10 sleeps take 10 × 200 ms.</summary>
    [Fact]
    public void ThreadSleep_WithoutHooks_Serializes() =>
        HookHost.AssertPasses(ManagedScenarios.ThreadSleepUnhooked, RuntimeSettings.Default);
}
