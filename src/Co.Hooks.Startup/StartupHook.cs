using System.Runtime.Loader;

/// <summary>
/// Enables Co's hooks with no change to the application: run it with
/// <c>DOTNET_STARTUP_HOOKS=/path/to/Co.Hooks.Startup.dll</c>. The runtime calls <see cref="Initialize"/> before
/// <c>Main</c>, which is as early as hooks should be installed (before sockets are in use).
/// </summary>
/// <remarks>
/// .NET looks the class up by this exact name, in the global namespace. The hook's own dependencies (Co.Hooks, its
/// layers Co.Hook.Native and Co.Hook.Managed, Co.Hook.Engine, Co.Runtime, Iced) are taken from the application when
/// it has them, and otherwise from this assembly's folder. If one is missing, the hook fails closed: it writes one
/// line to standard error and the program runs unhooked.
/// </remarks>
internal static class StartupHook
{
    /// <summary>Called by the runtime before the application's entry point.</summary>
    public static void Initialize()
    {
        string folder = Path.GetDirectoryName(typeof(StartupHook).Assembly.Location) ?? AppContext.BaseDirectory;
        AssemblyLoadContext.Default.Resolving += (context, name) =>
        {
            string candidate = Path.Combine(folder, name.Name + ".dll");
            return File.Exists(candidate) ? context.LoadFromAssemblyPath(candidate) : null;
        };
        try
        {
            Enable();
        }
        catch (Exception exception) when (exception is FileNotFoundException or FileLoadException or BadImageFormatException)
        {
            // The hook's own assemblies are not beside it: fail closed, the program runs as it would without the hook.
            Console.Error.WriteLine($"Co.Hooks.Startup: hooks not enabled: {exception.Message}");
        }
    }

    // In a method of its own so that Co.Hooks is resolved only after the handler above is in place.
    private static void Enable()
    {
        Co.Hooks.Enable();

        // A program with no code of ours has no other way to learn that nothing was hooked (Iced missing, say).
        if (Co.Hooks.Status.TryGetValue("*", out Co.HookStatus why))
        {
            Console.Error.WriteLine($"Co.Hooks.Startup: {why}");
        }
    }
}
