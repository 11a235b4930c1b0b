namespace Co.Testing;

/// <summary>
/// Registers a static method of a test host as the scenario <see cref="Name"/>: the one place the name is written. The
/// host finds it by reflection (<see cref="ScenarioRegistry"/>) when a parent asks for it on the command line, and the
/// xunit theories reach it through the method itself (<see cref="Scenario.Of"/>), never through a copy of the name.
/// The method takes no parameter, or the command-line arguments after the name (<c>string[]</c>), and returns nothing:
/// it passes by returning and fails by throwing.
/// </summary>
[AttributeUsage(AttributeTargets.Method, AllowMultiple = false, Inherited = false)]
public sealed class ScenarioAttribute(string name) : Attribute
{
    /// <summary>The scenario's name on the command line: <c>dotnet host.dll &lt;name&gt; [arguments]</c>.</summary>
    public string Name { get; } = name;

    /// <summary>
    /// True for a scenario whose point is how the process ends when Main returns: its host then returns from Main
    /// rather than ending the process with <see cref="Environment.Exit(int)"/> (see <see cref="ScenarioHost.Run"/>).
    /// </summary>
    public bool ReturnsFromMain { get; init; }
}
