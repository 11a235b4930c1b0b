// The child process of the hook tests: every patch of live code runs here, in a process of its own, under the
// DOTNET_* settings the test chooses. `dotnet Co.Hook.TestHost.dll <scenario> [arguments]` runs one [Scenario] method
// of this assembly and reports it by the protocol of Co.Testing.ScenarioProtocol (OK, or FAIL with the exception).
using Co;
using Co.Testing;

namespace Co.Hook.TestHost;

internal static class Program
{
    /// <summary>The suffix of a control's name: the same program without the hooks.</summary>
    private const string ControlSuffix = "-unhooked";

    public static int Main(string[] args) => ScenarioHost.Run(typeof(Program).Assembly, args, exitProcess: false, prepare: scenario =>
    {
        if (scenario.Name.EndsWith(ControlSuffix, StringComparison.Ordinal))
        {
            // A control shows the same program without the hooks: serialized. The blocked-scheduler monitor (on by
            // default) would hand each blocked scheduler to another thread and blur that, so controls run without it.
            Coroutine.Configure(o => o.BlockedSchedulerThreshold = TimeSpan.Zero);
        }
    });
}
