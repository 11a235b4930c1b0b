using System.Runtime.InteropServices;
using Co.Hook.Gates;
using Co.Platform.Linux;

namespace Co.Hook.Handlers;

/// <summary>
/// read, write, readv and writev on sockets (the gate lets only tracked sockets through). They have no flags argument,
/// so the non-blocking attempt is the socket call that means the same — recv, send, recvmsg, sendmsg with MSG_DONTWAIT
/// (for a socket, read is recv with no flags, readv is recvmsg with the same iovecs; send keeps write's SIGPIPE) — and
/// the caller's own call when it would not block. write, like a blocking write, sends the whole buffer; writev reports a
/// partial send as it comes.
/// </summary>
/// <remarks>Should a tracked number no longer be a socket (closed past libc's close and reused, see
/// <see cref="SocketBitmap"/>), the attempt fails with ENOTSOCK: the bit is cleared and the caller's call runs as is.</remarks>
internal static unsafe partial class StreamHandlers
{
    [NativeHook(HookLibraries.Libc, "read", Gate = NativeGate.TrackedSocketsOnly)]
    [UnmanagedCallersOnly]
    internal static nint Read(int fd, void* buffer, nint length) =>
        BlockingTransfer.Run(fd, 0, read: true, new ReadCall(fd, buffer, length));

    [NativeHook(HookLibraries.Libc, "write", Gate = NativeGate.TrackedSocketsOnly)]
    [UnmanagedCallersOnly]
    internal static nint Write(int fd, void* buffer, nint length) =>
        BlockingTransfer.SendFully(fd, 0, length, new WriteCall(fd, (byte*)buffer, length));

    [NativeHook(HookLibraries.Libc, "readv", Gate = NativeGate.TrackedSocketsOnly)]
    [UnmanagedCallersOnly]
    internal static nint Readv(int fd, void* vectors, int count) =>
        BlockingTransfer.Run(fd, 0, read: true, new VectorCall(fd, vectors, count, read: true));

    [NativeHook(HookLibraries.Libc, "writev", Gate = NativeGate.TrackedSocketsOnly)]
    [UnmanagedCallersOnly]
    internal static nint Writev(int fd, void* vectors, int count) =>
        BlockingTransfer.Run(fd, 0, read: false, new VectorCall(fd, vectors, count, read: false));

    /// <summary>Whether the attempt found that <paramref name="fd"/> is not a socket after all (then it is forgotten,
    /// and the caller's own call must run instead).</summary>
    private static bool NotASocket(nint result, int fd)
    {
        if (result < 0 && Marshal.GetLastSystemError() == Errno.ENOTSOCK)
        {
            SocketBitmap.Untrack(fd);
            return true;
        }

        return false;
    }

    private readonly struct ReadCall(int fd, void* buffer, nint length) : IHookedCall
    {
        public nint Invoke(int extraFlags, nint offset)
        {
            nint result = extraFlags == 0 ? -1 : SocketHandlers.RecvOriginal(fd, buffer, length, extraFlags);
            return extraFlags == 0 || NotASocket(result, fd) ? ReadOriginal(fd, buffer, length) : result;
        }
    }

    private readonly struct WriteCall(int fd, byte* buffer, nint length) : IHookedCall
    {
        public nint Invoke(int extraFlags, nint offset)
        {
            nint result = extraFlags == 0 ? -1 : SocketHandlers.SendOriginal(fd, buffer + offset, length - offset, extraFlags);
            return extraFlags == 0 || NotASocket(result, fd) ? WriteOriginal(fd, buffer + offset, length - offset) : result;
        }
    }

    /// <summary>readv/writev as recvmsg/sendmsg of a message with the caller's iovecs and nothing else.</summary>
    private readonly struct VectorCall(int fd, void* vectors, int count, bool read) : IHookedCall
    {
        public nint Invoke(int extraFlags, nint offset)
        {
            if (extraFlags != 0)
            {
                MessageHeader message = default;
                message.Vectors = vectors;
                message.VectorCount = (nuint)count;
                nint result = read
                    ? SocketHandlers.RecvMsgOriginal(fd, &message, extraFlags)
                    : SocketHandlers.SendMsgOriginal(fd, &message, extraFlags);
                if (!NotASocket(result, fd))
                {
                    return result;
                }
            }

            return read ? ReadvOriginal(fd, vectors, count) : WritevOriginal(fd, vectors, count);
        }
    }

    /// <summary>struct msghdr (x64 Linux).</summary>
    [StructLayout(LayoutKind.Sequential)]
    private struct MessageHeader
    {
        public void* Name;
        public uint NameLength;
        public void* Vectors;
        public nuint VectorCount;
        public void* Control;
        public nuint ControlLength;
        public int Flags;
    }
}
