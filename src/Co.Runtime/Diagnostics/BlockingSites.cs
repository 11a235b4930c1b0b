using System.Diagnostics.Metrics;

namespace Co.Diagnostics;

/// <summary>
/// The bypass report: calls that blocked a scheduler without passing a hook, grouped by call site and system call —
/// built from the blocked-scheduler monitor's rescues. The site is the first frame of the rescued coroutine's stack at
/// its rejoin that is neither Co's nor .NET's (<see cref="CallSites"/>): the client library's or user's method that
/// blocked, since it is still on the stack where the coroutine rejoins unless it returned first.
/// </summary>
internal static class BlockingSites
{
    private static readonly Lock s_lock = new();
    private static readonly Dictionary<(string Site, string Call), (int Count, TimeSpan Total, TimeSpan Longest)> s_sites = [];

    /// <summary>The short blockings the monitor sampled (<see cref="AddShort"/>), by site and system call.</summary>
    private static readonly Dictionary<(string Site, string Call), int> s_short = [];

    /// <summary>The sites so far, most total blocking first, then the sites of short blockings only, most samples first.</summary>
    public static IReadOnlyList<BlockingSite> Snapshot()
    {
        lock (s_lock)
        {
            return s_sites.Keys.Union(s_short.Keys)
                .Select(key =>
                {
                    (int count, TimeSpan total, TimeSpan longest) = s_sites.GetValueOrDefault(key);
                    return new BlockingSite(key.Site, key.Call, count, total, longest, s_short.GetValueOrDefault(key));
                })
                .OrderByDescending(site => site.Total)
                .ThenByDescending(site => site.ShortSamples)
                .ToList();
        }
    }

    /// <summary>The short blockings sampled so far by system call (tag <c>call</c>), for the <c>co.blocking.short</c> instrument.</summary>
    public static IEnumerable<Measurement<long>> ShortByCall()
    {
        lock (s_lock)
        {
            return s_short
                .GroupBy(pair => pair.Key.Call, pair => (long)pair.Value)
                .Select(group => new Measurement<long>(group.Sum(), new KeyValuePair<string, object?>("call", group.Key)))
                .ToList();
        }
    }

    /// <summary>Counts one short blocking the monitor sampled, at <paramref name="site"/>, in <paramref name="blockedIn"/>.</summary>
    public static void AddShort(string site, string? blockedIn)
    {
        (string, string) key = (site, CallNameOf(blockedIn));
        lock (s_lock)
        {
            s_short[key] = s_short.GetValueOrDefault(key) + 1;
        }
    }

    /// <summary>Short blockings sampled so far, in all, and the site with most (null without any), for a dump.</summary>
    public static (int Samples, BlockingSite? Top) ShortSummary()
    {
        lock (s_lock)
        {
            if (s_short.Count == 0)
            {
                return (0, null);
            }

            KeyValuePair<(string Site, string Call), int> top = s_short.MaxBy(pair => pair.Value);
            return (s_short.Values.Sum(), new BlockingSite(top.Key.Site, top.Key.Call, 0, TimeSpan.Zero, TimeSpan.Zero, top.Value));
        }
    }

    /// <summary>The rescues so far by system call (tag <c>call</c>), for the <c>co.hooks.bypassed</c> instrument.</summary>
    public static IEnumerable<Measurement<long>> BypassesByCall()
    {
        lock (s_lock)
        {
            return s_sites
                .GroupBy(pair => pair.Key.Call, pair => (long)pair.Value.Count)
                .Select(group => new Measurement<long>(group.Sum(), new KeyValuePair<string, object?>("call", group.Key)))
                .ToList();
        }
    }

    /// <summary>Counts one rescue (the monitor's report, as the coroutine rejoins).</summary>
    public static void Add(SchedulerBlockedEventArgs report)
    {
        (string, string) site = (report.CallSite, CallNameOf(report.BlockedIn));
        lock (s_lock)
        {
            (int count, TimeSpan total, TimeSpan longest) = s_sites.GetValueOrDefault(site);
            s_sites[site] = (count + 1, total + report.BlockedFor, report.BlockedFor > longest ? report.BlockedFor : longest);
        }
    }

    /// <summary>"read" of "read(fd 9: /tmp/in.fifo)": the arguments differ from one blocking to the next.</summary>
    private static string CallNameOf(string? blockedIn)
    {
        if (blockedIn is null)
        {
            return "?";
        }

        int arguments = blockedIn.IndexOf('(', StringComparison.Ordinal);
        return arguments > 0 ? blockedIn[..arguments] : blockedIn;
    }
}
