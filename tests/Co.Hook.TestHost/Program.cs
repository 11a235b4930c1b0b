// The child process of the hook tests: every patch of live code runs here, in a process of its own, under the
// DOTNET_* settings the test chooses. `dotnet Co.Hook.TestHost.dll <scenario> [arguments]` runs one [Scenario] method
// of this assembly and reports it by the protocol of Co.Testing.ScenarioProtocol (OK, or FAIL with the exception).
using Co.Testing;

namespace Co.Hook.TestHost;

internal static class Program
{
    public static int Main(string[] args) => ScenarioHost.Run(typeof(Program).Assembly, args, exitProcess: false);
}
