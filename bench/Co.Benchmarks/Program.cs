using System.Diagnostics;
using System.Runtime.InteropServices;

namespace Co.Benchmarks;

/// <summary>
/// Entry point. <c>dotnet run -c Release --project bench/Co.Benchmarks -- [all|micro|handoff|timers|memory|NAME ...] [--out PATH] [--quick]</c>
/// Each unit (the BenchmarkDotNet micro set, the handoff set, each memory probe) runs in a child process of this
/// program, with a time limit, so that a hang or a crash of one is reported and does not lose the others;
/// the parent prints one table of every row at the end and writes it as markdown to --out.
/// Units that need Linux (the hooks, the /proc memory probes) are not run elsewhere: their rows say "not on Windows".
/// Exit code: 0 when every selected row was measured (targets met or missed) or cannot run on this OS, 1 when a row
/// failed or was not measured (crash, hang, exception), 2 on bad arguments.
/// </summary>
public static class Program
{
    /// <param name="LinuxOnly">null when the unit runs on every OS; else why it cannot run elsewhere (its rows then
    /// say "not on &lt;OS&gt;" instead of failing).</param>
    private sealed record Unit(string Name, string Group, string[] Rows, int TimeoutSec, Action<IReadOnlySet<string>?> Run,
                               string? LinuxOnly = null);

    private const string ProcStatus = "reads VmRSS/Threads from Linux's /proc/self/status";

    private static readonly Unit[] Units =
    {
        new("micro", "micro", MicroRunner.Names, 540, MicroRunner.Run),
        new("handoff", "handoff", HandoffBenchmarks.Names, 240, HandoffBenchmarks.Run),
        new("hooks", "hooks", HookBenchmarks.Names, 240, HookBenchmarks.Run,
            "the hooks patch Linux's libc; the baseline is libc's recv on a socketpair"),
        new("timers", "timers", TimerBurstBenchmarks.Names, 300, TimerBurstBenchmarks.Run),
        new(MemoryBenchmarks.ParkedTask, "memory", new[] { MemoryBenchmarks.ParkedTask }, 360, _ => MemoryBenchmarks.RunParkedTask(), ProcStatus),
        new(MemoryBenchmarks.ParkedEvent, "memory", new[] { MemoryBenchmarks.ParkedEvent }, 360, _ => MemoryBenchmarks.RunParkedEvent(), ProcStatus),
        new(MemoryBenchmarks.ParkedSleep, "memory", new[] { MemoryBenchmarks.ParkedSleep }, 360, _ => MemoryBenchmarks.RunParkedSleep(), ProcStatus),
        new(MemoryBenchmarks.ParkedSync, "memory",
            new[] { MemoryBenchmarks.ParkedSync, MemoryBenchmarks.ParkedSync + ".Rss", MemoryBenchmarks.ParkedSync + ".Threads" },
            360, _ => MemoryBenchmarks.RunParkedSync(), ProcStatus),
    };

