using System.Diagnostics;

namespace Co.Testing;

/// <summary>
/// The Wine installation and the throwaway prefix the Windows builds run in: the loader
/// (<see cref="Loader"/>), the prefix folder (artifacts/wine/prefix, made by Wine on its first start), and the
/// once-per-process start-up check.
/// </summary>
public static class WinePrefix
{
    /// <summary>Where Debian's wine64 package puts the 64-bit loader (it is not on PATH).</summary>
    private const string DebianLoader = "/usr/lib/wine/wine64";

    /// <summary>How long the first start may take: creating a prefix takes 10-20 s on a quiet machine.</summary>
    private static readonly TimeSpan s_firstStart = TimeSpan.FromMinutes(3);

    private static readonly object s_gate = new();
    private static string? s_startedWith;

    /// <summary>The prefix folder: artifacts/wine/prefix under the repository.</summary>
    public static string Folder => Path.Combine(RepositoryBuild.Root(), "artifacts", "wine", "prefix");

    /// <summary>The wine64 loader: CO_WINE when set, else Debian's, else wine64 on PATH; throws saying how to install
    /// it when there is none.</summary>
    public static string Loader()
    {
        string? chosen = Environment.GetEnvironmentVariable("CO_WINE");
        if (!string.IsNullOrEmpty(chosen))
        {
            return chosen;
        }

        if (File.Exists(DebianLoader))
        {
            return DebianLoader;
        }

        string? onPath = (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator)
            .Select(directory => Path.Combine(directory, "wine64")).FirstOrDefault(File.Exists);
        return onPath ?? throw new ScenarioFailedException(
            $"Wine is not installed (no {DebianLoader}, no wine64 on PATH, CO_WINE unset): ./build.sh test installs it, or run as root: apt-get install -y --no-install-recommends wine64");
    }

    /// <summary>
    /// A start description running <paramref name="executable"/> under Wine in the prefix, with Wine's debug channels
    /// off (they would mix into the child's standard error) and .NET's W^X off.
    /// </summary>
    /// <remarks>
    /// W^X (write-xor-execute double mapping of JIT code, on by default) is off because with it, under Wine 8.0, .NET
    /// dies at a GC with "Internal CLR error (0x80131506)" on the finalizer thread, in
    /// <c>DynamicResolver+DestroyScout.Finalize</c>, when a process that holds a dynamic method (the reflection invoke
    /// stub that creating a System.Diagnostics.Metrics meter emits) collects garbage while threads spin in managed code.
    /// A plain .NET program without Co reproduces it (a meter, 8 threads in Thread.SpinWait loops, one allocating: dies
    /// with W^X on, passes with it off or without the meter); Co meets it through its meter "Co" and its scheduler
    /// threads' spin before they sleep. With W^X off every scenario passes.
    /// </remarks>
    public static ProcessStartInfo StartInfo(string executable)
    {
        var start = new ProcessStartInfo(Loader());
        start.ArgumentList.Add(executable);
        start.Environment["WINEPREFIX"] = Folder;
        start.Environment["WINEDEBUG"] = "-all";
        start.Environment["DOTNET_EnableWriteXorExecute"] = "0";
        return start;
    }

    /// <summary>Starts <paramref name="executable"/> (a test host) once with no arguments, under a lock, the first time
    /// it is called in this process: that makes the prefix if it is missing, and the host's scenario list must come
    /// back, or Wine cannot start .NET here and this throws saying so with Wine's output.</summary>
    public static void EnsureStarted(string executable)
    {
        lock (s_gate)
        {
            if (s_startedWith == executable)
            {
                return;
            }

            HostResult probe = ChildProcess.Run(new ProbeCommand(executable), [], null, s_firstStart, scenario: null);
            if (probe.TimedOut || !probe.Output.Contains("scenarios:", StringComparison.Ordinal))
            {
                throw new ScenarioFailedException(
                    $"Wine could not start the Windows build of the test host (prefix {Folder}); it should list its scenarios\n{probe.Describe()}");
            }

            s_startedWith = executable;
        }
    }

    /// <summary>The host with no arguments under Wine, for the start-up check.</summary>
    private sealed class ProbeCommand(string executable) : ChildCommand
    {
        public override ProcessStartInfo StartInfo(IEnumerable<string> arguments) => WinePrefix.StartInfo(executable);
    }
}
