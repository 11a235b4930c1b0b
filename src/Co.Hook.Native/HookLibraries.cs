namespace Co.Hook;

/// <summary>The libraries whose exports the native hooks declare (<see cref="NativeHookAttribute"/>).</summary>
internal static class HookLibraries
{
    /// <summary>glibc, on Linux.</summary>
    public const string Libc = "libc.so.6";
}
