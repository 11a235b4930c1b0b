namespace Co.Testing;

/// <summary>The runtime settings that change code generation: every scenario that patches code runs under each, in a
/// process of its own.</summary>
public static class RuntimeSettings
{
    /// <summary>Tiered compilation off and on, PGO off, ReadyToRun code off, W^X off, as <c>NAME=value</c>.</summary>
    public static IReadOnlyList<string> CodeGeneration { get; } =
    [
        "DOTNET_TieredCompilation=0",
        "DOTNET_TieredCompilation=1",
        "DOTNET_TieredPGO=0",
        "DOTNET_ReadyToRun=0",
        "DOTNET_EnableWriteXorExecute=0",
    ];

    /// <summary>The setting the controls (unhooked runs) use: the runtime's default, spelled out.</summary>
    public const string Default = "DOTNET_TieredCompilation=1";

    /// <summary>An environment holding <paramref name="setting"/> (<c>NAME=value</c>) and then <paramref name="more"/>.</summary>
    public static Dictionary<string, string?> Environment(string setting, IReadOnlyDictionary<string, string>? more = null)
    {
        int equals = setting.IndexOf('=');
        var environment = new Dictionary<string, string?>(StringComparer.Ordinal) { [setting[..equals]] = setting[(equals + 1)..] };
        foreach ((string name, string value) in more ?? new Dictionary<string, string>())
        {
            environment[name] = value;
        }

        return environment;
    }
}
