using System.Diagnostics;
using System.Reflection;

namespace Co.Testing;

/// <summary>
/// How a child program is started: the seam between the harness (<see cref="ChildProcess"/>) and the platform. Today
/// a child is either a framework-dependent assembly run by <c>dotnet</c> (<see cref="DotnetCommand"/>, the Linux runs), or
/// the Windows build of a test host run under Wine (<see cref="WineCommand"/>: <c>wine64 host.exe</c> from a win-x64
/// self-contained publish, with WINEPREFIX/WINEDEBUG set).
/// </summary>
public abstract class ChildCommand
{
    /// <summary>The command that runs the test host <paramref name="host"/> (an assembly beside the tests).</summary>
    public static ChildCommand ForHost(Assembly host) => new DotnetCommand(host.Location);

    /// <summary>A start description for the program with <paramref name="arguments"/>; the harness adds the
    /// redirections and the environment.</summary>
    public abstract ProcessStartInfo StartInfo(IEnumerable<string> arguments);
}