    public static int Main(string[] args)
    {
        // The table's dashes and the handoff notes are not ASCII; Windows consoles (and Wine's pipes) default to the
        // ANSI code page.
        if (OperatingSystem.IsWindows()) Console.OutputEncoding = System.Text.Encoding.UTF8;
        var selection = new List<string>();
        string? outPath = null, childFile = null, childUnit = null, childOnly = null;
        bool noFork = false;
        for (int i = 0; i < args.Length; i++)
        {
            string a = args[i];
            string Next() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{a} needs a value");
            try
            {
                switch (a)
                {
                    case "--out": outPath = Next(); break;
                    case "--quick": Harness.Quick = true; break;
                    case "--no-fork": noFork = true; break;
                    case "--child": childFile = Next(); break;
                    case "--unit": childUnit = Next(); break;
                    case "--only": childOnly = Next(); break;
                    case "-h" or "--help": Usage(); return 0;
                    default:
                        if (a.StartsWith('-')) throw new ArgumentException($"unknown option {a}");
                        selection.Add(a);
                        break;
                }
            }
            catch (ArgumentException e) { Console.Error.WriteLine(e.Message); Usage(); return 2; }
        }

        if (childUnit is not null) return RunChild(childUnit, childOnly, childFile);

        // Resolve the selection to units, each whole (null) or restricted to some rows (their baselines come along).
        if (selection.Count == 0) selection.Add("all");
        var wanted = new Dictionary<Unit, HashSet<string>?>();
        foreach (var sel in selection)
        {
            var whole = sel.Equals("all", StringComparison.OrdinalIgnoreCase) ? Units
                      : Units.Where(u => u.Group.Equals(sel, StringComparison.OrdinalIgnoreCase)).ToArray();
            if (whole.Length > 0)
            {
                foreach (var u in whole) wanted[u] = null;
                continue;
            }
            var unit = Units.FirstOrDefault(u => u.Rows.Any(r => r.Equals(sel, StringComparison.OrdinalIgnoreCase)));
            if (unit is null)
            {
                Console.Error.WriteLine($"unknown benchmark or group '{sel}'");
                Usage();
                return 2;
            }
            string name = unit.Rows.First(r => r.Equals(sel, StringComparison.OrdinalIgnoreCase));
            if (unit.Group == "memory") wanted[unit] = null;            // a memory unit is one probe: run it whole
            else if (!wanted.TryGetValue(unit, out var set)) wanted[unit] = new HashSet<string> { name };
            else set?.Add(name);
        }
        var plan = Units.Where(wanted.ContainsKey).Select(u => (Unit: u, Only: (IReadOnlySet<string>?)wanted[u])).ToList();

        var started = DateTime.UtcNow;
        var total = Stopwatch.StartNew();
        var results = new List<BenchResult>();
        foreach (var (unit, only) in plan)
        {
            if (unit.LinuxOnly is not null && !OperatingSystem.IsLinux())
            {
                string why = $"not on {OsName()}: {unit.LinuxOnly}";
                Console.WriteLine($"\n===== {unit.Name}: {why} =====");
                foreach (var row in unit.Rows)   // the whole unit: its baseline says why too
                    results.Add(new BenchResult { Name = row, Group = unit.Group, Unit = "—", Unavailable = why });
                continue;
            }
            Console.WriteLine($"\n===== {unit.Name}{(only is null ? "" : " (" + string.Join(", ", only) + ")")} =====");
            var sw = Stopwatch.StartNew();
            List<BenchResult> got;
            string? failure = null;
            if (noFork)
            {
                int before = ResultSink.Results.Count;
                try { unit.Run(only); }
                catch (Exception e) { failure = $"threw {e.GetType().Name}: {e.Message}"; }
                got = ResultSink.Results.Skip(before).ToList();
            }
            else (got, failure) = Fork(unit, only);
            Console.WriteLine($"===== {unit.Name}: {sw.Elapsed.TotalSeconds:F0} s{(failure is null ? "" : ", " + failure)} =====");
            var expected = only is null ? unit.Rows : unit.Rows.Where(r => only.Contains(r)
                                                                          || (unit.Name == "micro" && only.Any(o => MicroRunner.BaselineOf(o) == r))
                                                                          || (unit.Name == "handoff" && r == HandoffBenchmarks.Baseline)
                                                                          || (unit.Name == "timers" && r == TimerBurstBenchmarks.Baseline)).ToArray();
            foreach (var row in expected)
            {
                var r = got.LastOrDefault(x => x.Name == row);   // a unit may re-record a row as it goes; the last one counts
                if (r is null)
                    r = new BenchResult { Name = row, Group = unit.Group, Unit = "—", Error = failure ?? "the unit produced no result for this row" };
                else if (failure is not null && r.Error is null)
                    r.Error = r.Median is null ? failure : $"the number was recorded, then the unit failed: {failure}";
                results.Add(r);
            }
        }

        string header = $"Co.Benchmarks, {started:yyyy-MM-dd HH:mm} UTC; {Environment.ProcessorCount} CPUs, {RuntimeInformation.OSDescription.Trim()}{(Wine.Version is null ? "" : $" UNDER WINE {Wine.Version} (only ratios within this run mean anything)")}, "
                        + $".NET {Environment.Version}; CO_SCHED_NUM={Environment.GetEnvironmentVariable("CO_SCHED_NUM") ?? "(unset: one scheduler per CPU)"}; "
                        + $"selection: {string.Join(" ", selection)}{(Harness.Quick ? " --quick (smoke run: reduced counts, not for the record)" : "")}; "
                        + $"total {total.Elapsed.TotalSeconds:F0} s";
        Console.WriteLine();
        Console.WriteLine("==================== RESULTS ====================");
        Console.WriteLine(header);
        Console.WriteLine();
        Console.Write(ResultTable.Console(results));
        if (outPath is not null)
        {
            var md = ResultTable.Markdown(results, header) + "\n" + Legend;
            var dir = Path.GetDirectoryName(Path.GetFullPath(outPath));
            if (dir is not null) Directory.CreateDirectory(dir);
            File.WriteAllText(outPath, md);
            Console.WriteLine($"\nmarkdown written to {Path.GetFullPath(outPath)}");
        }
        return results.Any(r => r.Unavailable is null && (r.Median is null || r.Error is not null)) ? 1 : 0;
    }

