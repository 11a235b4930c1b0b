using Co.Platform.Linux;
using Co.Platform.Windows;

namespace Co.Platform;

/// <summary>
/// The operating system's implementations of the platform interfaces, chosen once at startup: the one place that
/// names a platform's types (Platform/Linux, Platform/Windows; Platform/MacOS would go beside them). Scheduling,
/// waiting, the primitives and Net/ reach the OS only through these fields.
/// </summary>
/// <remarks>Each field is static readonly and holds a sealed class, so once the type is initialized the JIT knows the
/// exact class and devirtualizes (and inlines) calls through it: the futex hand-off and epoll_wait cost what direct
/// calls did.</remarks>
internal static class CurrentPlatform
{
    /// <summary>Sleeping on a word: the baton hand-off.</summary>
    public static readonly IAddressWait AddressWait = OperatingSystem.IsLinux() ? new LinuxAddressWait()
        : OperatingSystem.IsWindows() ? new WindowsAddressWait() : throw PlatformSupport.Unsupported();

    /// <summary>Thread ids and CPU affinity.</summary>
    public static readonly IThreadPlacement Threads = OperatingSystem.IsLinux() ? new LinuxThreadPlacement()
        : OperatingSystem.IsWindows() ? new WindowsThreadPlacement() : throw PlatformSupport.Unsupported();

    /// <summary>What the blocked-scheduler monitor reads of other threads.</summary>
    public static readonly IThreadInspector Inspector = OperatingSystem.IsLinux() ? new LinuxThreadInspector()
        : OperatingSystem.IsWindows() ? new WindowsThreadInspector() : throw PlatformSupport.Unsupported();

    /// <summary>The hook gates' per-thread flags word.</summary>
    public static readonly IHookThreadFlags HookFlags = OperatingSystem.IsLinux() ? new LinuxHookThreadFlags()
        : OperatingSystem.IsWindows() ? new WindowsHookThreadFlags() : throw PlatformSupport.Unsupported();

    /// <summary>Socket attempts, error codes and the poller.</summary>
    public static readonly ISocketCalls Sockets = OperatingSystem.IsLinux() ? new LinuxSocketCalls()
        : OperatingSystem.IsWindows() ? new WindowsSocketCalls() : throw PlatformSupport.Unsupported();
}
