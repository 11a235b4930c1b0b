using System.Globalization;
using Xunit;

namespace Co.Tests;

/// <summary>
/// The blocked-scheduler monitor, in child processes (Co.TestHost's <see cref="MonitorScenario.Monitored"/> / <see cref="MonitorScenario.Unmonitored"/>, since it is configured
/// once per process): with it (on by default), a coroutine blocked for 500 ms in Task.Result, a lock held by a plain
/// thread or a FIFO open no longer stops the other coroutines of its scheduler, rejoins afterwards, carries on through
/// the scheduler's own structures, and is reported with the system call it blocked in; a coroutine that computes as
/// long is not handed off; without the monitor, the same program stops its scheduler (the control).
/// </summary>
public class MonitorTests
{
    private static readonly string[] s_cases = ["task-result", "lock", "fifo"];

    [Fact]
    public async Task Monitor_KeepsTheSchedulerRunning_WhileACoroutineBlocks_AndTheCoroutineRejoins()
    {
        HostResult r = (await TestHost.RunAsync(MonitorScenario.Monitored)).AssertSuccess();
        foreach (string name in s_cases)
        {
            int ticks = int.Parse(r.Result($"{name}_ticks"), CultureInfo.InvariantCulture);
            Assert.True(ticks >= 20, $"{name}: the ticker ticked {ticks} times in 500 ms while the other coroutine blocked\n{r.Describe()}");
            Assert.Equal("True", r.Result($"{name}_carried_on"));
        }

        Assert.Equal("True", r.Result("whole_after"));
        int reports = int.Parse(r.Result("reports"), CultureInfo.InvariantCulture);
        Assert.True(reports >= s_cases.Length, $"{reports} SchedulerBlocked reports for {s_cases.Length} blocked coroutines\n{r.Describe()}");
        Assert.Equal("True", r.Result("report_has_stack"));
        Assert.Contains("MonitorScenario", r.Result("top_site"));
        Assert.True(int.Parse(r.Result("top_site_count"), CultureInfo.InvariantCulture) >= 2 && long.Parse(r.Result("top_site_total_ms"), CultureInfo.InvariantCulture) >= 2 * 400,
            $"the bypass report's top site (Task.Result and the lock, both managed waits): {r.Result("top_site")} ×{r.Result("top_site_count")}, {r.Result("top_site_total_ms")} ms\n{r.Describe()}");
        Assert.All(s_cases, name => Assert.Equal("True", r.Result($"{name}_reported")));

        // What the kernel said each thread was blocked in: managed waits sleep on a futex, opening a FIFO with no
        // writer sleeps in openat.
        Assert.Equal("futex", r.Result("task-result_blocked_in"));
        Assert.Equal("futex", r.Result("lock_blocked_in"));
        Assert.Equal("openat", r.Result("fifo_blocked_in"));
        Assert.Contains("futexx", r.Result("sites"));
        Assert.Contains("openatx1", r.Result("sites"));

        // Computing is not blocking: the scheduler stays with the coroutine, and nothing is reported.
        Assert.Equal("0", r.Result("compute_ticks"));
        Assert.Equal("True", r.Result("compute_carried_on"));
        Assert.Equal("False", r.Result("compute_reported"));
    }

    [Fact]
    public async Task WithoutTheMonitor_ABlockedCoroutineStopsItsScheduler()
    {
        HostResult r = (await TestHost.RunAsync(MonitorScenario.Unmonitored)).AssertSuccess();
        foreach (string name in s_cases.Append("compute"))
        {
            Assert.True(r.Result($"{name}_ticks") == "0", $"{name}: the ticker ticked without the monitor\n{r.Describe()}");
            Assert.Equal("True", r.Result($"{name}_carried_on"));
        }

        Assert.Equal("0", r.Result("reports"));
        Assert.Equal("0", r.Result("top_site_count"));
    }

    [Fact]
    public async Task TheEnvironmentVariable_SetsTheThreshold_ZeroTurnsTheMonitorOff()
    {
        // MonitorScenario.Monitored leaves the options at their defaults, so CO_BLOCKED_THRESHOLD_MS decides.
        HostResult r = (await TestHost.RunAsync(MonitorScenario.Monitored, TestHost.Env(("CO_BLOCKED_THRESHOLD_MS", "0")))).AssertSuccess();
        foreach (string name in s_cases)
        {
            Assert.True(r.Result($"{name}_ticks") == "0", $"{name}: the ticker ticked with CO_BLOCKED_THRESHOLD_MS=0\n{r.Describe()}");
        }

        Assert.Equal("0", r.Result("reports"));
    }

    [Fact]
    public async Task AMisspeltEnvironmentVariable_StopsTheStart()
    {
        HostResult r = await TestHost.RunAsync(MonitorScenario.Monitored, TestHost.Env(("CO_BLOCKED_THRESHOLD_MS", "20ms")));
        Assert.True(r.ExitCode != 0 && r.Failure?.Type == "System.InvalidOperationException"
                    && r.Stderr.Contains("CO_BLOCKED_THRESHOLD_MS='20ms'", StringComparison.Ordinal), r.Describe());
    }

    [Fact]
    public void Threshold_ReadsBackWhatWasSet() =>
        Assert.Equal(TimeSpan.FromMilliseconds(7), new CoroutineOptions { BlockedSchedulerThreshold = TimeSpan.FromMilliseconds(7) }.BlockedSchedulerThreshold);

    [Fact]
    public void Threshold_RejectsNegative() =>
        Assert.Throws<ArgumentOutOfRangeException>(() => new CoroutineOptions().BlockedSchedulerThreshold = TimeSpan.FromMilliseconds(-1));

    [Fact]
    public void Threshold_DefaultsTo20Milliseconds() => // with CO_BLOCKED_THRESHOLD_MS unset, as in CI
        Assert.Equal(TimeSpan.FromMilliseconds(20), new CoroutineOptions().BlockedSchedulerThreshold);
}
