using ThirdPartyClients.Running;

namespace ThirdPartyClients.Display;

/// <summary>
/// What the numbers mean, in one line per client, and the rule <c>--check</c> applies. Concurrent: every request
/// answered, at least half of them held at once, and the whole batch in under half the serial time. Serialized: one
/// request at a time without hooks, or at least three times slower than with them.
/// </summary>
internal static class Verdict
{
    /// <summary>Whether a hooked run shows the requests overlapping.</summary>
    public static bool IsConcurrent(ClientResult r, int delayMs) =>
        Answered(r) && r.MaxInFlight >= Math.Max(2, r.Requests / 2) && r.ElapsedMs < (long)r.Requests * delayMs / 2;

    /// <summary>The row of both modes: whether it passes <c>--check</c>, and its verdict.</summary>
    public static (bool Ok, string Text) Compare(ClientResult on, ClientResult off, int delayMs)
    {
        if ((on.Skipped ?? off.Skipped) is { } why)
        {
            return (true, $"skipped: {why}");
        }

        if (on.Error is not null || off.Error is not null || !Answered(on) || !Answered(off))
        {
            return (false, $"FAILED: {on.Error ?? off.Error ?? "not every request was answered"}");
        }

        bool serialized = off.MaxInFlight == 1 || off.ElapsedMs >= 3 * on.ElapsedMs;
        string contrast = off.MaxInFlight == 1 ? "serial" : "without hooks";
        return (IsConcurrent(on, delayMs), serialized) switch
        {
            (true, true) => (true, $"concurrent: {on.MaxInFlight}/{on.Requests} in flight, {on.Seconds} vs {off.Seconds} {contrast}"),
            (true, false) => (false, $"concurrent without hooks too ({off.MaxInFlight} in flight, {off.Seconds}): no contrast"),
            _ => (false, $"NOT concurrent with hooks: {on.MaxInFlight}/{on.Requests} in flight, {on.Seconds} (serial: {Serial(on, delayMs)})"),
        };
    }

    /// <summary>The row of one mode: whether it is what the mode should give (concurrent with hooks, serial
    /// without), and its verdict.</summary>
    public static (bool Ok, string Text) Single(ClientResult r, bool hooked, int delayMs)
    {
        if (r.Skipped is { } why)
        {
            return (true, $"skipped: {why}");
        }

        if (r.Error is not null || !Answered(r))
        {
            return (false, $"FAILED: {r.Error ?? "not every request was answered"}");
        }

        if (IsConcurrent(r, delayMs))
        {
            return (hooked, $"concurrent: {r.MaxInFlight}/{r.Requests} in flight, {r.Seconds} (serial: {Serial(r, delayMs)})");
        }

        return (!hooked, r.MaxInFlight == 1 ? $"serial: one request at a time, {r.Seconds}" : $"partly concurrent: {r.MaxInFlight}/{r.Requests} in flight, {r.Seconds}");
    }

    private static string Serial(ClientResult r, int delayMs) => $"{r.Requests * delayMs / 1000.0:0.00} s";

    private static bool Answered(ClientResult r) => r.Error is null && r.Requests > 0 && r.Completed == r.Requests;
}
