using System.Globalization;
using System.Text;
using System.Text.Json;

namespace Co.Benchmarks;

/// <summary>How a result is judged.</summary>
public enum TargetKind
{
    /// <summary>Reported only.</summary>
    Report,
    /// <summary>This row is the baseline of others.</summary>
    Baseline,
    /// <summary>Median must be at most TargetValue times the baseline's median (same run).</summary>
    RatioMax,
    /// <summary>Median must be at most TargetValue (absolute, in Unit).</summary>
    AbsMax,
    /// <summary>Median minus the baseline's median (same run) must be at most TargetValue (in Unit).</summary>
    DeltaMax,
}

/// <summary>One row of the final table. Numbers are only ever filled from measurements.</summary>
public sealed class BenchResult
{
    public string Name { get; set; } = "";
    public string Group { get; set; } = "";
    public double? Median { get; set; }
    public double? Min { get; set; }
    public int Samples { get; set; }
    public string Unit { get; set; } = "ns/op";
    public string? Baseline { get; set; }
    public double? BaselineMedian { get; set; }
    public TargetKind Target { get; set; }
    public double TargetValue { get; set; }
    public string Notes { get; set; } = "";
    public string? Error { get; set; }
    /// <summary>Why this row cannot be measured on this OS at all (e.g. "not on Windows: ..."); such a row is neither
    /// measured nor failed.</summary>
    public string? Unavailable { get; set; }

    public double? Ratio => Median is double m && BaselineMedian is double b && b > 0 ? m / b : null;

    public string TargetText => Target switch
    {
        TargetKind.Baseline => "baseline",
        TargetKind.RatioMax => $"≤ {TargetValue.ToString("0.###", CultureInfo.InvariantCulture)}× {Baseline}",
        TargetKind.AbsMax => $"≤ {TargetValue.ToString("0.###", CultureInfo.InvariantCulture)} {Unit}",
        TargetKind.DeltaMax => $"≤ {Baseline} + {TargetValue.ToString("0.###", CultureInfo.InvariantCulture)} {Unit}",
        _ => "report",
    };

    public string Verdict
    {
        get
        {
            if (Unavailable is not null) return "n/a";
            if (Median is null) return "NOT MEASURED";
            if (Error is not null) return "FAILED";
            return Target switch
            {
                TargetKind.RatioMax => Ratio is double r ? (r <= TargetValue ? "met" : "missed") : "NOT MEASURED (no baseline)",
                TargetKind.AbsMax => Median <= TargetValue ? "met" : "missed",
                TargetKind.DeltaMax => BaselineMedian is double b ? (Median - b <= TargetValue ? "met" : "missed") : "NOT MEASURED (no baseline)",
                TargetKind.Baseline => "—",
                _ => "reported",
            };
        }
    }

    public static string Fmt(double? v)
    {
        if (v is not double d) return "—";
        double a = Math.Abs(d);
        string s = a >= 1000 || (a >= 1 && d == Math.Floor(d)) ? d.ToString("N0", CultureInfo.InvariantCulture)
                 : a >= 100 ? d.ToString("F1", CultureInfo.InvariantCulture)
                 : a >= 10 ? d.ToString("F2", CultureInfo.InvariantCulture)
                 : d.ToString("F3", CultureInfo.InvariantCulture);
        return s;
    }
}

/// <summary>Collects results; in a child process also appends each one as a JSON line to a file at once,
/// so that results measured before a crash or a hang survive it.</summary>
public static class ResultSink
{
    private static readonly object Gate = new();
    private static readonly List<BenchResult> All = new();
    public static string? File { get; set; }

    public static IReadOnlyList<BenchResult> Results { get { lock (Gate) return All.ToArray(); } }

    public static void Add(BenchResult r)
    {
        lock (Gate)
        {
            All.Add(r);
            if (File is not null)
                System.IO.File.AppendAllText(File, JsonSerializer.Serialize(r) + "\n");
        }
        Console.WriteLine($"[result] {r.Name}: {(r.Error is not null ? "ERROR " + r.Error : BenchResult.Fmt(r.Median) + " " + r.Unit)}"
                          + (r.Ratio is double q ? $" (ratio {q:F2} vs {r.Baseline})" : "") + (r.Notes.Length > 0 ? "  " + r.Notes : ""));
    }

