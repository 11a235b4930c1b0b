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
    /// the command that makes it, when the publish is missing or stale (see <see cref="ThrowIfStale"/>).</summary>
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

        ThrowIfStale(published, PublishCommand(name), Path.Combine("tests", name), Path.Combine("tests", "Co.Testing"), "src");
        WinePrefix.EnsureStarted(executable);
        return new WineCommand(executable);
    }

    /// <summary>The Windows build of the sample <paramref name="sample"/> (a folder of samples/), published by
    /// <c>./build.sh test</c> into artifacts/wine/&lt;sample&gt;: its exe, to start with <see cref="WinePrefix.StartInfo"/>;
    /// throws, with the command that makes it, when it is missing or stale (see <see cref="ThrowIfStale"/>).</summary>
    public static string PublishedSample(string sample) => Published("samples", sample);

    /// <summary>The Windows build of bench/Co.Benchmarks, published by <c>./build.sh test</c> (and by
    /// <c>./build.sh bench wine</c>) into artifacts/wine/Co.Benchmarks, as <see cref="PublishedSample"/>.</summary>
    public static string PublishedBenchmarks() => Published("bench", "Co.Benchmarks");

    /// <summary>The exe of the project <paramref name="tree"/>/<paramref name="name"/> published for win-x64 into
    /// artifacts/wine/<paramref name="name"/>; throws when it is missing or stale.</summary>
    private static string Published(string tree, string name)
    {
        string folder = Path.Combine(RepositoryBuild.Root(), "artifacts", "wine", name);
        string executable = Path.Combine(folder, name + ".exe");
        string publish = $"dotnet publish {tree}/{name} -c Release -r win-x64 --self-contained -o artifacts/wine/{name}";
        if (!File.Exists(executable))
        {
            throw new ScenarioFailedException($"{executable} is missing: ./build.sh test publishes it, or run: {publish}");
        }

        ThrowIfStale(Path.Combine(folder, name + ".dll"), publish, Path.Combine(tree, name), "src");
        return executable;
    }

    /// <summary>
    /// Throws, saying to run <paramref name="publish"/>, when a C# source under one of <paramref name="trees"/> (folders
    /// of the repository) is newer than the published <paramref name="assembly"/>. Sources, not the Linux build:
    /// publishing for win-x64 restores the project for that runtime, which makes the next Linux build compile again
    /// although nothing changed, and an unchanged publish keeps its older assembly.
    /// </summary>
    private static void ThrowIfStale(string assembly, string publish, params string[] trees)
    {
        DateTime published = File.GetLastWriteTimeUtc(assembly);
        string objFolder = $"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}";
        string? newer = trees
            .SelectMany(tree => Directory.EnumerateFiles(Path.Combine(RepositoryBuild.Root(), tree), "*.cs", SearchOption.AllDirectories))
            .Where(file => !file.Contains(objFolder, StringComparison.Ordinal))
            .FirstOrDefault(file => File.GetLastWriteTimeUtc(file) > published);
        if (newer is not null)
        {
            throw new ScenarioFailedException($"{assembly} is older than {newer} (a stale Windows build): run {publish}");
        }
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
