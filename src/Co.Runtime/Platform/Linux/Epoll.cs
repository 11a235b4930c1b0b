using System.Runtime.InteropServices;

namespace Co.Platform.Linux;

/// <summary>epoll's calls, flags and event record, shared by the runtime's poller (<see cref="EpollPoller"/>) and the
/// hook layer's multi-descriptor waits.</summary>
internal static unsafe partial class Epoll
{
    public const int Cloexec = 0x80000;
    public const int CtlAdd = 1;
    public const int CtlDel = 2;
    public const int CtlMod = 3;
    public const uint In = 0x1;
    public const uint Pri = 0x2;
    public const uint Out = 0x4;
    public const uint Err = 0x8;
    public const uint Hup = 0x10;
    public const uint Rdhup = 0x2000;
    public const uint Et = 0x80000000;

    /// <summary>struct epoll_event (packed on x64).</summary>
    [StructLayout(LayoutKind.Sequential, Pack = 4)]
    public struct Event
    {
        public uint Events;
        public ulong Data;
    }

    [LibraryImport("libc", EntryPoint = "epoll_create1", SetLastError = true)]
    public static partial int Create1(int flags);

    [LibraryImport("libc", EntryPoint = "epoll_ctl", SetLastError = true)]
    public static partial int Ctl(int epfd, int op, int fd, Event* registration);

    [LibraryImport("libc", EntryPoint = "epoll_wait", SetLastError = true)]
    public static partial int Wait(int epfd, Event* events, int maxEvents, int timeout);
}
