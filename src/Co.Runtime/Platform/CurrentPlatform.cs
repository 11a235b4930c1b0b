using Co.Platform.Linux;

namespace Co.Platform;

/// <summary>
/// The operating system's implementations of the platform interfaces, chosen once at startup: the one place that
/// names a platform's types (Platform/Linux today; Platform/Windows and Platform/MacOS go beside it). Scheduling,
/// waiting, the primitives and Net/ reach the OS only through these fields.
/// </summary>
/// <remarks>Each field is static readonly and holds a sealed class, so once the type is initialized the JIT knows the
/// exact class and devirtualizes (and inlines) calls through it: the futex hand-off and epoll_wait cost what direct
/// calls did.</remarks>
internal static class CurrentPlatform
{
    /// <summary>Sleeping on a word: the baton hand-off.</summary>
    public static readonly IAddressWait AddressWait = OperatingSystem.IsLinux() ? new LinuxAddressWait() : throw PlatformSupport.Unsupported();

    /// <summary>Thread ids and CPU affinity.</summary>
    public static readonly IThreadPlacement Threads = OperatingSystem.IsLinux() ? new LinuxThreadPlacement() : throw PlatformSupport.Unsupported();

    /// <summary>What the blocked-scheduler monitor reads of other threads.</summary>
    public static readonly IThreadInspector Inspector = OperatingSystem.IsLinux() ? new LinuxThreadInspector() : throw PlatformSupport.Unsupported();

    /// <summary>The hook gates' per-thread flags word.</summary>
    public static readonly IHookThreadFlags HookFlags = OperatingSystem.IsLinux() ? new LinuxHookThreadFlags() : throw PlatformSupport.Unsupported();

    /// <summary>Socket attempts, error codes and the poller.</summary>
    public static readonly ISocketCalls Sockets = OperatingSystem.IsLinux() ? new LinuxSocketCalls() : throw PlatformSupport.Unsupported();
}
