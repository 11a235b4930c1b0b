using System.Diagnostics;
using System.Text;

namespace ThirdPartyClients.Running;

/// <summary>What a child run of one mode produced.</summary>
/// <param name="Setup">What the hooks and the monitor did in it (the mode's header).</param>
/// <param name="Results">One result per client, in table order.</param>
/// <param name="Problem">Why the child failed (exit code and its stderr), or null.</param>
internal sealed record ModeOutcome(string Setup, IReadOnlyList<ClientResult> Results, string? Problem);

/// <summary>
/// Runs one mode in a child process of this same program (<c>--mode on|monitor|off --report</c>) and feeds its events
/// to the observer. A fresh process per mode is the only honest contrast: hooks patch the whole process, the monitor
/// is set once as the schedulers start, and "monitor" and "off" must mean a process in which nothing was ever patched.
/// </summary>
internal static class ChildMode
{
    /// <summary>Runs <paramref name="mode"/> and waits for it.</summary>
    public static ModeOutcome Run(Options options, DemoMode mode, string? postgres, IRunObserver observer)
    {
        ProcessStartInfo start = StartInfo(options.ChildArguments(mode, postgres));
        if (!mode.Hooks)
        {
            start.Environment.Remove("DOTNET_STARTUP_HOOKS"); // the contrast is a process without any hooks
        }

        using Process child = Process.Start(start)!;
        var stderr = new StringBuilder();
        child.ErrorDataReceived += (_, line) => { if (line.Data is not null) { lock (stderr) { stderr.AppendLine(line.Data); } } };
        child.BeginErrorReadLine();
        string setup = "?";
        var results = new List<ClientResult>();
        while (child.StandardOutput.ReadLine() is { } line)
        {
            switch (ReportEvent.Parse(line))
            {
                case { Kind: "mode" } e: setup = e.Setup!; observer.ModeStarted(e.Mode!, setup); break;
                case { Kind: "start" } e: observer.ClientStarted(e.Id!, e.Name!, e.Total); break;
                case { Kind: "progress" } e: observer.ClientProgress(e.Id!, e.Done, e.Total); break;
                case { Kind: "result" } e: results.Add(e.Result!); observer.ClientFinished(e.Result!); break;
                default: Console.Error.WriteLine(line); break; // not ours: pass it on
            }
        }

        child.WaitForExit();
        string? problem = child.ExitCode == 0 ? null : $"the --mode {mode.Name} child exited {child.ExitCode}\n{stderr}";
        return new ModeOutcome(setup, results, problem);
    }

    /// <summary>This program again: the apphost when it was started through it, else <c>dotnet</c> with this
    /// assembly.</summary>
    private static ProcessStartInfo StartInfo(IEnumerable<string> arguments)
    {
        string host = Environment.ProcessPath ?? "dotnet";
        var start = new ProcessStartInfo(host) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        if (Path.GetFileNameWithoutExtension(host) == "dotnet")
        {
            start.ArgumentList.Add(typeof(ChildMode).Assembly.Location);
        }

        foreach (string argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        return start;
    }
}