    private static string OsName() => OperatingSystem.IsWindows() ? "Windows" : OperatingSystem.IsMacOS() ? "macOS" : RuntimeInformation.OSDescription;

    private const string Legend = """
Ratios divide two medians measured in the same process run (BenchmarkDotNet in-process short job for the micro
rows; interleaved rounds of the custom harness for the handoff rows). Memory rows are one measurement each in a
fresh process: VmRSS of /proc/self/status after a blocking compacting full GC, parked minus before, divided by the
count. "NOT MEASURED"/"FAILED" rows carry the reason (crash, hang, exception) in Notes.
""";

    private static void Usage()
    {
        Console.Error.WriteLine("usage: dotnet run -c Release --project bench/Co.Benchmarks -- [all|micro|handoff|timers|memory|NAME ...] [--out PATH] [--quick] [--no-fork]");
        Console.Error.WriteLine("names: " + string.Join(", ", Units.SelectMany(u => u.Rows)));
    }

    /// <summary>Runs one unit in a child process; returns its rows and, when it did not exit cleanly, why.</summary>
    private static (List<BenchResult> Rows, string? Failure) Fork(Unit unit, IReadOnlySet<string>? only)
    {
        string file = Path.Combine(Path.GetTempPath(), $"co-bench-{Environment.ProcessId}-{unit.Name}-{Guid.NewGuid():N}.jsonl");
        var psi = new ProcessStartInfo { UseShellExecute = false };
        string self = Environment.ProcessPath ?? throw new InvalidOperationException("no process path");
        psi.FileName = self;
        if (Path.GetFileNameWithoutExtension(self).Equals("dotnet", StringComparison.OrdinalIgnoreCase))
            psi.ArgumentList.Add(typeof(Program).Assembly.Location);
        psi.ArgumentList.Add("--child"); psi.ArgumentList.Add(file);
        psi.ArgumentList.Add("--unit"); psi.ArgumentList.Add(unit.Name);
        if (only is not null) { psi.ArgumentList.Add("--only"); psi.ArgumentList.Add(string.Join(",", only)); }
        if (Harness.Quick) psi.ArgumentList.Add("--quick");
        string? failure = null;
        using (var p = Process.Start(psi) ?? throw new InvalidOperationException("could not start the child process"))
        {
            if (!p.WaitForExit(unit.TimeoutSec * 1000))
            {
                failure = $"HANG: child process killed after {unit.TimeoutSec} s";
                try { p.Kill(entireProcessTree: true); } catch (InvalidOperationException) { }
                p.WaitForExit();
            }
            else if (p.ExitCode != 0)
                failure = p.ExitCode > 128 ? $"CRASH: child process died by signal {p.ExitCode - 128} (exit code {p.ExitCode})"
                                           : $"CRASH: child process exit code {p.ExitCode}";
        }
        var rows = ResultSink.ReadFile(file);
        try { File.Delete(file); } catch (IOException) { }
        return (rows, failure);
    }

    private static int RunChild(string unitName, string? only, string? file)
    {
        var unit = Units.FirstOrDefault(u => u.Name == unitName);
        if (unit is null) { Console.Error.WriteLine($"unknown unit {unitName}"); return 2; }
        ResultSink.File = file;
        try
        {
            Coroutine.UnhandledException += (_, e) =>
            {
                Console.Error.WriteLine($"[unhandled in coroutine {e.CoroutineId} on scheduler {e.SchedulerId}] {e.Exception}");
                Harness.Anomaly($"unhandled {e.Exception.GetType().Name} in coroutine {e.CoroutineId}: {e.Exception.Message}");
            };
        }
        catch (Exception e) { Console.Error.WriteLine($"[child] could not subscribe Coroutine.UnhandledException: {e.Message}"); }
        int rc = 0;
        try { unit.Run(only is null ? null : new HashSet<string>(only.Split(',', StringSplitOptions.RemoveEmptyEntries))); }
        catch (Exception e)
        {
            Console.Error.WriteLine($"[child] {unit.Name} threw: {e}");
            rc = 3;
        }
        Console.Out.Flush();
        Console.Error.Flush();
        // Parked or stuck coroutines must not keep the process alive.
        Environment.Exit(rc);
        return rc;
    }
}
