using System.Diagnostics;
using Coroutineize.Ways;

namespace Coroutineize.Running;

/// <summary>
/// Runs one way in a child process of this same program. A fresh process per run is what makes the comparison fair:
/// the hooks patch the whole process, so the coroutineized ways must run where nothing was ever patched, and each run
/// starts with no connections, coroutines or JIT state left by another.
/// </summary>
internal static class ChildProcess
{
    /// <summary>Runs <paramref name="way"/> on <paramref name="workload"/>; throws with the child's stderr when it failed.</summary>
    public static Measurement Run(Options options, string conninfo, Way way, string workload, int queries)
    {
        ProcessStartInfo start = StartInfo(options.ChildArguments(conninfo, way.Id, workload, queries));
        start.Environment.Remove("DOTNET_STARTUP_HOOKS"); // only the hooked way has hooks, and it enables them itself
        using Process child = Process.Start(start)!;
        Task<string> stderr = child.StandardError.ReadToEndAsync();
        Measurement? measurement = null;
        while (child.StandardOutput.ReadLine() is { } line)
        {
            measurement ??= Measurement.TryParse(line);
        }

        child.WaitForExit();
        if (child.ExitCode != 0 || measurement is null)
        {
            throw new InvalidOperationException($"the '{way.Id} {workload}' child exited {child.ExitCode}: {stderr.Result.Trim()}");
        }

        return measurement;
    }

    /// <summary>This program again: the apphost when it was started through it, else <c>dotnet</c> with this assembly.</summary>
    private static ProcessStartInfo StartInfo(IEnumerable<string> arguments)
    {
        string host = Environment.ProcessPath ?? "dotnet";
        var start = new ProcessStartInfo(host) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        if (Path.GetFileNameWithoutExtension(host) == "dotnet")
        {
            start.ArgumentList.Add(typeof(ChildProcess).Assembly.Location);
        }

        foreach (string argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        return start;
    }
}
