using Co.Testing;
using Xunit;

namespace Co.Hook.Tests;

/// <summary>
/// libcurl (libcurl.so.4, curl_easy_perform through P/Invoke) in sync coroutines, against a local HTTP server written
/// with Co.Sock in coroutines that answers each request after 200 ms (issue 4). The clients have scheduler 0 to
/// themselves and the server runs on scheduler 1, so the unhooked control cannot starve the server. Each run is a
/// child process (Co.Hook.TestHost, <see cref="CurlScenario.Hooked"/> / <see cref="CurlScenario.Unhooked"/>), since the hooks patch live code.
/// </summary>
public class CurlTests
{
    /// <summary>The hooked scenario under each runtime setting that changes code generation.</summary>
    public static TheoryData<string, string> Matrix() => HookHost.Matrix(CurlScenario.Hooked);

    /// <summary>
    /// With hooks, 50 curl_easy_perform calls on one scheduler run concurrently: curl's waits in libc poll park only
    /// their coroutine. The child asserts that every client got its own reply (HTTP 200, a body naming its path), that
    /// the server held at least 10 of the 50 requests at once (usually all 50; serial fetches give 1), that the run
    /// took under 5 s (serial would be 50 × 200 ms = 10 s; 230-470 ms on an idle machine), and that a ticker coroutine
    /// on the clients' scheduler ticked at least 5 times while fetches were in flight (a sync client cannot yield
    /// between counting itself in flight and calling curl, so a tick in flight means curl's wait parked the coroutine
    /// rather than the thread).
    /// </summary>
    [Theory]
    [MemberData(nameof(Matrix))]
    public void Curl_FiftyFetchesOnOneScheduler_AreConcurrent(string scenario, string setting) =>
        HookHost.AssertPasses(scenario, setting);

    /// <summary>
    /// The control of <see cref="CurlScenario.Hooked"/>: without hooks the same fetches (10 of them) block the clients' scheduler thread in poll,
    /// so they run one after another. The child asserts at least 90 % of 10 × 200 ms in all, never more than one
    /// request at the server at once, and no tick of the ticker during a fetch — proving the hooked scenario's
    /// measures can fail, and that they measure the hooks.
    /// </summary>
    [Fact]
    public void Curl_WithoutHooks_Serializes() =>
        HookHost.AssertPasses(CurlScenario.Unhooked, RuntimeSettings.Default);
}
