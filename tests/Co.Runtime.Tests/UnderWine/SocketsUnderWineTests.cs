using Co.TestHost;
using Xunit;

namespace Co.Tests.UnderWine;

/// <summary>The <c>socket-checks</c> run under Wine shared by <see cref="SocketsUnderWineTests"/>.</summary>
public sealed class SocketChecksUnderWine() : CheckRunUnderWine(SocketChecks.Run);

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
    public Task SocketCheck_PassesUnderWine(string check) => checks.AssertPassed(check);

    [Fact]
    public async Task SocketChecks_RanAsWindowsProgram_WithWinsockErrorText()
    {
        HostResult run = (await checks.Run).AssertSuccess();
        Assert.Equal("windows", run.Result("os"));
        // StrError gives the system's text for a WSA code (10061, WSAECONNREFUSED), not strerror's for an errno.
        Assert.Contains("refused", run.Result("error_text"), StringComparison.OrdinalIgnoreCase);
    }
}
