using System.ComponentModel;
using System.Runtime.InteropServices;

namespace Co.Platform.Windows;

/// <summary>
/// <see cref="IPoller"/> on an I/O completion port, one per scheduler (co's Windows design): <see cref="Wait"/> is
/// GetQueuedCompletionStatusEx bounded by the nearest timer, <see cref="Wake"/> posts a completion packet with
/// <see cref="s_wakeKey"/>. Each wake posts one packet, so wakes do not coalesce in the port as an eventfd's do; the loop
/// takes up to <see cref="EntryBatch"/> at a time and ignores the wake packets, so a burst of wakes costs at most a few
/// extra returns.
/// </summary>
/// <remarks>Socket readiness on the port (a zero-byte overlapped WSARecv/WSASend per waiting direction, co's scheme) is
/// not built yet: the coroutine sockets refuse to run on Windows before they reach <see cref="Register"/>.</remarks>
internal sealed unsafe class IocpPoller : IPoller
{
    private static readonly nuint s_wakeKey = nuint.MaxValue;
    private const int EntryBatch = 64;
    private static readonly nint s_invalidHandle = -1;

    private readonly nint _port;
    private readonly Kernel32.OverlappedEntry[] _entries = GC.AllocateArray<Kernel32.OverlappedEntry>(EntryBatch, pinned: true);

    public IocpPoller()
    {
        _port = Kernel32.CreateIoCompletionPort(s_invalidHandle, 0, 0, 1);
        if (_port == 0)
        {
            throw new Win32Exception(Marshal.GetLastPInvokeError(), "CreateIoCompletionPort failed");
        }
    }

    public void Wait(int timeoutMs)
    {
        uint milliseconds = timeoutMs < 0 ? Kernel32.Infinite : (uint)timeoutMs;
        fixed (Kernel32.OverlappedEntry* entries = _entries)
        {
            // FALSE with WAIT_TIMEOUT is the timer's turn; every packet is a wake until sockets post their own.
            Kernel32.GetQueuedCompletionStatusEx(_port, entries, EntryBatch, out _, milliseconds, alertable: false);
        }
    }

    /// <summary>Until sockets post their own packets (<see cref="Register"/> refuses), every packet on the port is a
    /// wake-up meant for the holder: there is nothing to collect on its behalf, and taking a packet would only take its
    /// wake-up. The readiness monitor does not run before a socket registers anyway.</summary>
    public int PollOnBehalf() => 0;

    public void Wake()
    {
        if (!Kernel32.PostQueuedCompletionStatus(_port, 0, s_wakeKey, 0))
        {
            throw new Win32Exception(Marshal.GetLastPInvokeError(), "PostQueuedCompletionStatus failed");
        }
    }

    public int Register(int fd, ulong token) => throw PlatformSupport.SocketsUnsupported();

    public bool IsRegistered(int fd, ulong token) => throw PlatformSupport.SocketsUnsupported();

    public void Dispose() => Kernel32.CloseHandle(_port);
}
