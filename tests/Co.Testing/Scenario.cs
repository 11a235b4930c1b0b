using System.Reflection;

namespace Co.Testing;

/// <summary>One registered scenario: its name and the static method that runs it.</summary>
public sealed class Scenario
{
    private Scenario(MethodInfo method, ScenarioAttribute attribute)
    {
        Method = method;
        Attribute = attribute;
    }

    /// <summary>The name written once, in the method's <see cref="ScenarioAttribute"/>.</summary>
    public string Name => Attribute.Name;

    /// <summary>The scenario's attribute.</summary>
    public ScenarioAttribute Attribute { get; }

    /// <summary>The static method that runs the scenario.</summary>
    public MethodInfo Method { get; }

    /// <summary>The assembly of the test host that runs the scenario in a child process.</summary>
    public Assembly Host => Method.Module.Assembly;

    /// <summary>The scenario a method group refers to, e.g. <c>Scenario.Of(CurlScenario.Hooked)</c>; throws when the
    /// method carries no <see cref="ScenarioAttribute"/>.</summary>
    public static Scenario Of(Delegate method) => From(method.Method)
        ?? throw new ArgumentException($"{method.Method.DeclaringType?.FullName}.{method.Method.Name} is not marked [Scenario]", nameof(method));

    /// <summary>The scenario <paramref name="method"/> registers, or null when it is not one. A registered method must
    /// be static, return nothing, and take nothing or a <c>string[]</c>: anything else throws.</summary>
    internal static Scenario? From(MethodInfo method)
    {
        ScenarioAttribute? attribute = method.GetCustomAttribute<ScenarioAttribute>();
        if (attribute is null)
        {
            return null;
        }

        ParameterInfo[] parameters = method.GetParameters();
        bool shaped = method.IsStatic && method.ReturnType == typeof(void)
            && (parameters.Length == 0 || (parameters.Length == 1 && parameters[0].ParameterType == typeof(string[])));
        return shaped
            ? new Scenario(method, attribute)
            : throw new InvalidOperationException(
                $"scenario '{attribute.Name}' ({method.DeclaringType?.FullName}.{method.Name}) must be static void, taking nothing or string[]");
    }

    /// <summary>Runs the scenario on the calling thread, through a delegate rather than reflection's Invoke, so that
    /// its exception propagates as thrown (not wrapped in a TargetInvocationException) and a debugger sees it
    /// unhandled.</summary>
    public void Invoke(string[] arguments)
    {
        if (Method.GetParameters().Length == 0)
        {
            Method.CreateDelegate<Action>()();
        }
        else
        {
            Method.CreateDelegate<Action<string[]>>()(arguments);
        }
    }

    /// <inheritdoc/>
    public override string ToString() => Name;
}
