using System.Runtime.InteropServices;

namespace Co.Platform.Windows;

/// <summary>
/// Socket readiness on an I/O completion port: the AFD driver's poll request (IOCTL_AFD_POLL), the mechanism under
/// Winsock's own select and WSAPoll, issued asynchronously. A request names a socket and the events wanted; it
/// completes once, on the port, as soon as one of them holds — at once if one holds already — and reports which. The
/// requests are made on a helper handle opened on the AFD device (one per poller, associated with its port), not on
/// the sockets, so a socket needs no association with the port and may belong to another (as .NET's own sockets do).
/// This is what libuv and wepoll do; it is documented by neither Microsoft nor Winsock, but stable since Windows XP,
/// and Wine implements it (its select and WSAPoll are built on it).
/// </summary>
internal static unsafe partial class AfdPoll
{
    /// <summary>IOCTL_AFD_POLL.</summary>
    private const uint IoctlAfdPoll = 0x00012024;

    /// <summary>STATUS_PENDING: the request completes later, on the port.</summary>
    public const int StatusPending = 0x103;

    public const uint Receive = 0x0001;
    public const uint Send = 0x0004;
    public const uint Disconnect = 0x0008;
    public const uint Abort = 0x0010;
    public const uint LocalClose = 0x0020;
    public const uint Accept = 0x0080;
    public const uint ConnectFail = 0x0100;

    /// <summary>What a reader waits for: data, a connection to accept, or anything that ends the wait with a result
    /// (the peer's FIN, a reset, a failed connect, the socket closed here).</summary>
    public const uint ReadEvents = Receive | Accept | Disconnect | Abort | LocalClose | ConnectFail;

    /// <summary>What a writer waits for: room to send (which is also how a connect completes), or a failure. The
    /// peer's FIN is not one: a half-closed connection can still send.</summary>
    public const uint WriteEvents = Send | Abort | LocalClose | ConnectFail;

    /// <summary>The events after which a receive always has something to report (end of stream or an error).</summary>
    public const uint HangUpEvents = Disconnect | Abort | LocalClose | ConnectFail;

    /// <summary>
    /// One poll request for one socket (IO_STATUS_BLOCK, then AFD_POLL_INFO with one AFD_POLL_HANDLE_INFO), followed by
    /// what the completion needs to find its registration. The request's address is the completion's OVERLAPPED
    /// pointer. It lives in native memory, because the driver writes to it until the request completes, which may be
    /// after the registration is released.
    /// </summary>
    [StructLayout(LayoutKind.Sequential)]
    public struct Request
    {
        // IO_STATUS_BLOCK
        public nint Status;
        public nuint Information;

        // AFD_POLL_INFO
        public long Timeout;
        public uint HandleCount;
        public uint Exclusive;

        // AFD_POLL_HANDLE_INFO
        public nint Socket;
        public uint Events;
        public int HandleStatus;

        /// <summary>GCHandle of the owning <see cref="AfdPollRegistration"/>.</summary>
        public nint Owner;

        /// <summary>Whether this is the read request (else the write request) of its registration.</summary>
        public int IsRead;
    }

    /// <summary>The part of <see cref="Request"/> the driver reads and writes back (AFD_POLL_INFO).</summary>
    private static readonly int s_pollInfoOffset = (int)Marshal.OffsetOf<Request>(nameof(Request.Timeout));
    private static readonly int s_pollInfoLength = (int)Marshal.OffsetOf<Request>(nameof(Request.Owner)) - s_pollInfoOffset;

    /// <summary>Opens a helper handle on the AFD device, for <see cref="Issue"/>; returns 0 and the NTSTATUS on failure.</summary>
    public static nint OpenHelper(out int status)
    {
        const string DeviceName = @"\Device\Afd\Co";
        fixed (char* name = DeviceName)
        {
            ushort nameBytes = (ushort)(DeviceName.Length * sizeof(char));
            var unicodeName = new UnicodeString { Length = nameBytes, MaximumLength = nameBytes, Buffer = name };
            var attributes = new ObjectAttributes { Length = (uint)sizeof(ObjectAttributes), ObjectName = &unicodeName };
            Request statusBlock = default; // only its IO_STATUS_BLOCK part is written
            const uint Synchronize = 0x00100000;
            const uint ShareReadWrite = 0x1 | 0x2;
            const uint OpenExisting = 1;
            status = NtCreateFile(out nint handle, Synchronize, &attributes, &statusBlock, null, 0, ShareReadWrite, OpenExisting, 0, null, 0);
            return status == 0 ? handle : 0;
        }
    }

    /// <summary>Issues <paramref name="request"/> (its socket and events set) on <paramref name="helper"/>; the
    /// NTSTATUS: pending or success (a completion packet will come), or a failure (none will).</summary>
    public static int Issue(nint helper, Request* request)
    {
        request->Status = StatusPending;
        request->Timeout = long.MaxValue;
        request->HandleCount = 1;
        request->Exclusive = 0;
        request->HandleStatus = 0;
        byte* pollInfo = (byte*)request + s_pollInfoOffset;
        return NtDeviceIoControlFile(helper, 0, 0, request, request, IoctlAfdPoll, pollInfo, (uint)s_pollInfoLength, pollInfo, (uint)s_pollInfoLength);
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct UnicodeString
    {
        public ushort Length;
        public ushort MaximumLength;
        public char* Buffer;
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct ObjectAttributes
    {
        public uint Length;
        public nint RootDirectory;
        public UnicodeString* ObjectName;
        public uint Attributes;
        public nint SecurityDescriptor;
        public nint SecurityQualityOfService;
    }

    [LibraryImport("ntdll.dll")]
    private static partial int NtCreateFile(out nint handle, uint access, ObjectAttributes* attributes, Request* statusBlock,
        long* allocationSize, uint fileAttributes, uint shareAccess, uint disposition, uint options, void* extendedAttributes,
        uint extendedAttributesLength);

    [LibraryImport("ntdll.dll")]
    private static partial int NtDeviceIoControlFile(nint handle, nint eventHandle, nint apcRoutine, void* apcContext,
        Request* statusBlock, uint code, void* input, uint inputLength, void* output, uint outputLength);
}
