using System.Diagnostics;
using System.Text;

namespace Co.Testing;

/// <summary>
/// The one child-process harness of the tests: starts a program (<see cref="ChildCommand"/>) with chosen environment
/// variables and its standard input closed, captures standard output and error, and kills the whole process tree at
/// the timeout. Everything that patches live code, or configures something once per process, runs through it.
/// </summary>
public static class ChildProcess
{
    /// <summary>How long the output streams may stay open after the process exited (a grandchild holding them).</summary>
    private static readonly TimeSpan s_drain = TimeSpan.FromSeconds(10);

    /// <summary>
    /// Runs <paramref name="command"/> with <paramref name="arguments"/>; in <paramref name="environment"/> a value
    /// sets a variable and null removes one the tests' process would pass on. <paramref name="scenario"/> names the
    /// scenario whose protocol lines the result is checked against (null for a program outside the protocol).
    /// </summary>
    public static async Task<HostResult> RunAsync(ChildCommand command, IEnumerable<string> arguments,
        IReadOnlyDictionary<string, string?>? environment, TimeSpan timeout, string? scenario)
    {
        ProcessStartInfo start = command.StartInfo(arguments);
        start.RedirectStandardOutput = true;
        start.RedirectStandardError = true;
        start.RedirectStandardInput = true;
        start.UseShellExecute = false;
        start.StandardOutputEncoding = Encoding.UTF8;
        start.StandardErrorEncoding = Encoding.UTF8;
        foreach ((string name, string? value) in environment ?? new Dictionary<string, string?>())
        {
            if (value is null)
            {
                start.Environment.Remove(name);
            }
            else
            {
                start.Environment[name] = value;
            }
        }

        string commandLine = string.Join(' ', (environment ?? new Dictionary<string, string?>())
            .Select(variable => variable.Value is null ? $"-u {variable.Key}" : $"{variable.Key}={variable.Value}")
            .Append(start.FileName).Concat(start.ArgumentList));

        using var child = new Process { StartInfo = start };
        child.Start();
        child.StandardInput.Close();
        Task<string> stdout = child.StandardOutput.ReadToEndAsync();
        Task<string> stderr = child.StandardError.ReadToEndAsync();
        bool timedOut = false;
        using (var limit = new CancellationTokenSource(timeout))
        {
            try
            {
                await child.WaitForExitAsync(limit.Token);
            }
            catch (OperationCanceledException)
            {
                timedOut = true;
                try
                {
                    child.Kill(entireProcessTree: true);
                }
                catch (InvalidOperationException)
                {
                    // it exited between the timeout and the kill
                }

                await child.WaitForExitAsync();
            }
        }

        return new HostResult(child.ExitCode, await Drained(stdout), await Drained(stderr), timedOut, commandLine, scenario);
    }

    /// <summary><see cref="RunAsync"/> for the synchronous tests.</summary>
    public static HostResult Run(ChildCommand command, IEnumerable<string> arguments,
        IReadOnlyDictionary<string, string?>? environment, TimeSpan timeout, string? scenario) =>
        RunAsync(command, arguments, environment, timeout, scenario).GetAwaiter().GetResult();

    private static async Task<string> Drained(Task<string> output)
    {
        try
        {
            return await output.WaitAsync(s_drain);
        }
        catch (TimeoutException)
        {
            return $"<output not closed within {s_drain.TotalSeconds} s after exit>";
        }
    }
}
