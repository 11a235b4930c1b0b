using Co.Testing;
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
    public static TheoryData<string> Settings => new(RuntimeSettings.CodeGeneration);

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
        string program = RepositoryBuild.Output("tests/Co.PlainProgram", "Co.PlainProgram.dll",
            "though building this test project should have built it: Co.Hook.Tests.csproj builds it (a ProjectReference that references no output)");
        Dictionary<string, string?> environment = setting is null ? [] : RuntimeSettings.Environment(setting);
        environment["DOTNET_STARTUP_HOOKS"] = startupHook;
        HostResult run = ChildProcess.Run(new DotnetCommand(program), [], environment, TimeSpan.FromMinutes(2), scenario: null);
        return run.TimedOut ? (-1, $"timed out after 120 s\n{run.Output}") : (run.ExitCode, run.Output);
    }

    /// <summary>The startup hook where the README tells users to find it, its own project's output folder, rather
    /// than the copy in this test's folder: every Co assembly and Iced sit beside that copy whatever the hook's project
    /// ships, so it would hide a dependency missing from the hook's folder (Iced once was).</summary>
    private static string StartupHookAssembly() =>
        RepositoryBuild.Output("src/Co.Hooks.Startup", "Co.Hooks.Startup.dll", "though building this test project should have built it: Co.Hook.Tests.csproj references the project");
}
