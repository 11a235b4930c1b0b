using System.ComponentModel;
using System.Runtime.InteropServices;

namespace Co.Platform.Windows;

/// <summary>
/// <see cref="IPoller"/> on an I/O completion port, one per scheduler (co's Windows design). <see cref="Wait"/> is
/// GetQueuedCompletionStatusEx bounded by the nearest timer; <see cref="Wake"/> posts a packet with
/// <see cref="WakeKey"/>. Socket readiness is request-driven (see <see cref="IPoller"/>): each registered socket has an
/// <see cref="AfdPollRegistration"/>, whose requests are issued on this poller's AFD helper handle and complete as
/// packets with <see cref="ReadinessKey"/>; each dequeued one is delivered to the sink as one direction's readiness.
/// </summary>
/// <remarks>
/// <para>Each wake posts one packet, so wakes do not coalesce in the port as an eventfd's do; the loop takes up to
/// <see cref="EntryBatch"/> at a time and ignores wake packets, so a burst of wakes costs at most a few extra returns.
/// A packet is dequeued once, by the holder's <see cref="Wait"/> or the readiness monitor's <see cref="PollOnBehalf"/>,
/// which posts a wake it took back for the holder.</para>
/// <para>The socket is not associated with the port: a socket belongs for life to the one port it is associated with,
/// and the requests name it from the helper instead, so any socket can be polled — one .NET's own sockets already
/// hold, and one that coroutines of several schedulers share (the scheduler that registered it first reports its
/// readiness, as on Linux).</para>
/// </remarks>
internal sealed unsafe class IocpPoller : IPoller
{
    private const nuint WakeKey = 1;
    private const nuint ReadinessKey = 2;
    private const int EntryBatch = 64;
    private static readonly nint s_invalidHandle = -1;

    private readonly IReadinessSink _sink;
    private readonly nint _port;
    private readonly Kernel32.OverlappedEntry[] _entries = GC.AllocateArray<Kernel32.OverlappedEntry>(EntryBatch, pinned: true);

    public IocpPoller(IReadinessSink sink)
    {
        _sink = sink;
        _port = Kernel32.CreateIoCompletionPort(s_invalidHandle, 0, 0, 1);
        if (_port == 0)
        {
            throw new Win32Exception(Marshal.GetLastPInvokeError(), "CreateIoCompletionPort failed");
        }

        Helper = AfdPoll.OpenHelper(out int status);
        if (Helper == 0)
        {
            Kernel32.CloseHandle(_port);
            throw new Win32Exception($"Opening the AFD device for socket readiness failed (NTSTATUS 0x{status:X8})");
        }

        if (Kernel32.CreateIoCompletionPort(Helper, _port, ReadinessKey, 0) == 0)
        {
            int error = Marshal.GetLastPInvokeError();
            Kernel32.CloseHandle(Helper);
            Kernel32.CloseHandle(_port);
            throw new Win32Exception(error, "Associating the AFD helper with the completion port failed");
        }
    }

    /// <summary>The AFD helper handle the registrations issue their requests on.</summary>
    internal nint Helper { get; }

    public void Wait(int timeoutMs)
    {
        uint milliseconds = timeoutMs < 0 ? Kernel32.Infinite : (uint)timeoutMs;
        fixed (Kernel32.OverlappedEntry* entries = _entries)
        {
            // FALSE with WAIT_TIMEOUT is the timer's turn.
            if (Kernel32.GetQueuedCompletionStatusEx(_port, entries, EntryBatch, out uint removed, milliseconds, alertable: false))
            {
                DeliverAll(entries, removed, out _);
            }
        }
    }

    public int PollOnBehalf()
    {
        // Its own buffer: the holder may be in Wait with _entries meanwhile.
        Kernel32.OverlappedEntry* entries = stackalloc Kernel32.OverlappedEntry[EntryBatch];
        if (!Kernel32.GetQueuedCompletionStatusEx(_port, entries, EntryBatch, out uint removed, 0, alertable: false))
        {
            return 0;
        }

        int delivered = DeliverAll(entries, removed, out bool tookWake);
        if (tookWake)
        {
            Wake();
        }

        return delivered;
    }

    public void Wake()
    {
        if (!Kernel32.PostQueuedCompletionStatus(_port, 0, WakeKey, 0))
        {
            throw new Win32Exception(Marshal.GetLastPInvokeError(), "PostQueuedCompletionStatus failed");
        }
    }

    public int Register(int fd, ulong token, out IPollRegistration? registration)
    {
        // A handle that is not a socket is refused with WSAENOTSOCK (Wine answers SIO_BASE_HANDLE for any handle). The
        // requests name the base provider's socket, which AFD knows: the same handle unless a layered provider sits
        // on top.
        nint socket = fd;
        nint baseSocket;
        uint returned;
        if (!IsSocket(fd) || Ws2_32.WSAIoctl(socket, Ws2_32.SioBaseHandle, null, 0, &baseSocket, (uint)sizeof(nint), &returned, 0, 0) != 0)
        {
            registration = null;
            return Marshal.GetLastPInvokeError();
        }

        registration = new AfdPollRegistration(this, baseSocket, token);
        return 0;
    }

    /// <summary>Whether <paramref name="fd"/> is still a socket. Nothing of the registration lives in the kernel here
    /// (each wait makes its own request), so a handle closed and reused for another socket needs no new
    /// registration; a handle that is no longer a socket is refused when registered again.</summary>
    public bool IsRegistered(int fd, ulong token) => IsSocket(fd);

    /// <summary>Delivers one direction's readiness of the registration with <paramref name="token"/>.</summary>
    internal void Deliver(ulong token, bool read, uint events) =>
        _sink.OnReady(token, readable: read, writable: !read, hungUp: (events & AfdPoll.HangUpEvents) != 0);

    public void Dispose()
    {
        Kernel32.CloseHandle(Helper);
        Kernel32.CloseHandle(_port);
    }

    /// <summary>Whether <paramref name="fd"/> is an open socket (else the last error says why not).</summary>
    private static bool IsSocket(int fd)
    {
        int type;
        int length = sizeof(int);
        return Ws2_32.GetSockOpt(fd, Ws2_32.SolSocket, Ws2_32.SoType, (byte*)&type, &length) == 0;
    }

    private int DeliverAll(Kernel32.OverlappedEntry* entries, uint count, out bool tookWake)
    {
        tookWake = false;
        int delivered = 0;
        for (int i = 0; i < count; i++)
        {
            if (entries[i].CompletionKey == WakeKey)
            {
                tookWake = true;
                continue;
            }

            var request = (AfdPoll.Request*)entries[i].Overlapped;
            AfdPollRegistration registration = AfdPollRegistration.Complete(request, out bool read, out uint events);
            Deliver(registration.Token, read, events);
            delivered++;
        }

        return delivered;
    }
}
