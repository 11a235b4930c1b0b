using System.Collections.Concurrent;
using System.Diagnostics;
using System.Reflection;

namespace Co.Diagnostics;

/// <summary>
/// The call site of a blocking the runtime reports: the first frame of a stack, from the top, whose code is neither
/// Co's own (the runtime and the hook assemblies it ships) nor .NET's — so the method of the client library the user
/// called, or the user's own code. Frames are classified by their assembly, not by the namespace text of the stack:
/// a library may live in a System.* namespace (System.Data.SQLite) and an application in a Co.* one, and both are the
/// user's. .NET's are the assemblies of a shared framework, and Microsoft-published assemblies named System.* or
/// Microsoft.* (the packages that extend the framework).
/// </summary>
internal static class CallSites
{
    /// <summary>The site reported when every frame is Co's or .NET's.</summary>
    internal const string NoneOutsideRuntime = "(no frame outside the runtime)";

    /// <summary>The assemblies Co ships, by simple name (the runtime names the hook assemblies without depending on them).</summary>
    private static readonly HashSet<string> s_coAssemblies =
        ["Co.Runtime", "Co.Hook.Engine", "Co.Hook.Managed", "Co.Hook.Native", "Co.Hooks", "Co.Hooks.Startup"];

    /// <summary>The folder holding every shared framework (…/dotnet/shared), or null for a self-contained layout.</summary>
    private static readonly string? s_sharedFrameworks = SharedFrameworksFolder();

    private static readonly ConcurrentDictionary<Assembly, bool> s_infrastructure = new();

    /// <summary>The site of the calling thread's stack.</summary>
    internal static string OfCurrentStack() => Of(new StackTrace(fNeedFileInfo: false));

    /// <summary>The site of <paramref name="trace"/>: "Namespace.Type.Method(parameters)", or <see cref="NoneOutsideRuntime"/>.</summary>
    internal static string Of(StackTrace trace)
    {
        foreach (StackFrame frame in trace.GetFrames())
        {
            MethodBase? method = frame.GetMethod();
            if (method is null || IsInfrastructure(method.Module.Assembly))
            {
                continue;
            }

            // .NET's own rendering of the frame, "   at X.Y.Z(args) in file:line", without its prefix and file.
            string line = new StackTrace(frame).ToString().Trim();
            line = line.StartsWith("at ", StringComparison.Ordinal) ? line[3..] : line;
            int fileInfo = line.IndexOf(" in ", StringComparison.Ordinal);
            return fileInfo > 0 ? line[..fileInfo] : line;
        }

        return NoneOutsideRuntime;
    }

    /// <summary>Whether <paramref name="assembly"/> is Co's or .NET's.</summary>
    internal static bool IsInfrastructure(Assembly assembly) => s_infrastructure.GetOrAdd(assembly, static assembly =>
    {
        string name = assembly.GetName().Name ?? "";
        if (s_coAssemblies.Contains(name))
        {
            return true;
        }

        string location = assembly.IsDynamic ? "" : assembly.Location;
        if (location.Length > 0 && s_sharedFrameworks is not null && location.StartsWith(s_sharedFrameworks, StringComparison.Ordinal))
        {
            return true;
        }

        bool frameworkName = name is "System" or "mscorlib" or "netstandard" ||
                             name.StartsWith("System.", StringComparison.Ordinal) || name.StartsWith("Microsoft.", StringComparison.Ordinal);
        return frameworkName && assembly.GetCustomAttribute<AssemblyCompanyAttribute>()?.Company == "Microsoft Corporation";
    });

    private static string? SharedFrameworksFolder()
    {
        string core = typeof(object).Assembly.Location; // …/shared/Microsoft.NETCore.App/<version>/System.Private.CoreLib.dll
        if (core.Length == 0)
        {
            return null;
        }

        DirectoryInfo? shared = Directory.GetParent(core)?.Parent?.Parent;
        return shared is { Name: "shared" } ? shared.FullName + Path.DirectorySeparatorChar : null;
    }
}
