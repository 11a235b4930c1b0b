using Co.Testing;
using Xunit;

namespace Co.Hook.Tests;

/// <summary>
/// A real native client library through the hooks: libpq (PostgreSQL's C client, libpq.so.5) called through P/Invoke
/// from sync coroutines, against the throwaway PostgreSQL server that <c>./build.sh test</c> starts on 127.0.0.1
/// (tests/services/postgres.sh; its connection string reaches the child processes as CO_TEST_PG).
/// <para>
/// With hooks on, 20 coroutines on ONE scheduler each connect (PQconnectdb) and run <c>SELECT pg_sleep(0.2)</c> (PQexec)
/// and a query whose answer is their own: the queries are in flight at once, all 20 finish in well under 20 × 200 ms
/// (under 3 s; about 300 ms unloaded), every client gets its own answer, and another coroutine of the same scheduler
/// keeps running while the queries are in flight. So libpq's waits (poll) and socket calls (connect, send, recv) park
/// the coroutine, not the scheduler thread. The unhooked control shows the same program serializes without the
/// hooks, so the timing measures the hooks and not the server. Each run is a child process (Co.Hook.TestHost), the
/// hooked one under every runtime setting of <see cref="HookHost.Settings"/>.
/// </para>
/// </summary>
public class LibpqTests
{
    public static TheoryData<string, string> Matrix() => HookHost.Matrix(LibpqScenario.Hooked);

    [Theory]
    [MemberData(nameof(Matrix))]
    public void Libpq_TwentyQueriesOnOneScheduler_RunConcurrently(string scenario, string setting) =>
        HookHost.AssertPasses(scenario, setting);

    /// <summary>The control: without hooks the same 20 libpq queries on one scheduler run one after another (the child
    /// asserts at least 90 % of 20 × 200 ms, one query in flight at a time, and a starved ticker).</summary>
    [Fact]
    public void Libpq_WithoutHooks_Serializes() =>
        HookHost.AssertPasses(LibpqScenario.Unhooked, RuntimeSettings.Default);
}
