using System.Runtime.InteropServices;

namespace Co.Platform;

/// <summary>Which operating systems the runtime runs on: checked where coroutines start, so an OS without an
/// implementation fails with a clear message instead of a missing native library. Kept apart from <see cref="CurrentPlatform"/>, whose initializer it must not run.</summary>
internal static class PlatformSupport
{
    /// <summary>Throws <see cref="PlatformNotSupportedException"/> on an operating system without an implementation
    /// (Linux and Windows have one; macOS is the next).</summary>
    public static void ThrowIfUnsupported()
    {
        if (!OperatingSystem.IsLinux() && !OperatingSystem.IsWindows())
        {
            throw Unsupported();
        }
    }

    /// <summary>The exception for an operating system without an implementation.</summary>
    public static PlatformNotSupportedException Unsupported() =>
        new($"Co for .NET runs on Linux and Windows only for now; this is {RuntimeInformation.OSDescription}.");
}
