using System.Diagnostics;
using System.Text;

namespace Co.Tests;

/// <summary>Outcome of one run of Co.TestHost in a child process.</summary>
internal sealed record HostResult(int ExitCode, string Stdout, string Stderr, bool TimedOut, string CommandLine)
{
    /// <summary>`RESULT key=value` lines of stdout (last value wins).</summary>
    public IReadOnlyDictionary<string, string> Results
    {
        get
        {
            var d = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (var line in Lines(Stdout))
            {
                if (!line.StartsWith("RESULT ", StringComparison.Ordinal)) continue;
                foreach (var pair in line.Substring(7).Split(' ', StringSplitOptions.RemoveEmptyEntries))
                {
                    int eq = pair.IndexOf('=');
                    if (eq > 0) d[pair[..eq]] = pair[(eq + 1)..];
                }
            }
            return d;
        }
    }

    /// <summary>Stdout lines that start with <paramref name="prefix"/>.</summary>
    public IEnumerable<string> LinesStartingWith(string prefix) =>
        Lines(Stdout).Where(l => l.StartsWith(prefix, StringComparison.Ordinal));

    public string Result(string key) =>
        Results.TryGetValue(key, out var v) ? v : throw new Xunit.Sdk.XunitException($"child printed no RESULT {key}=...\n{Describe()}");

    public static IEnumerable<string> Lines(string s) =>
        s.Split('\n').Select(l => l.TrimEnd('\r')).Where(l => l.Length > 0);

    public string Describe() =>
        $"command: {CommandLine}\nexit code: {ExitCode}{(TimedOut ? " (TIMED OUT, killed)" : "")}\n--- stdout ---\n{Trunc(Stdout)}\n--- stderr ---\n{Trunc(Stderr)}";

    private static string Trunc(string s) => s.Length <= 6000 ? s : s[..3000] + "\n...\n" + s[^3000..];

    /// <summary>Asserts exit code 0 and no timeout, with the child's output in the failure message.</summary>
    public HostResult AssertSuccess()
    {
        if (TimedOut || ExitCode != 0)
            throw new Xunit.Sdk.XunitException("child process failed\n" + Describe());
        return this;
    }
}

/// <summary>
/// Locates Co.TestHost.dll and runs one of its scenarios with `dotnet`, with chosen environment variables,
/// a timeout (the process tree is killed on timeout) and captured stdout/stderr.
/// </summary>
internal static class TestHost
{
    private static readonly Lazy<string> s_dll = new(Locate);

    public static string DllPath => s_dll.Value;

    private static string Locate()
    {
        // The ProjectReference copies Co.TestHost.dll (and its runtimeconfig) next to the test assembly.
        string baseDir = AppContext.BaseDirectory;
        string beside = Path.Combine(baseDir, "Co.TestHost.dll");
        if (File.Exists(beside) && File.Exists(Path.Combine(baseDir, "Co.TestHost.runtimeconfig.json")))
            return beside;

        // Fallback: the TestHost project's own output, same configuration and framework as ours.
        var dir = new DirectoryInfo(baseDir);
        string tfm = dir.Name;                    // net10.0
        string config = dir.Parent?.Name ?? "Debug"; // Debug / Release
        for (var d = dir; d != null; d = d.Parent)
        {
            string candidateRoot = Path.Combine(d.FullName, "tests", "Co.TestHost", "bin");
            if (!Directory.Exists(candidateRoot)) continue;
            string preferred = Path.Combine(candidateRoot, config, tfm, "Co.TestHost.dll");
            if (File.Exists(preferred)) return preferred;
            var any = Directory.GetFiles(candidateRoot, "Co.TestHost.dll", SearchOption.AllDirectories)
                .OrderByDescending(File.GetLastWriteTimeUtc).FirstOrDefault();
            if (any != null) return any;
        }
        if (File.Exists(beside)) return beside;
        throw new FileNotFoundException($"Co.TestHost.dll not found next to {baseDir} nor under tests/Co.TestHost/bin");
    }

    private static string DotnetPath()
    {
        string? hostPath = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH");
        if (!string.IsNullOrEmpty(hostPath) && File.Exists(hostPath)) return hostPath;
        string? self = Environment.ProcessPath;
        if (self != null && Path.GetFileNameWithoutExtension(self).Equals("dotnet", StringComparison.OrdinalIgnoreCase))
            return self;
        return "dotnet";
    }

    /// <summary>
    /// Runs `dotnet Co.TestHost.dll scenario args...`. CO_SCHED_NUM is removed from the child's environment
    /// unless <paramref name="env"/> sets it; a null value in <paramref name="env"/> removes a variable.
    /// </summary>
    public static async Task<HostResult> RunAsync(string scenario, IReadOnlyDictionary<string, string?>? env,
        int timeoutMs = 60_000, params string[] args)
    {
        var psi = new ProcessStartInfo(DotnetPath())
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
            StandardOutputEncoding = Encoding.UTF8,
            StandardErrorEncoding = Encoding.UTF8,
        };
        psi.ArgumentList.Add(DllPath);
        psi.ArgumentList.Add(scenario);
        foreach (var a in args) psi.ArgumentList.Add(a);
        psi.Environment.Remove("CO_SCHED_NUM");
        psi.Environment.Remove("DOTNET_STARTUP_HOOKS");
        if (env != null)
        {
            foreach (var (k, v) in env)
            {
                if (v is null) psi.Environment.Remove(k); else psi.Environment[k] = v;
            }
        }
        string cmd = $"{string.Join(' ', (env ?? new Dictionary<string, string?>()).Select(kv => $"{kv.Key}={kv.Value}"))} " +
                     $"{psi.FileName} {string.Join(' ', psi.ArgumentList)}".Trim();

        using var p = new Process { StartInfo = psi };
        p.Start();
        p.StandardInput.Close();
        Task<string> stdout = p.StandardOutput.ReadToEndAsync();
        Task<string> stderr = p.StandardError.ReadToEndAsync();
        bool timedOut = false;
        using (var cts = new CancellationTokenSource(timeoutMs))
        {
            try
            {
                await p.WaitForExitAsync(cts.Token);
            }
            catch (OperationCanceledException)
            {
                timedOut = true;
                try { p.Kill(entireProcessTree: true); } catch (InvalidOperationException) { }
                await p.WaitForExitAsync();
            }
        }
        string o = await WithBound(stdout);
        string e = await WithBound(stderr);
        return new HostResult(p.ExitCode, o, e, timedOut, cmd);
    }

    private static async Task<string> WithBound(Task<string> t)
    {
        try { return await t.WaitAsync(TimeSpan.FromSeconds(10)); }
        catch (TimeoutException) { return "<output not closed within 10 s after exit>"; }
    }

    public static Task<HostResult> RunAsync(string scenario, params string[] args) =>
        RunAsync(scenario, null, 60_000, args);

    public static Dictionary<string, string?> Env(params (string Key, string? Value)[] vars) =>
        vars.ToDictionary(v => v.Key, v => v.Value);
}
