using ThirdPartyClients.Servers;

namespace ThirdPartyClients.Clients;

/// <summary>
/// One third-party client as an application would use it: plain blocking calls, nothing of Co's in the request path.
/// The demo runs <see cref="Request"/> from many sync coroutines at once and watches <see cref="InFlight"/>; whether the
/// requests overlap is then up to the hooks alone.
/// </summary>
internal interface IClient : IDisposable
{
    /// <summary>A short id for the command line and the parent/child protocol ("socket", "npgsql", ...).</summary>
    string Id { get; }

    /// <summary>What the row shows: the client and its blocking call.</summary>
    string Name { get; }

    /// <summary>Where concurrency is counted: at the demo's server, or around the call for a server we cannot
    /// instrument (PostgreSQL).</summary>
    InFlight InFlight { get; }

    /// <summary>Starts whatever the client talks to and makes one request on the calling plain thread (the one-time
    /// costs — JIT, library loading, TLS and pool set-up — stay out of the timed run, and a broken set-up is reported
    /// as such rather than as a hook failure). Returns null when ready, else why the client is skipped.</summary>
    string? Prepare();

    /// <summary>One blocking request, answer checked (throws if wrong). Called in a sync coroutine.</summary>
    void Request(int id);
}
