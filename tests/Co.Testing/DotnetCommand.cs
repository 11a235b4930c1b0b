using System.Diagnostics;

namespace Co.Testing;

/// <summary>Runs a framework-dependent assembly with the same <c>dotnet</c> host as the tests:
/// <c>dotnet &lt;assembly&gt; arguments...</c>.</summary>
/// <param name="assembly">The path of the program's .dll.</param>
public sealed class DotnetCommand(string assembly) : ChildCommand
{
    /// <inheritdoc/>
    public override ProcessStartInfo StartInfo(IEnumerable<string> arguments)
    {
        if (!File.Exists(assembly))
        {
            throw new FileNotFoundException($"{assembly} is missing", assembly);
        }

        var start = new ProcessStartInfo(DotnetHost());
        start.ArgumentList.Add(assembly);
        foreach (string argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        return start;
    }

    /// <summary>The <c>dotnet</c> running the tests (DOTNET_HOST_PATH, set by <c>dotnet test</c>, or this process when
    /// it is dotnet), else the one on PATH.</summary>
    private static string DotnetHost()
    {
        string? hostPath = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH");
        if (!string.IsNullOrEmpty(hostPath) && File.Exists(hostPath))
        {
            return hostPath;
        }

        string? self = Environment.ProcessPath;
        return self is not null && Path.GetFileNameWithoutExtension(self).Equals("dotnet", StringComparison.OrdinalIgnoreCase) ? self : "dotnet";
    }
}
