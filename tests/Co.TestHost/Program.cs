using Co.Testing;

namespace Co.TestHost;

/// <summary>
/// Runs one scenario of the Co runtime in a fresh process (scheduler count is process-global and fixed at first use;
/// Stop() is irreversible): `dotnet Co.TestHost.dll &lt;scenario&gt; [arguments]` runs a [Scenario] method of this
/// assembly and reports it by the protocol of Co.Testing.ScenarioProtocol (RESULT lines, then OK or FAIL with the
/// exception). Scenarios end with Environment.Exit so that a runtime keeping foreground threads alive cannot hang them;
/// `exit-without-stop` is the one that tests a normal return from Main.
/// </summary>
public static class Program
{
    /// <summary>Runs the scenario the arguments name.</summary>
    public static int Main(string[] args) => ScenarioHost.Run(typeof(Program).Assembly, args, exitProcess: true);
}
