using System.Text.Json;

namespace ThirdPartyClients.Running;

/// <summary>
/// What a child tells its parent, one JSON object per stdout line after <see cref="Prefix"/>: the parent draws the
/// display from these, so there is one display however the modes are run. Lines without the prefix (anything a
/// library might print) are passed through, not parsed.
/// </summary>
internal sealed record ReportEvent(string Kind, string? Mode = null, string? Setup = null, string? Id = null, string? Name = null, int Done = 0, int Total = 0, ClientResult? Result = null)
{
    /// <summary>Marks a report line.</summary>
    public const string Prefix = "@co-demo ";

    /// <summary>The line for this event.</summary>
    public string ToLine() => Prefix + JsonSerializer.Serialize(this);

    /// <summary>The event on <paramref name="line"/>, or null when it is not a report line.</summary>
    public static ReportEvent? Parse(string line) =>
        line.StartsWith(Prefix, StringComparison.Ordinal) ? JsonSerializer.Deserialize<ReportEvent>(line.AsSpan(Prefix.Length)) : null;
}