    public static List<BenchResult> ReadFile(string path)
    {
        var list = new List<BenchResult>();
        if (!System.IO.File.Exists(path)) return list;
        foreach (var line in System.IO.File.ReadAllLines(path))
        {
            if (line.Length == 0) continue;
            try { if (JsonSerializer.Deserialize<BenchResult>(line) is { } r) list.Add(r); }
            catch (JsonException) { /* a line cut short by a crash */ }
        }
        return list;
    }
}

public static class ResultTable
{
    private static readonly string[] Head = { "Benchmark", "Median", "Min", "Unit", "n", "Baseline (median)", "Ratio", "Target", "Met?" };

    private static string[] Row(BenchResult r) => new[]
    {
        r.Name,
        BenchResult.Fmt(r.Median),
        BenchResult.Fmt(r.Min),
        r.Unit,
        r.Samples > 0 ? r.Samples.ToString(CultureInfo.InvariantCulture) : "—",
        r.Baseline is null ? "—" : $"{r.Baseline} ({BenchResult.Fmt(r.BaselineMedian)})",
        r.Ratio is double q ? q.ToString("F2", CultureInfo.InvariantCulture) + "×" : "—",
        r.TargetText,
        r.Verdict,
    };

    public static string Console(IReadOnlyList<BenchResult> results)
    {
        var rows = results.Select(Row).ToList();
        var width = new int[Head.Length];
        for (int i = 0; i < Head.Length; i++)
            width[i] = Math.Max(Head[i].Length, rows.Count == 0 ? 0 : rows.Max(r => r[i].Length));
        var sb = new StringBuilder();
        void Line(string[] cells)
        {
            for (int i = 0; i < cells.Length; i++)
            {
                bool right = i is 1 or 2 or 4 or 6;
                sb.Append(right ? cells[i].PadLeft(width[i]) : cells[i].PadRight(width[i]));
                sb.Append(i + 1 < cells.Length ? "  " : "\n");
            }
        }
        Line(Head);
        Line(width.Select(w => new string('-', w)).ToArray());
        foreach (var r in rows) Line(r);
        var notes = results.Where(r => r.Notes.Length > 0 || r.Error is not null || r.Unavailable is not null).ToList();
        if (notes.Count > 0)
        {
            sb.Append("\nNotes:\n");
            foreach (var r in notes)
                sb.Append("  ").Append(r.Name).Append(": ").Append(r.Unavailable is not null ? r.Unavailable + (r.Error is not null || r.Notes.Length > 0 ? "; " : "") : "")
                  .Append(r.Error is not null ? "ERROR: " + r.Error + (r.Notes.Length > 0 ? "; " : "") : "")
                  .Append(r.Notes).Append('\n');
        }
        return sb.ToString();
    }

    public static string Markdown(IReadOnlyList<BenchResult> results, string header)
    {
        static string Esc(string s) => s.Replace("|", "\\|").Replace("\n", " ");
        var sb = new StringBuilder();
        sb.Append(header).Append("\n\n");
        sb.Append("| ").Append(string.Join(" | ", Head)).Append(" | Notes |\n");
        sb.Append('|').Append(string.Concat(Enumerable.Repeat("---|", Head.Length + 1))).Append('\n');
        foreach (var r in results)
        {
            var cells = Row(r).Select(Esc).ToList();
            cells.Add(Esc((r.Unavailable is not null ? r.Unavailable + (r.Error is not null || r.Notes.Length > 0 ? "; " : "") : "") + (r.Error is not null ? "ERROR: " + r.Error + (r.Notes.Length > 0 ? "; " : "") : "") + r.Notes));
            sb.Append("| ").Append(string.Join(" | ", cells)).Append(" |\n");
        }
        return sb.ToString();
    }
}
