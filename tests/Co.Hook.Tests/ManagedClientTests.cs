using Co.Testing;
using Xunit;

namespace Co.Hook.Tests;

/// <summary>
/// Real managed clients through the managed hook layer (issue 5): Npgsql's and HttpClient's synchronous APIs in sync
/// coroutines on ONE scheduler. Neither reaches libc in a way the native hooks could park — Npgsql and SocketsHttpHandler
/// read and write through System.Net.Sockets, whose sockets are non-blocking underneath once .NET has used them
/// asynchronously — so only the detours of Socket's synchronous funnels can make them concurrent. Each run is a child
/// process (Co.Hook.TestHost), the hooked ones under every runtime setting of <see cref="HookHost.Settings"/>, each
/// with an unhooked control that shows the same program serializes without the hooks.
/// </summary>
public class ManagedClientTests
{
    public static TheoryData<string, string> NpgsqlMatrix() => HookHost.Matrix(NpgsqlScenario.Hooked);

    public static TheoryData<string, string> RedisMatrix() => HookHost.Matrix(RedisScenario.Hooked);

    public static TheoryData<string, string> HttpSendMatrix() => HookHost.Matrix(HttpClientScenario.Hooked);

    public static TheoryData<string, string> NpgsqlPooledMatrix() => HookHost.Matrix(NpgsqlScenario.RunPooled);

    /// <summary>
    /// Npgsql (NuGet package, sync API) against the throwaway PostgreSQL of <c>./build.sh test</c> (CO_TEST_PG): 20
    /// coroutines each Open() their own connection and ExecuteScalar("SELECT pg_sleep(0.2)"), then a parameterized
    /// <c>SELECT @id * 6</c>. The child asserts that every client got its own answer, that at least 10 of the 20 sleeps
    /// were in flight at once (usually all 20; serial gives 1), that the run took under 3/4 of the 20 × 200 ms serial
    /// queries need (about 300 ms unloaded), and that a ticker coroutine of the same scheduler ticked at least 5 times
    /// while sleeps were in flight (a sync client cannot yield between counting itself in flight and calling
    /// ExecuteScalar, so a tick in flight means Npgsql's read parked the coroutine, not the thread). Npgsql's one-time
    /// data-source bootstrap is done by a warm-up connection on the main thread first: see the scenario's remarks for
    /// why first opens in coroutines are not part of this test.
    /// </summary>
    [Theory]
    [MemberData(nameof(NpgsqlMatrix))]
    public void Npgsql_TwentySyncQueriesOnOneScheduler_AreConcurrent(string scenario, string setting) =>
        HookHost.AssertPasses(scenario, setting);

    /// <summary>
    /// Npgsql as applications use it: a pool of at most 5 connections and no warm-up, 20 coroutines on one scheduler.
    /// The first opens meet the data source's bootstrap (a SemaphoreSlim wait while one coroutine loads the server's
    /// types) and later ones an exhausted pool (a ManualResetEventSlim wait): with the managed layer's detours of those
    /// waits all 20 get their own answer (before them, the scheduler deadlocked until Npgsql's 15 s Timeout).
    /// </summary>
    [Theory]
    [MemberData(nameof(NpgsqlPooledMatrix))]
    public void Npgsql_PooledFromColdStart_AllClientsAnswered(string scenario, string setting) =>
        HookHost.AssertPasses(scenario, setting);

    /// <summary>The control of <see cref="NpgsqlScenario.Hooked"/>: without hooks each sync call blocks the scheduler thread — one query in flight
    /// at a time, at least 90 % of 20 × 200 ms in all, and no tick of the ticker while a query is in flight.</summary>
    [Fact]
    public void Npgsql_WithoutHooks_Serializes() =>
        HookHost.AssertPasses(NpgsqlScenario.Unhooked, RuntimeSettings.Default);

    /// <summary>
    /// HttpClient.Send (sync), one shared HttpClient, from 50 coroutines on scheduler 0 against a coroutine HTTP server on
    /// scheduler 1 that answers each request after 200 ms; each client reads its body synchronously (ReadAsStream +
    /// StreamReader.ReadToEnd). The child asserts that every client got HTTP 200 with a body naming its own path, that
    /// the server held at least 10 requests at once (usually all 50; serial sends give 1), that the run took under half
    /// of the 50 × 200 ms serial sends need (about 250 ms unloaded), and that a ticker on scheduler 0 ticked at least 5
    /// times while sends were in flight.
    /// </summary>
    [Theory]
    [MemberData(nameof(HttpSendMatrix))]
    public void HttpClientSend_FiftySyncSendsOnOneScheduler_AreConcurrent(string scenario, string setting) =>
        HookHost.AssertPasses(scenario, setting);

    /// <summary>The control of <see cref="HttpClientScenario.Hooked"/>: without hooks 10 sync sends block scheduler 0's thread in turn — never more
    /// than one request at the server, at least 90 % of 10 × 200 ms in all, and no tick during a send.</summary>
    [Fact]
    public void HttpClientSend_WithoutHooks_Serializes() =>
        HookHost.AssertPasses(HttpClientScenario.Unhooked, RuntimeSettings.Default);

    /// <summary>
    /// StackExchange.Redis (NuGet package, sync API), which waits for its reader thread in Monitor.Wait, against a
    /// redis-server the scenario starts: 100 coroutines on one scheduler, each with its own multiplexer, run
    /// <c>BLPOP</c> on an empty list with a 0.2 s timeout; all are in flight at once and the batch takes well under
    /// 2 s.
    /// </summary>
    [Theory]
    [MemberData(nameof(RedisMatrix))]
    public void Redis_HundredSyncBlockingPopsOnOneScheduler_AreConcurrent(string scenario, string setting) =>
        HookHost.AssertPasses(scenario, setting, limit: TimeSpan.FromSeconds(120));

    /// <summary>The control: without hooks, 5 such calls wait one after another in Monitor.Wait on the scheduler thread.</summary>
    [Fact]
    public void Redis_WithoutHooks_Serializes() =>
        HookHost.AssertPasses(RedisScenario.Unhooked, RuntimeSettings.Default, limit: TimeSpan.FromSeconds(120));
}
