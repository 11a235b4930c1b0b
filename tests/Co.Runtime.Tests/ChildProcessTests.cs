using System.Globalization;
using System.Text.RegularExpressions;
using Co.TestHost;
using Xunit;

namespace Co.Tests;

/// <summary>
/// Behaviour that is process-global (scheduler count, Configure, Stop, the unhandled-exception stderr report)
/// runs in a child process: Co.TestHost.
/// </summary>
public class ChildProcessTests
{
    private sealed record CoLine(string Via, string Kind, int Sid, int Id, string Cur, string In);

    private static List<CoLine> ParseCoLines(HostResult r)
    {
        var list = new List<CoLine>();
        foreach (var line in r.LinesStartingWith("CO "))
        {
            var kv = line[3..].Split(' ', StringSplitOptions.RemoveEmptyEntries)
                .Select(p => p.Split('=', 2)).ToDictionary(p => p[0], p => p[1]);
            list.Add(new CoLine(kv["via"], kv["kind"], int.Parse(kv["sid"], CultureInfo.InvariantCulture),
                int.Parse(kv["id"], CultureInfo.InvariantCulture), kv["cur"], kv["in"]));
        }
        return list;
    }

    /// <summary>The checks of the <c>ids</c> scenario's output with <paramref name="n"/> schedulers (shared with the
    /// runs under Wine).</summary>
    internal static void AssertIdFormula(HostResult r, int n)
    {
        r.AssertSuccess();
        Assert.Equal(n.ToString(CultureInfo.InvariantCulture), r.Result("count"));
        Assert.Equal(n.ToString(CultureInfo.InvariantCulture), r.Result("schedulers"));
        Assert.Equal(string.Join(',', Enumerable.Range(0, n)), r.Result("sched_ids"));
        Assert.Equal("-1", r.Result("outside_id"));
        Assert.Equal("-1", r.Result("outside_sid"));
        Assert.Equal("null", r.Result("outside_cur"));
        Assert.Equal("False", r.Result("outside_in"));

        var lines = ParseCoLines(r);
        int total = int.Parse(r.Result("total"), CultureInfo.InvariantCulture);
        Assert.Equal(24 * n, total);
        Assert.Equal(total, lines.Count);
        var failures = new List<string>();
        foreach (var l in lines)
        {
            if (l.Sid < 0 || l.Sid >= n) failures.Add($"scheduler id out of range: {l}");
            if (l.Id < 0) failures.Add($"negative coroutine id: {l}");
            else if (l.Id % n != l.Sid) failures.Add($"id {l.Id} on scheduler {l.Sid}: id mod {n} != scheduler id: {l}");
            if (l.Cur != l.Sid.ToString(CultureInfo.InvariantCulture)) failures.Add($"CurrentScheduler.Id != SchedulerId: {l}");
            if (l.In != "True") failures.Add($"IsInCoroutine false inside a coroutine: {l}");
            if (l.Via.StartsWith("sched:", StringComparison.Ordinal) &&
                int.Parse(l.Via[6..], CultureInfo.InvariantCulture) != l.Sid)
                failures.Add($"Scheduler.Go landed on another scheduler: {l}");
        }
        // All were alive at the same time: ids are distinct.
        foreach (var dup in lines.GroupBy(l => l.Id).Where(g => g.Count() > 1))
            failures.Add($"id {dup.Key} used by {dup.Count()} live coroutines at once");
        // Round-robin Go covers every scheduler evenly (16 per scheduler from one thread, nothing else calling Go).
        var perSched = lines.Where(l => l.Via == "go").GroupBy(l => l.Sid).ToDictionary(g => g.Key, g => g.Count());
        for (int i = 0; i < n; i++)
        {
            perSched.TryGetValue(i, out int c);
            if (c != 16) failures.Add($"round-robin Go put {c} of {16 * n} coroutines on scheduler {i} (expected 16)");
        }
        // Async coroutines resumed after an await on their own scheduler with the same id.
        var after = r.LinesStartingWith("AFTER ").ToList();
        Assert.Equal(8 * n, after.Count);
        failures.AddRange(after.Where(a => !a.EndsWith("same=True", StringComparison.Ordinal))
            .Select(a => "async coroutine changed scheduler or id across an await: " + a));
        Assert.True(failures.Count == 0, string.Join("\n", failures) + "\n" + r.Describe());
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(4)]
    public async Task CoroutineIds_FollowSchedulerFormula_WithCoSchedNum(int n)
    {
        var r = await TestHost.RunAsync(SchedulerIdScenarios.Ids, TestHost.Env(("CO_SCHED_NUM", n.ToString(CultureInfo.InvariantCulture))));
        AssertIdFormula(r, n);
    }

