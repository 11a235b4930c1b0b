using System.Runtime.InteropServices;

namespace Co.Platform;

/// <summary>Which operating systems the runtime runs on: checked where coroutines start, so another OS fails with a
/// clear message instead of a missing libc. Kept apart from <see cref="CurrentPlatform"/>, whose initializer it must
/// not run.</summary>
internal static class PlatformSupport
{
    /// <summary>Throws <see cref="PlatformNotSupportedException"/> on an operating system without an implementation.</summary>
    public static void ThrowIfUnsupported()
    {
        if (!OperatingSystem.IsLinux())
        {
            throw Unsupported();
        }
    }

    /// <summary>The exception for an operating system without an implementation.</summary>
    public static PlatformNotSupportedException Unsupported() =>
        new($"Co for .NET runs on Linux only for now; this is {RuntimeInformation.OSDescription}.");
}
