namespace ThirdPartyClients.Running;

/// <summary>What one client did in one mode: the numbers of one table cell, and why there are none.</summary>
/// <param name="Id">The client's id.</param>
/// <param name="Name">The client's row label.</param>
/// <param name="Requests">Requests started (one per coroutine).</param>
/// <param name="Completed">Requests answered correctly.</param>
/// <param name="MaxInFlight">The most requests held by the server (or outstanding, for PostgreSQL) at once.</param>
/// <param name="ElapsedMs">From the first coroutine's start to the last one's end.</param>
/// <param name="Skipped">Why the client did not run, or null.</param>
/// <param name="Error">The first failure, or null.</param>
/// <param name="Handoffs">How often the blocked-scheduler monitor handed the clients' scheduler to another thread
/// during the run (0 with the monitor off).</param>
/// <param name="BlockedIn">The system call the rescued coroutines were most often blocked in ("recvfrom", "poll",
/// "futex"...), or null when there was no hand-off.</param>
internal sealed record ClientResult(string Id, string Name, int Requests, int Completed, int MaxInFlight, long ElapsedMs, string? Skipped = null, string? Error = null, int Handoffs = 0, string? BlockedIn = null)
{
    /// <summary>A client that did not run.</summary>
    public static ClientResult Skip(string id, string name, string why) => new(id, name, 0, 0, 0, 0, Skipped: why);

    /// <summary>A client whose set-up failed.</summary>
    public static ClientResult Fail(string id, string name, string error) => new(id, name, 0, 0, 0, 0, Error: error);

    /// <summary>Elapsed time in seconds, as the table shows it.</summary>
    public string Seconds => $"{ElapsedMs / 1000.0:0.00} s";
}