    [Fact]
    public async Task Configure_SetsSchedulerCount_OverridingCoSchedNum()
    {
        var r = await TestHost.RunAsync(SchedulerIdScenarios.Ids, TestHost.Env(("CO_SCHED_NUM", "1")), 60_000, "3");
        AssertIdFormula(r, 3);
    }

    [Fact]
    public async Task DefaultSchedulerCount_IsProcessorCount_WithoutCoSchedNum()
    {
        var r = (await TestHost.RunAsync(SchedulerIdScenarios.DefaultCount, TestHost.Env(("CO_SCHED_NUM", null)))).AssertSuccess();
        string cpus = r.Result("cpus");
        Assert.Equal(cpus, r.Result("count"));
        Assert.Equal(cpus, r.Result("schedulers"));
    }

    [Fact]
    public async Task DefaultSchedulerCount_ComesFromCoSchedNum()
    {
        var r = (await TestHost.RunAsync(SchedulerIdScenarios.DefaultCount, TestHost.Env(("CO_SCHED_NUM", "3")))).AssertSuccess();
        Assert.Equal("3", r.Result("count"));
        Assert.Equal("3", r.Result("schedulers"));
    }

    /// <summary>Spec: CoroutineOptions.SchedulerCount "default: CO_SCHED_NUM or Environment.ProcessorCount".</summary>
    [Theory]
    [InlineData(null)]
    [InlineData("3")]
    public async Task CoroutineOptions_SchedulerCountDefault_IsCoSchedNumOrProcessorCount(string? coSchedNum)
    {
        var r = (await TestHost.RunAsync(SchedulerIdScenarios.DefaultCount, TestHost.Env(("CO_SCHED_NUM", coSchedNum)))).AssertSuccess();
        Assert.Equal(coSchedNum ?? r.Result("cpus"), r.Result("options_default"));
    }

    [Fact]
    public async Task Configure_AfterStart_ThrowsInvalidOperation_AndRuntimeKeepsWorking()
    {
        var r = (await TestHost.RunAsync(ConfigureScenarios.ConfigureAfterStart, TestHost.Env(("CO_SCHED_NUM", "2")))).AssertSuccess();
        Assert.Equal("InvalidOperationException", r.Result("configure_after_start"));
        Assert.Equal("2", r.Result("count_before"));
        Assert.Equal("2", r.Result("count_after"));
        Assert.Equal("2", r.Result("schedulers_after"));
        Assert.Equal("True", r.Result("still_runs"));
    }

    [Fact]
    public async Task Configure_SchedulerCountBelowOne_ThrowsArgumentException()
    {
        var r = (await TestHost.RunAsync(ConfigureScenarios.ConfigureInvalid)).AssertSuccess();
        Assert.True(r.Result("is_argument_exception") == "True",
            $"Configure(SchedulerCount = 0) threw {r.Result("configure_zero")}, expected an ArgumentException\n{r.Describe()}");
        Assert.True(r.Result("is_argument_exception_neg") == "True",
            $"Configure(SchedulerCount = -3) threw {r.Result("configure_negative")}, expected an ArgumentException\n{r.Describe()}");
    }

    [Fact]
    public async Task Configure_Null_ThrowsArgumentNull()
    {
        var r = (await TestHost.RunAsync(ConfigureScenarios.ConfigureNull)).AssertSuccess();
        Assert.Equal("ArgumentNullException", r.Result("configure_null"));
    }

    [Fact]
    public async Task Stop_ThenEveryGoForm_ThrowsInvalidOperation()
    {
        AssertStopped(await TestHost.RunAsync(LifetimeScenarios.Stop));
    }

    /// <summary>The checks of the <c>stop</c> scenario's output (shared with the runs under Wine).</summary>
    internal static void AssertStopped(HostResult run)
    {
        var r = run.AssertSuccess();
        Assert.Equal("1", r.Result("stopped"));
        int stopMs = int.Parse(r.Result("stop_ms"), CultureInfo.InvariantCulture);
        Assert.True(stopMs < 10_000, $"Stop took {stopMs} ms with parked coroutines\n{r.Describe()}");
        Assert.True(r.Result("second_stop") is "none" or "InvalidOperationException", $"second Stop(): {r.Result("second_stop")}\n{r.Describe()}");
        foreach (var key in new[] { "go_action", "go_action_t", "go_func", "go_func_t",
                                    "sched_go_action", "sched_go_action_t", "sched_go_func", "sched_go_func_t" })
            Assert.True(r.Result(key) == "InvalidOperationException", $"{key} after Stop: {r.Result(key)}\n{r.Describe()}");
    }

