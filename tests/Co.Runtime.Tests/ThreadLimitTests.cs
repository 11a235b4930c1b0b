using System.Globalization;
using Co.TestHost;
using Co.Testing;
using Xunit;

namespace Co.Tests;

/// <summary>
/// Sync coroutines at the OS thread limit (issue 12): the child runs in a pids cgroup (cgroup v1, as root; CI runs
/// so) with a limit far below the number of coroutines it parks, under each code-generation setting.
/// </summary>
[Trait(AdversarialSuite.Trait, AdversarialSuite.Name)]
public class ThreadLimitTests
{
    private const string PidsHierarchy = "/sys/fs/cgroup/pids";
    private const int PidsLimit = 300;
    private const int Coroutines = 500;

    public static TheoryData<string> Settings() => [.. RuntimeSettings.CodeGeneration];

    [Theory]
    [MemberData(nameof(Settings))]
    public async Task SyncCoroutines_BeyondTheThreadLimit_AreHeldBackAndAllFinish(string setting)
    {
        Assert.True(Directory.Exists(PidsHierarchy) && Environment.UserName == "root",
            $"this test needs root and the cgroup v1 pids controller at {PidsHierarchy}");
        string cgroup = Path.Combine(PidsHierarchy, $"co-thread-limit-{Environment.ProcessId}-{Guid.NewGuid():N}");
        Directory.CreateDirectory(cgroup);
        try
        {
            File.WriteAllText(Path.Combine(cgroup, "pids.max"), PidsLimit.ToString(CultureInfo.InvariantCulture));
            var r = (await TestHost.RunAsync(ThreadLimitScenario.HeldBackUntilAThreadIsFree, RuntimeSettings.Environment(setting), 60_000,
                cgroup, Coroutines.ToString(CultureInfo.InvariantCulture))).AssertSuccess();
            int started = int.Parse(r.Result("started_before_signal"), CultureInfo.InvariantCulture);
            int held = int.Parse(r.Result("held"), CultureInfo.InvariantCulture);
            Assert.True(held > 0 && started > 0 && started < PidsLimit, $"expected the limit to hold some coroutines back\n{r.Describe()}");
            Assert.Equal(Coroutines, started + held);
            Assert.Equal(held.ToString(CultureInfo.InvariantCulture), r.Result("meter_waiting"));
            Assert.True(long.Parse(r.Result("refused"), CultureInfo.InvariantCulture) > 0, r.Describe());
            Assert.Equal("True", r.Result("dump_reports_limit"));
            Assert.Equal("True", r.Result("signal_returned"));
            Assert.Equal("0", r.Result("escaped"));
            Assert.Equal(Coroutines.ToString(CultureInfo.InvariantCulture), r.Result("finished"));
            Assert.Equal("0", r.Result("meter_waiting_after"));
        }
        finally
        {
            RemoveWhenEmpty(cgroup);
        }
    }

    /// <summary>Removes the group once the child's threads have left it (they do as the process is reaped). Gives up
    /// after 5 s rather than throw from the test's finally, which would hide the test's own failure.</summary>
    private static void RemoveWhenEmpty(string cgroup)
    {
        for (int attempt = 0; attempt < 50; attempt++)
        {
            try
            {
                Directory.Delete(cgroup);
                return;
            }
            catch (IOException)
            {
                Thread.Sleep(100);
            }
        }
    }
}
