using System.Diagnostics;
using Xunit;

namespace Co.Hook.Tests;

/// <summary>
/// The README's <c>DOTNET_STARTUP_HOOKS=.../Co.Hooks.Startup.dll</c> on a program that references nothing of Co
/// (tests/Co.PlainProgram): the hook must load everything it needs from its own folder, install its detours, and
/// otherwise be invisible — a program without coroutines behaves exactly as without the hook. The plain program checks
/// its blocking sockets, HTTP, DNS, sleeps and waits itself, on plain threads and the thread pool, and reports whether
/// libc's <c>recv</c> carries a detour.
/// </summary>
public class PlainProgramTests
{
    public static TheoryData<string> Settings => new(ChildProcess.Settings);

    /// <summary>Under each runtime setting, with the startup hook from the folder the README names: the hook is in
    /// (recv detoured) and every check of the plain program passes.</summary>
    [Theory]
    [MemberData(nameof(Settings))]
    public void StartupHook_PlainProgram_DetouredAndUnchanged(string setting)
    {
        string startupHook = StartupHookAssembly();
        (int exitCode, string output) = RunPlainProgram(startupHook, setting);
        Assert.True(exitCode == 0 && output.Contains("OK plain", StringComparison.Ordinal) && output.Contains("RECV_DETOURED=True", StringComparison.Ordinal),
            $"the plain program with DOTNET_STARTUP_HOOKS={startupHook} under {setting} exited {exitCode}:\n{output}");
    }

    /// <summary>The control: the same program without the hook passes its checks and sees libc's own recv, so the
    /// detour the other runs see is the hook's and the checks hold without it.</summary>
    [Fact]
    public void WithoutStartupHook_PlainProgram_PassesWithRecvUntouched()
    {
        (int exitCode, string output) = RunPlainProgram(startupHook: null, setting: null);
        Assert.True(exitCode == 0 && output.Contains("OK plain", StringComparison.Ordinal) && output.Contains("RECV_DETOURED=False", StringComparison.Ordinal),
            $"the plain program without DOTNET_STARTUP_HOOKS exited {exitCode}:\n{output}");
    }

    /// <summary>A startup hook deployed without a dependency — Iced (the detour engine's decoder), the engine, either
    /// layer, or the entry assembly itself — fails closed: the program starts, runs unhooked (no layer stays half
    /// installed) and passes its checks, and standard error says why.</summary>
    [Theory]
    [InlineData("Iced.dll", "Iced")]
    [InlineData("Co.Hook.Engine.dll", "Co.Hook.Engine")]
    [InlineData("Co.Hook.Native.dll", "Co.Hook.Native")]
    [InlineData("Co.Hook.Managed.dll", "Co.Hook.Managed")]
    [InlineData("Co.Hooks.dll", "Co.Hooks")]
    public void StartupHook_MissingADependency_FailsClosed(string missing, string named)
    {
        string folder = Path.Combine(Path.GetTempPath(), $"co-startup-hook-{Environment.ProcessId}-{Guid.NewGuid():N}");
        try
        {
            string source = Path.GetDirectoryName(StartupHookAssembly())!;
            Directory.CreateDirectory(folder);
            foreach (string file in Directory.GetFiles(source).Where(f => Path.GetFileName(f) != missing))
            {
                File.Copy(file, Path.Combine(folder, Path.GetFileName(file)));
            }

            (int exitCode, string output) = RunPlainProgram(Path.Combine(folder, "Co.Hooks.Startup.dll"), setting: null);
            Assert.True(exitCode == 0 && output.Contains("OK plain", StringComparison.Ordinal) && output.Contains("RECV_DETOURED=False", StringComparison.Ordinal)
                        && output.Contains("Co.Hooks.Startup:", StringComparison.Ordinal) && output.Contains(named, StringComparison.Ordinal),
                $"the plain program with a startup hook missing {missing} exited {exitCode}:\n{output}");
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    /// <summary>Runs tests/Co.PlainProgram's build with DOTNET_STARTUP_HOOKS set to <paramref name="startupHook"/>, or
    /// removed when null (this process may have inherited one), and <paramref name="setting"/> ("NAME=value");
    /// returns its exit code (-1 when killed after 2 minutes) and output.</summary>
    private static (int ExitCode, string Output) RunPlainProgram(string? startupHook, string? setting)
    {
        string program = BuildOutput("tests/Co.PlainProgram", "Co.PlainProgram.dll",
            "Co.Hook.Tests.csproj builds it (a ProjectReference that references no output)");
        var start = new ProcessStartInfo("dotnet", [program])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.Environment.Remove("DOTNET_STARTUP_HOOKS");
        if (startupHook is not null)
        {
            start.Environment["DOTNET_STARTUP_HOOKS"] = startupHook;
        }

        if (setting is not null)
        {
            int equals = setting.IndexOf('=');
            start.Environment[setting[..equals]] = setting[(equals + 1)..];
        }

        using Process child = Process.Start(start)!;
        Task<string> stdout = child.StandardOutput.ReadToEndAsync();
        Task<string> stderr = child.StandardError.ReadToEndAsync();
        var limit = TimeSpan.FromMinutes(2);
        if (!child.WaitForExit(limit))
        {
            child.Kill(entireProcessTree: true);
            child.WaitForExit();
            return (-1, $"timed out after {limit.TotalSeconds} s\n{stdout.Result}{stderr.Result}");
        }

        return (child.ExitCode, stdout.Result + stderr.Result);
    }

    /// <summary>The startup hook where the README tells users to find it, its own project's output folder, rather
    /// than the copy in this test's folder: every Co assembly and Iced sit beside that copy whatever the hook's project
    /// ships, so it would hide a dependency missing from the hook's folder (Iced once was).</summary>
    private static string StartupHookAssembly() =>
        BuildOutput("src/Co.Hooks.Startup", "Co.Hooks.Startup.dll", "Co.Hook.Tests.csproj references the project");

    /// <summary><paramref name="project"/>/bin/&lt;configuration&gt;/&lt;framework&gt;/<paramref name="file"/> under the
    /// folder holding Co.sln above this assembly, in this assembly's own configuration and framework (the names of
    /// its output folder's parent and of the folder itself).</summary>
    private static string BuildOutput(string project, string file, string whyBuilt)
    {
        var output = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar));
        string configuration = output.Parent?.Name ?? "Release";
        DirectoryInfo? root = output;
        while (root is not null && !File.Exists(Path.Combine(root.FullName, "Co.sln")))
        {
            root = root.Parent;
        }

        Assert.True(root is not null, $"no Co.sln above {output.FullName}");
        string path = Path.Combine(root.FullName, project, "bin", configuration, output.Name, file);
        Assert.True(File.Exists(path), $"{path} is missing, though building this test project should have built it ({whyBuilt})");
        return path;
    }
}
