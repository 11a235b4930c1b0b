using System.Collections.Concurrent;
using System.Reflection;

namespace Co.Testing;

/// <summary>The scenarios of a test host assembly, found by reflection over its <see cref="ScenarioAttribute"/>s;
/// two methods registering one name are refused.</summary>
public static class ScenarioRegistry
{
    private static readonly ConcurrentDictionary<Assembly, IReadOnlyDictionary<string, Scenario>> s_byAssembly = new();

    /// <summary>Every scenario of <paramref name="host"/>, by name.</summary>
    public static IReadOnlyDictionary<string, Scenario> In(Assembly host) => s_byAssembly.GetOrAdd(host, Discover);

    /// <summary>The scenario <paramref name="name"/> of <paramref name="host"/>; throws, listing the names there are,
    /// when there is none.</summary>
    public static Scenario Find(Assembly host, string name) =>
        In(host).TryGetValue(name, out Scenario? scenario)
            ? scenario
            : throw new ArgumentException($"unknown scenario '{name}'; {host.GetName().Name} has: {string.Join(", ", In(host).Keys.Order(StringComparer.Ordinal))}", nameof(name));

    private static IReadOnlyDictionary<string, Scenario> Discover(Assembly host)
    {
        const BindingFlags everyStatic = BindingFlags.Static | BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.DeclaredOnly;
        var scenarios = new Dictionary<string, Scenario>(StringComparer.Ordinal);
        foreach (Type type in host.GetTypes())
        {
            foreach (MethodInfo method in type.GetMethods(everyStatic))
            {
                if (Scenario.From(method) is not { } scenario)
                {
                    continue;
                }

                if (!scenarios.TryAdd(scenario.Name, scenario))
                {
                    throw new InvalidOperationException(
                        $"scenario '{scenario.Name}' is registered twice: {scenarios[scenario.Name].Method.DeclaringType?.FullName}.{scenarios[scenario.Name].Method.Name} and {type.FullName}.{method.Name}");
                }
            }
        }

        return scenarios;
    }
}
