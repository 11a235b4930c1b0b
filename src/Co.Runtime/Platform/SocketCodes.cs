namespace Co.Platform;

/// <summary>The platform's socket error codes and address families that the platform-neutral socket code (Net/) tests
/// for or reports, read once from <see cref="CurrentPlatform.Sockets"/>. Static readonly, so the JIT folds them into
/// constants after startup: a test against them costs what a test against a literal does.</summary>
internal static class SocketCodes
{
    /// <summary>The attempt would block (EAGAIN).</summary>
    public static readonly int WouldBlock = CurrentPlatform.Sockets.Codes.WouldBlock;

    /// <summary>Not a valid (or no longer an open) descriptor (EBADF).</summary>
    public static readonly int BadDescriptor = CurrentPlatform.Sockets.Codes.BadDescriptor;

    /// <summary>co's timeout (ETIMEDOUT).</summary>
    public static readonly int TimedOut = CurrentPlatform.Sockets.Codes.TimedOut;

    /// <summary>The IPv4 address family in a socket address (AF_INET).</summary>
    public static readonly int InterNetwork = CurrentPlatform.Sockets.Codes.InterNetwork;

    /// <summary>The IPv6 address family in a socket address (AF_INET6).</summary>
    public static readonly int InterNetworkV6 = CurrentPlatform.Sockets.Codes.InterNetworkV6;

    /// <summary>A platform's values of the codes above.</summary>
    internal readonly record struct Values(int WouldBlock, int BadDescriptor, int TimedOut, int InterNetwork, int InterNetworkV6);
}
