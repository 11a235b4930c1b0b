using System.Runtime.InteropServices;

namespace Co.Platform;

/// <summary>Which operating systems the runtime runs on, and which of its parts: checked where coroutines start and
/// where the coroutine sockets are entered, so an OS without an implementation fails with a clear message instead of a
/// missing native library. Kept apart from <see cref="CurrentPlatform"/>, whose initializer it must not run.</summary>
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

    /// <summary>Throws <see cref="PlatformNotSupportedException"/> where the coroutine sockets (Sock, IoEvent) are not
    /// built: everywhere but Linux.</summary>
    public static void ThrowIfSocketsUnsupported()
    {
        if (!OperatingSystem.IsLinux())
        {
            throw SocketsUnsupported();
        }
    }

    /// <summary>The exception for an operating system without an implementation.</summary>
    public static PlatformNotSupportedException Unsupported() =>
        new($"Co for .NET runs on Linux and Windows only for now; this is {RuntimeInformation.OSDescription}.");

    /// <summary>The exception for the coroutine sockets where they are not built.</summary>
    public static PlatformNotSupportedException SocketsUnsupported() =>
        new($"Co's coroutine sockets (Sock, IoEvent) run on Linux only for now; on Windows the schedulers, timers and primitives work, and sockets on I/O completion ports are not built yet. This is {RuntimeInformation.OSDescription}.");
}
