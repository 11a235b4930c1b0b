using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Exporters;
using BenchmarkDotNet.Filters;
using Perfolizer.Horology;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Loggers;
using BenchmarkDotNet.Running;
using BenchmarkDotNet.Toolchains.InProcess.Emit;

namespace Co.Benchmarks;

/// <summary>Runs <see cref="MicroBenchmarks"/> with BenchmarkDotNet (short in-process job) and turns its summary
/// into table rows.</summary>
public static class MicroRunner
{
    public const string SwitchBaseline = nameof(MicroBenchmarks.RawAwaiterPingPong);
    public const string GoBaseline = nameof(MicroBenchmarks.TaskRun);

    private static readonly (string Name, string Baseline, TargetKind Kind, double Target, string Unit, string What)[] Rows =
    {
        (SwitchBaseline, "", TargetKind.Baseline, 0, "ns/switch",
            $"2 async methods on one thread, hand-written awaiter + run queue; {MicroBenchmarks.Switches:N0} switches per invocation"),
        (nameof(MicroBenchmarks.TaskYield), SwitchBaseline, TargetKind.Report, 0, "ns/op",
            "await Task.Yield() on the thread pool"),
        (nameof(MicroBenchmarks.AsyncEventPingPong), SwitchBaseline, TargetKind.RatioMax, 2, "ns/switch",
            "2 async coroutines on scheduler 0, 2 auto-reset Events"),
        (nameof(MicroBenchmarks.AsyncChanPingPong), SwitchBaseline, TargetKind.RatioMax, 2, "ns/switch",
            "2 async coroutines on scheduler 0, 2 Chan<int>(1)"),
        (GoBaseline, "", TargetKind.Baseline, 0, "ns/op",
            "await Task.Run(() => {}) one after another (reference for the Go rows)"),
        (nameof(MicroBenchmarks.GoTrivialSync), GoBaseline, TargetKind.AbsMax, 100, "ns/coroutine",
            $"Coroutine.Go(Action) x{MicroBenchmarks.GoOps:N0} from a plain thread (round-robin), all finished"),
        (nameof(MicroBenchmarks.GoTrivialAsync), GoBaseline, TargetKind.AbsMax, 100, "ns/coroutine",
            $"Coroutine.Go(Func<Task>) x{MicroBenchmarks.GoOps:N0} from a plain thread (round-robin), all finished"),
        (nameof(MicroBenchmarks.GoTrivialSyncInCo), GoBaseline, TargetKind.AbsMax, 100, "ns/coroutine",
            $"Scheduler.Go(Action) x{MicroBenchmarks.GoOps:N0} from a sync coroutine onto its own scheduler, all finished"),
        (nameof(MicroBenchmarks.GoTrivialAsyncInCo), GoBaseline, TargetKind.AbsMax, 100, "ns/coroutine",
            $"Scheduler.Go(Func<Task>) x{MicroBenchmarks.GoOps:N0} from an async coroutine onto its own scheduler, all finished"),
    };

    public static readonly string[] Names = Rows.Select(r => r.Name).ToArray();

    public static string BaselineOf(string name) => Rows.First(r => r.Name == name).Baseline;

    public static void Run(IReadOnlySet<string>? only)
    {
        var job = Job.Default
            .WithToolchain(new InProcessEmitToolchain(TimeSpan.FromMinutes(4), logOutput: true))
            .WithLaunchCount(1)
            .WithWarmupCount(Harness.Quick ? 1 : 4)
            .WithIterationCount(Harness.Quick ? 3 : 15)
            .WithIterationTime(TimeInterval.FromMilliseconds(Harness.Quick ? 100 : 250))
            .WithId("Short");
        var config = ManualConfig.CreateEmpty()
            .AddJob(job)
            .AddLogger(ConsoleLogger.Default)
            .AddColumnProvider(DefaultColumnProviders.Instance)
            .AddExporter(MarkdownExporter.GitHub)
            .AddLogicalGroupRules(BenchmarkLogicalGroupRule.ByCategory)
            .WithOptions(ConfigOptions.DisableLogFile);
        if (only is not null)
        {
            var keep = only.Concat(only.Select(BaselineOf)).Where(n => n.Length > 0).ToHashSet();
            config = config.AddFilter(new SimpleFilter(bc => keep.Contains(bc.Descriptor.WorkloadMethod.Name)));
        }

        WineHostProbes.SkipWmi();
        var summary = BenchmarkRunner.Run<MicroBenchmarks>(config);

        var stats = new Dictionary<string, (double Median, double Min, int N, double StdDev)>();
        var failed = new Dictionary<string, string>();
        foreach (var report in summary.Reports)
        {
            string m = report.BenchmarkCase.Descriptor.WorkloadMethod.Name;
            var s = report.ResultStatistics;
            if (report.Success && s is not null) stats[m] = (s.Median, s.Min, s.N, s.StandardDeviation);
            else failed[m] = "BenchmarkDotNet reported the benchmark as failed (see its output above: an exception or a hang timeout)";
        }
        var anomalies = Harness.TakeAnomalyList();

        foreach (var a in anomalies)
            if (!Rows.Any(row => a.StartsWith(row.Name + ":", StringComparison.Ordinal))) Console.WriteLine($"[anomaly] {a}");
        foreach (var row in Rows)
        {
            bool selected = only is null || only.Contains(row.Name) || only.Any(o => BaselineOf(o) == row.Name);
            if (!selected) continue;
            var r = new BenchResult
            {
                Name = row.Name, Group = "micro", Unit = row.Unit, Target = row.Kind, TargetValue = row.Target,
                Baseline = row.Baseline.Length == 0 ? null : row.Baseline,
                Notes = row.What,
            };
            if (stats.TryGetValue(row.Name, out var st))
            {
                r.Median = st.Median; r.Min = st.Min; r.Samples = st.N;
                r.Notes += $"; BDN stddev {BenchResult.Fmt(st.StdDev)}";
            }
            else r.Error = failed.TryGetValue(row.Name, out var why) ? why : "not run by BenchmarkDotNet";
            if (r.Baseline is not null && stats.TryGetValue(r.Baseline, out var b)) r.BaselineMedian = b.Median;
            var mine = anomalies.Where(a => a.StartsWith(row.Name + ":", StringComparison.Ordinal)).ToList();
            if (mine.Count > 0) r.Notes += "; ANOMALY: " + string.Join("; ", mine);
            ResultSink.Add(r);
        }
    }
}
