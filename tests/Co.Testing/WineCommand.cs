using System.Diagnostics;
using System.Reflection;

namespace Co.Testing;

/// <summary>
/// Runs the Windows build of a test host under Wine: <c>wine64 &lt;repo&gt;/artifacts/wine/&lt;Host&gt;/&lt;Host&gt;.exe
/// arguments...</c>, the exe a win-x64 self-contained publish of the host (<c>./build.sh test</c> makes it; see
/// <see cref="PublishCommand"/>), with WINEPREFIX at a throwaway prefix in artifacts/wine/prefix and WINEDEBUG=-all.
/// Everything a child prints is the Windows build's own output; results are "under Wine", never "on Windows".
/// </summary>
/// <remarks>
/// The first command of a test process starts the host once with no scenario (<see cref="WinePrefix.EnsureStarted"/>):
/// that creates the prefix if it is missing (so parallel tests never race to create it) and proves Wine can start .NET
/// at all, failing every Wine test with one clear message when it cannot.
/// </remarks>
public sealed class WineCommand : ChildCommand
{
    private readonly string _executable;

    private WineCommand(string executable) => _executable = executable;

    /// <summary>The command running the published Windows build of the test host <paramref name="host"/>; throws, with
    /// the command that makes it, when the publish is missing or older than the host's Linux build.</summary>
    public static WineCommand ForWindowsBuildOf(Assembly host)
    {
        string name = host.GetName().Name ?? throw new ArgumentException("host assembly without a name", nameof(host));
        string folder = Path.Combine(RepositoryBuild.Root(), "artifacts", "wine", name);
        string executable = Path.Combine(folder, name + ".exe");
        string published = Path.Combine(folder, name + ".dll");
        if (!File.Exists(executable) || !File.Exists(published))
        {
            throw new ScenarioFailedException($"{executable} is missing: ./build.sh test publishes it, or run: {PublishCommand(name)}");
        }

        if (File.GetLastWriteTimeUtc(published) < File.GetLastWriteTimeUtc(host.Location))
        {
            throw new ScenarioFailedException($"{published} is older than {host.Location} (a stale Windows build): run {PublishCommand(name)}");
        }

        WinePrefix.EnsureStarted(executable);
        return new WineCommand(executable);
    }

    /// <summary>The publish that makes the Windows build of the host project <paramref name="project"/> (a folder of
    /// tests/), run from the repository's root.</summary>
    public static string PublishCommand(string project) =>
        $"dotnet publish tests/{project} -c Release -r win-x64 --self-contained -o artifacts/wine/{project}";

    /// <inheritdoc/>
    public override ProcessStartInfo StartInfo(IEnumerable<string> arguments)
    {
        ProcessStartInfo start = WinePrefix.StartInfo(_executable);
        foreach (string argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        return start;
    }
}