    [Theory]
    [InlineData("sync")]
    [InlineData("async")]
    public async Task UnhandledException_NoHandler_PrintsCoroutineIdToStderr_AndSchedulerKeepsRunning(string kind)
    {
        AssertUnhandledReported(await TestHost.RunAsync(LifetimeScenarios.Unhandled, TestHost.Env(), 60_000, kind), kind);
    }

    /// <summary>The checks of the <c>unhandled</c> scenario's output for a <paramref name="kind"/> coroutine (shared
    /// with the runs under Wine).</summary>
    internal static void AssertUnhandledReported(HostResult run, string kind)
    {
        var r = run.AssertSuccess();
        string id = r.Result("thrower_id");
        Assert.True(int.TryParse(id, CultureInfo.InvariantCulture, out int idNum) && idNum >= 0, r.Describe());
        Assert.Equal("True", r.Result("after_ok"));
        var idPattern = new Regex($@"(?<![0-9]){Regex.Escape(id)}(?![0-9])");
        Assert.True(HostResult.Lines(r.Stderr).Any(l => idPattern.IsMatch(l)),
            $"no stderr line names coroutine id {id}\n{r.Describe()}");
        Assert.True(r.Stderr.Contains("boom-unhandled-marker-" + kind, StringComparison.Ordinal) ||
                    r.Stderr.Contains("InvalidOperationException", StringComparison.Ordinal),
            $"stderr does not describe the exception\n{r.Describe()}");
    }

    [Fact]
    public async Task ProcessExits_WhenMainReturns_WithParkedCoroutines_AndNoStop()
    {
        var r = await TestHost.RunAsync(LifetimeScenarios.ExitWithoutStop, TestHost.Env(), 30_000);
        Assert.False(r.TimedOut, "process did not exit after Main returned (foreground runtime threads?)\n" + r.Describe());
        r.AssertSuccess();
        Assert.Equal("1", r.Result("main_returning"));
    }

    [Fact]
    public async Task SyncStackSize_IsHonouredForSyncCoroutineThreads()
    {
        AssertStackSizeHonoured(await TestHost.RunAsync(ThreadScenarios.StackSize, TestHost.Env(), 60_000, (16 * 1024 * 1024).ToString(CultureInfo.InvariantCulture)));
    }

    /// <summary>The checks of the <c>stack-size 16 MiB</c> scenario's output (shared with the runs under Wine).</summary>
    internal static void AssertStackSizeHonoured(HostResult run)
    {
        var r = run.AssertSuccess();
        Assert.Equal("True", r.Result("ran"));
        Assert.NotEqual("0", r.Result("before"));
        Assert.NotEqual("0", r.Result("after"));
    }

    private static Dictionary<(int Sched, string Where), string> ParseAffinity(HostResult r)
    {
        var d = new Dictionary<(int, string), string>();
        foreach (var line in r.LinesStartingWith("AFF "))
        {
            var kv = line[4..].Split(' ').Select(p => p.Split('=', 2)).ToDictionary(p => p[0], p => p[1]);
            d[(int.Parse(kv["sched"], CultureInfo.InvariantCulture), kv["where"])] = kv["cpus"];
        }
        return d;
    }

    [Fact]
    public async Task PinSchedulerThreads_True_EachSchedulersThreadsRunOnOneCpu()
    {
        AssertPinnedPerScheduler(await TestHost.RunAsync(ThreadScenarios.Affinity, TestHost.Env(), 60_000, "true"));
    }

    /// <summary>The checks of the <c>affinity true</c> scenario's output (shared with the runs under Wine).</summary>
    internal static void AssertPinnedPerScheduler(HostResult run)
    {
        var r = run.AssertSuccess();
        var aff = ParseAffinity(r);
        Assert.True(aff.Count == 12, r.Describe());
        int processCpus = r.Result("process_cpus").Split(',').Length;
        foreach (var ((sched, where), cpus) in aff)
            Assert.True(!cpus.Contains(',', StringComparison.Ordinal), $"scheduler {sched} {where}: pinned thread may run on cpus {cpus}\n{r.Describe()}");
        for (int s = 0; s < 2; s++)
            Assert.Single(aff.Where(kv => kv.Key.Sched == s).Select(kv => kv.Value).Distinct());
        if (processCpus >= 2)
            Assert.NotEqual(aff[(0, "sync-start")], aff[(1, "sync-start")]); // two schedulers, two CPUs
    }

    [Fact]
    public async Task PinSchedulerThreads_False_ThreadsKeepTheProcessAffinity()
    {
        AssertProcessAffinityKept(await TestHost.RunAsync(ThreadScenarios.Affinity, TestHost.Env(), 60_000, "false"));
    }

