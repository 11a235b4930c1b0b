using System.Globalization;
using Xunit;

namespace Co.Tests;

/// <summary>
/// The blocked-scheduler monitor, in child processes (Co.TestHost "monitor" / "monitor-off", since it is configured
/// once per process): with it, a coroutine blocked for 500 ms in Task.Result, a lock held by a plain thread or a FIFO
/// read no longer stops the other coroutines of its scheduler, rejoins afterwards, carries on through the scheduler's
/// own structures, and is reported; without it, the same program stops its scheduler (the control).
/// </summary>
public class MonitorTests
{
    private static readonly string[] s_cases = ["task-result", "lock", "fifo"];

    [Fact]
    public async Task Monitor_KeepsTheSchedulerRunning_WhileACoroutineBlocks_AndTheCoroutineRejoins()
    {
        HostResult r = (await TestHost.RunAsync("monitor")).AssertSuccess();
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
        Assert.True(int.Parse(r.Result("top_site_count"), CultureInfo.InvariantCulture) >= s_cases.Length && long.Parse(r.Result("top_site_total_ms"), CultureInfo.InvariantCulture) >= 3 * 400,
            $"the bypass report's top site: {r.Result("top_site")} ×{r.Result("top_site_count")}, {r.Result("top_site_total_ms")} ms\n{r.Describe()}");
        HashSet<string> reportedIds = r.Result("report_ids").Split(',').ToHashSet();
        Assert.All(s_cases, name => Assert.Contains(r.Result($"{name}_id"), reportedIds));
    }

    [Fact]
    public async Task WithoutTheMonitor_ABlockedCoroutineStopsItsScheduler()
    {
        HostResult r = (await TestHost.RunAsync("monitor-off")).AssertSuccess();
        foreach (string name in s_cases)
        {
            Assert.True(r.Result($"{name}_ticks") == "0", $"{name}: the ticker ticked without the monitor\n{r.Describe()}");
            Assert.Equal("True", r.Result($"{name}_carried_on"));
        }

        Assert.Equal("0", r.Result("reports"));
        Assert.Equal("0", r.Result("top_site_count"));
    }

    [Fact]
    public void Threshold_RejectsNegative() =>
        Assert.Throws<ArgumentOutOfRangeException>(() => new CoroutineOptions().BlockedSchedulerThreshold = TimeSpan.FromMilliseconds(-1));

    [Fact]
    public void Threshold_DefaultsToOff() =>
        Assert.Equal(TimeSpan.Zero, new CoroutineOptions().BlockedSchedulerThreshold);
}
