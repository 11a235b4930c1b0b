using System.Diagnostics;
using System.Runtime.InteropServices;

namespace Co.Samples;

/// <summary>
/// Where a sample gets a PostgreSQL server: <c>--pg</c>, else CO_TEST_PG, else — when PostgreSQL is installed and the
/// sample runs from its repository — a throwaway server started with the tests' own script (tests/services/postgres.sh:
/// a temporary cluster on 127.0.0.1, trust auth) and removed on <see cref="Dispose"/>. Nothing is ever installed.
/// Shared by samples/ThirdPartyClients and samples/Coroutineize (linked into both projects).
/// </summary>
internal sealed class LocalPostgres : IDisposable
{
    private readonly string? _script;
    private readonly string? _directory;
    private int _stopped;

    private const string Hint = "set CO_TEST_PG or --pg, or install postgresql";

    private LocalPostgres(string? conninfo, string note, string? script = null, string? directory = null)
    {
        ConnInfo = conninfo;
        Note = note;
        _script = script;
        _directory = directory;
    }

    /// <summary>The libpq connection string, or null when there is no server.</summary>
    public string? ConnInfo { get; }

    /// <summary>Where the server came from, or why there is none.</summary>
    public string Note { get; }

    /// <summary>Finds or starts a server; <paramref name="mayStart"/> false only looks at the given string and the
    /// environment.</summary>
    public static LocalPostgres Resolve(string? given, bool mayStart)
    {
        if (!string.IsNullOrWhiteSpace(given))
        {
            return new LocalPostgres(given, "--pg");
        }

        string? fromEnvironment = Environment.GetEnvironmentVariable("CO_TEST_PG");
        if (!string.IsNullOrWhiteSpace(fromEnvironment))
        {
            return new LocalPostgres(fromEnvironment, "CO_TEST_PG");
        }

        if (!mayStart)
        {
            return new LocalPostgres(null, $"none given ({Hint})");
        }

        // The script would install missing packages when run as root; the samples only use what is already there.
        string? script = FindScript();
        if (script is null)
        {
            return new LocalPostgres(null, $"none found: tests/services/postgres.sh is not above the binaries ({Hint})");
        }

        if (!Directory.Exists("/usr/lib/postgresql") || !NativeLibrary.TryLoad("libpq.so.5", out _))
        {
            return new LocalPostgres(null, $"none found: PostgreSQL (server and libpq.so.5) is not installed ({Hint})");
        }

        return StartWith(script);
    }

    /// <summary>Stops and removes the server this sample started, if any.</summary>
    public void Dispose()
    {
        if (_script is not null && _directory is not null && Interlocked.Exchange(ref _stopped, 1) == 0)
        {
            RunScript(_script, "stop", _directory);
        }
    }

    private static LocalPostgres StartWith(string script)
    {
        Console.WriteLine("starting a throwaway PostgreSQL (tests/services/postgres.sh start) ...");
        (int exitCode, string output) = RunScript(script, "start");
        string? conninfo = ExportedValue(output, "CO_TEST_PG");
        string? directory = ExportedValue(output, "CO_TEST_PG_DIR");
        if (exitCode != 0 || conninfo is null || directory is null)
        {
            return new LocalPostgres(null, $"could not start a local server ({Path.GetFileName(script)} start exited {exitCode})");
        }

        var server = new LocalPostgres(conninfo, $"a throwaway local server ({conninfo}), removed at the end", script, directory);
        Console.CancelKeyPress += (_, _) => server.Dispose(); // Ctrl-C must not leave a postmaster behind
        return server;
    }

    /// <summary>The script's "export NAME='value'" or "export NAME=value" line's value.</summary>
    private static string? ExportedValue(string output, string name)
    {
        string prefix = $"export {name}=";
        string? line = output.Split('\n').FirstOrDefault(l => l.StartsWith(prefix, StringComparison.Ordinal));
        return line?[prefix.Length..].Trim().Trim('\'');
    }

    /// <summary>tests/services/postgres.sh in one of the folders above the sample's binaries (the repository).</summary>
    private static string? FindScript()
    {
        for (DirectoryInfo? folder = new(AppContext.BaseDirectory); folder is not null; folder = folder.Parent)
        {
            string candidate = Path.Combine(folder.FullName, "tests", "services", "postgres.sh");
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        return null;
    }

    /// <summary>Runs the script; its progress (stderr) is dropped, its stdout returned.</summary>
    private static (int ExitCode, string Output) RunScript(string script, params string[] arguments)
    {
        var start = new ProcessStartInfo(script, arguments) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        using Process process = Process.Start(start)!;
        Task<string> stderr = process.StandardError.ReadToEndAsync();
        string output = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        _ = stderr.Result;
        return (process.ExitCode, output);
    }
}