    /// <summary>The checks of the <c>affinity false</c> scenario's output (shared with the runs under Wine).</summary>
    internal static void AssertProcessAffinityKept(HostResult run)
    {
        var r = run.AssertSuccess();
        var aff = ParseAffinity(r);
        Assert.True(aff.Count == 12, r.Describe());
        string processCpus = r.Result("process_cpus");
        foreach (var ((sched, where), cpus) in aff)
            Assert.True(cpus == processCpus, $"scheduler {sched} {where}: unpinned thread has cpus {cpus}, process has {processCpus}\n{r.Describe()}");
    }

    [Fact]
    public async Task SpareThreadIdleTimeout_SpareThreadsExitAfterIt()
    {
        AssertSpareThreadsExit(await TestHost.RunAsync(ThreadScenarios.SpareTimeout));
    }

    /// <summary>The checks of the <c>spare-timeout</c> scenario's output (shared with the runs under Wine).</summary>
    internal static void AssertSpareThreadsExit(HostResult run)
    {
        var r = run.AssertSuccess();
        int baseline = int.Parse(r.Result("baseline"), CultureInfo.InvariantCulture);
        int peak = int.Parse(r.Result("peak"), CultureInfo.InvariantCulture);
        int after = int.Parse(r.Result("after"), CultureInfo.InvariantCulture);
        int dropMs = int.Parse(r.Result("drop_ms"), CultureInfo.InvariantCulture);
        Assert.True(peak >= baseline + 150, $"200 parked sync coroutines added only {peak - baseline} threads\n{r.Describe()}");
        Assert.True(after <= baseline + 20, $"{after - baseline} extra threads still alive 15 s after the coroutines ended (idle timeout 1 s)\n{r.Describe()}");
        Assert.True(dropMs < 8_000, $"spare threads took {dropMs} ms to exit with a 1 s idle timeout\n{r.Describe()}");
        Assert.Equal("True", r.Result("still_runs"));
    }

    [Fact]
    public void TestHostDll_IsFound()
    {
        Assert.True(File.Exists(TestHost.DllPath), TestHost.DllPath);
    }

    /// <summary>Without a scenario name the host lists what its [Scenario] attributes register, and exits 2.</summary>
    [Fact]
    public async Task Host_WithoutAScenarioName_ListsEveryRegisteredScenario()
    {
        var host = typeof(Co.TestHost.Program).Assembly;
        var r = await ChildProcess.RunAsync(ChildCommand.ForHost(host), [], null, TimeSpan.FromSeconds(60), scenario: null);
        Assert.True(r.ExitCode == 2, r.Describe());
        var listed = HostResult.Lines(r.Stderr).Skip(1).Select(l => l.Trim()).ToList();
        Assert.Equal(ScenarioRegistry.In(host).Keys.Order(StringComparer.Ordinal), listed);
        Assert.Contains(Scenario.Of(SchedulerIdScenarios.Ids).Name, listed);
        Assert.Contains(Scenario.Of(SockClientsScenario.SockClients).Name, listed);
    }

    /// <summary>A scenario that throws reaches the test as the child's exception: its type, message and stack in the
    /// scenario's method (stack-size without its argument reads past the end of the arguments).</summary>
    [Fact]
    public async Task ScenarioThatThrows_FailsTheTestWithTheChildsException()
    {
        var r = await TestHost.RunAsync(ThreadScenarios.StackSize);
        Assert.Equal(1, r.ExitCode);
        var thrown = Assert.Throws<ChildScenarioException>(() => r.AssertSuccess());
        Assert.Equal(typeof(IndexOutOfRangeException).FullName, thrown.Failure.Type);
        Assert.StartsWith(typeof(IndexOutOfRangeException).FullName + ": ", thrown.Message, StringComparison.Ordinal);
        Assert.Contains("ThreadScenarios.StackSize", thrown.StackTrace, StringComparison.Ordinal);
    }

    /// <summary>An unknown name fails in the child with the names there are, not with a passing run.</summary>
    [Fact]
    public async Task Host_UnknownScenario_FailsNamingTheScenariosThereAre()
    {
        var host = typeof(Co.TestHost.Program).Assembly;
        var r = await ChildProcess.RunAsync(ChildCommand.ForHost(host), ["no-such-scenario"], null, TimeSpan.FromSeconds(60), "no-such-scenario");
        var thrown = Assert.Throws<ChildScenarioException>(() => r.AssertSuccess());
        Assert.Equal(typeof(ArgumentException).FullName, thrown.Failure.Type);
        Assert.Contains(Scenario.Of(ThreadScenarios.SpareTimeout).Name, thrown.Failure.Message, StringComparison.Ordinal);
    }
}
