using Co.TestHost;
using Xunit;

namespace Co.Tests.UnderWine;

/// <summary>One run of the <c>socket-checks</c> scenario in the Windows build under Wine, shared by the tests of
/// <see cref="SocketsUnderWineTests"/> (a Wine start costs seconds).</summary>
public sealed class SocketChecksUnderWine
{
    private readonly Lazy<Task<HostResult>> _run = new(() =>
        TestHost.RunUnderWineAsync(SocketChecks.Run, TestHost.Env(("CO_SCHED_NUM", "2")), 300_000));

    /// <summary>The run, started by the first test that asks.</summary>
    public Task<HostResult> Run => _run.Value;
}

/// <summary>
/// The coroutine sockets in their Windows build (Winsock; readiness from AFD poll requests completing on each
/// scheduler's I/O completion port), under Wine 8 on this Linux machine: Wine implements Winsock on Linux sockets, so
/// these are results "under Wine", not "on Windows". Each check reports the platform's own error codes (WSA codes).
/// </summary>
public sealed class SocketsUnderWineTests(SocketChecksUnderWine checks) : IClassFixture<SocketChecksUnderWine>
{
    /// <summary>Every check of the socket-checks scenario.</summary>
    public static TheoryData<string> CheckNames() => [.. SocketChecks.CheckNames];

    [Theory]
    [MemberData(nameof(CheckNames))]
    public async Task SocketCheck_PassesUnderWine(string check)
    {
        HostResult run = await checks.Run;
        string? line = run.LinesStartingWith($"CHECK {check} ").LastOrDefault();
        Assert.True(line == $"CHECK {check} passed", $"{line ?? $"no line for check {check}"}\n{run.Describe()}");
    }

    [Fact]
    public async Task SocketChecks_RanAsWindowsProgram_WithWinsockErrorText()
    {
        HostResult run = (await checks.Run).AssertSuccess();
        Assert.Equal("windows", run.Result("os"));
        // StrError gives the system's text for a WSA code (10061, WSAECONNREFUSED), not strerror's for an errno.
        Assert.Contains("refused", run.Result("error_text"), StringComparison.OrdinalIgnoreCase);
    }
}
