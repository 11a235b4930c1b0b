using System.Reflection;

namespace Co.Testing;

/// <summary>
/// The Main of a test host: <c>host &lt;scenario&gt; [arguments]</c> runs the scenario registered under that name in
/// the host's assembly and reports it by <see cref="ScenarioProtocol"/> (<c>OK</c>, or <c>FAIL</c> with the
/// exception); with no name it lists the scenarios. Exit code 0 when the scenario passed, 1 when it threw, 2 for a
/// usage error; a crash shows up as another code.
/// </summary>
public static class ScenarioHost
{
    /// <summary>
    /// Runs the scenario <paramref name="args"/> names from <paramref name="host"/>. When <paramref name="exitProcess"/>
    /// is true the process ends here with <see cref="Environment.Exit(int)"/>, so that threads left running cannot keep
    /// it alive, unless the scenario is marked <see cref="ScenarioAttribute.ReturnsFromMain"/>; the exit code is
    /// returned for Main to return.
    /// </summary>
    public static int Run(Assembly host, string[] args, bool exitProcess)
    {
        if (args.Length == 0)
        {
            Console.Error.WriteLine($"usage: {host.GetName().Name} <scenario> [arguments]; scenarios:");
            foreach (string name in ScenarioRegistry.In(host).Keys.Order(StringComparer.Ordinal))
            {
                Console.Error.WriteLine("  " + name);
            }

            return 2;
        }

        string requested = args[0];
        int code;
        Scenario? scenario = null;
        try
        {
            scenario = ScenarioRegistry.Find(host, requested);
            scenario.Invoke(args[1..]);
            Console.Out.WriteLine(ScenarioProtocol.Passed(requested));
            code = 0;
        }
        catch (Exception exception)
        {
            Console.Out.WriteLine(ScenarioProtocol.Failed(requested, exception));
            Console.Error.WriteLine($"FAIL {requested}: {exception}");
            code = 1;
        }

        Console.Out.Flush();
        Console.Error.Flush();
        if (exitProcess && scenario?.Attribute.ReturnsFromMain != true)
        {
            Environment.Exit(code);
        }

        return code;
    }
}
