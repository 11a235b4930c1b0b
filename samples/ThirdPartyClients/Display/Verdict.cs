using ThirdPartyClients.Running;

namespace ThirdPartyClients.Display;

/// <summary>
/// What the numbers mean, in one line per client, and the rule <c>--check</c> applies. Concurrent (hooks on): every
/// request answered, at least half of them held at once, and the whole batch in under half the serial time.
/// Serialized (neither): one request at a time, or at least three times slower than with hooks. Monitor only: every
/// request answered and at least one hand-off — how far the requests overlap is described, not judged, since each
/// overlap costs a threshold's wait and the load of the machine decides the rest.
/// </summary>
internal static class Verdict
{
    /// <summary>Whether a run shows the requests overlapping as the hooks make them.</summary>
    public static bool IsConcurrent(ClientResult r, int delayMs) =>
        Answered(r) && r.MaxInFlight >= Math.Max(2, r.Requests / 2) && r.ElapsedMs < (long)r.Requests * delayMs / 2;

    /// <summary>The row of all three modes: whether it passes <c>--check</c>, and its verdict.</summary>
    public static (bool Ok, string Text) Compare(ClientResult on, ClientResult monitor, ClientResult off, int delayMs)
    {
        if ((on.Skipped ?? monitor.Skipped ?? off.Skipped) is { } why)
        {
            return (true, $"skipped: {why}");
        }

        foreach ((string mode, ClientResult r) in new[] { ("hooks on", on), ("monitor only", monitor), ("neither", off) })
        {
            if (!Answered(r))
            {
                return (false, $"FAILED ({mode}): {r.Error ?? "not every request was answered"}");
            }
        }

        if (!IsConcurrent(on, delayMs))
        {
            return (false, $"NOT concurrent with hooks: {on.MaxInFlight}/{on.Requests} in flight, {on.Seconds} (serial: {Serial(on, delayMs)})");
        }

        if (off.MaxInFlight > 1 && off.ElapsedMs < 3 * on.ElapsedMs)
        {
            return (false, $"concurrent with neither hooks nor monitor too ({off.MaxInFlight} in flight, {off.Seconds}): no contrast");
        }

        if (monitor.Handoffs == 0)
        {
            return (false, $"the monitor alone never stepped in ({monitor.MaxInFlight} in flight, {monitor.Seconds})");
        }

        // A hand-off with hooks on means a call no hook diverted: worth seeing, though the hooks still made the row.
        string missed = on.Handoffs > 0 ? $"; hooks on: {Handoffs(on)}" : "";
        string contrast = off.MaxInFlight == 1 ? "serial" : $"{off.ElapsedMs / Math.Max(on.ElapsedMs, 1)}x slower";
        return (true, $"concurrent; monitor: {Handoffs(monitor)}; off: {contrast}{missed}");
    }

    /// <summary>The row of one mode run by hand: whether it is what the process should give — concurrent when hooks
    /// are on (enabled by the mode or by <c>DOTNET_STARTUP_HOOKS</c>), rescued at least once by the monitor alone,
    /// else serial — and its verdict.</summary>
    public static (bool Ok, string Text) Single(ClientResult r, bool hooked, bool monitored, int delayMs)
    {
        if (r.Skipped is { } why)
        {
            return (true, $"skipped: {why}");
        }

        if (!Answered(r))
        {
            return (false, $"FAILED: {r.Error ?? "not every request was answered"}");
        }

        if (!hooked && monitored)
        {
            string overlap = $"{r.MaxInFlight}/{r.Requests} in flight, {r.Seconds}";
            return r.Handoffs > 0 ? (true, $"rescued by the monitor: {Handoffs(r)}, {overlap}") : (false, $"the monitor never stepped in: {overlap}");
        }

        // With hooks on, a hand-off means a call no hook diverted: shown, not judged.
        string handoffs = r.Handoffs > 0 ? $"; monitor: {Handoffs(r)}" : "";
        bool concurrent = IsConcurrent(r, delayMs);
        string text = concurrent ? $"concurrent: {r.MaxInFlight}/{r.Requests} in flight, {r.Seconds} (serial: {Serial(r, delayMs)})"
            : r.MaxInFlight == 1 ? $"serial: one request at a time, {r.Seconds}"
            : $"partly concurrent: {r.MaxInFlight}/{r.Requests} in flight, {r.Seconds}";
        return (concurrent == hooked, text + handoffs);
    }

    /// <summary>"19 hand-offs (recvfrom)": how often the monitor stepped in, and the call it mostly found.</summary>
    public static string Handoffs(ClientResult r) => $"{r.Handoffs} hand-off{(r.Handoffs == 1 ? "" : "s")} ({r.BlockedIn ?? "?"})";

    private static string Serial(ClientResult r, int delayMs) => $"{r.Requests * delayMs / 1000.0:0.00} s";

    private static bool Answered(ClientResult r) => r.Error is null && r.Requests > 0 && r.Completed == r.Requests;
}
