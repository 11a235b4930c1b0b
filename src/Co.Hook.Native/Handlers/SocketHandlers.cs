using System.Runtime.InteropServices;

namespace Co.Hook.Handlers;

/// <summary>
/// The handlers of the recv and send families: reached only through a gate, on a thread running coroutine code. Calls
/// that would not block behave exactly as libc's (same result, same errno); calls that would block are turned into
/// non-blocking attempts separated by waits on the runtime's poller (<see cref="BlockingTransfer"/>), so only the coroutine waits.
/// </summary>
/// <remarks>The original of each function is its detour's trampoline, set once at install.</remarks>
internal static unsafe partial class SocketHandlers
{
    [NativeHook(HookLibraries.Libc, "recvmsg")]
    [UnmanagedCallersOnly]
    internal static nint RecvMsg(int fd, void* message, int flags) =>
        BlockingTransfer.Run(fd, flags, read: true, new RecvMsgCall(fd, message, flags));

    [NativeHook(HookLibraries.Libc, "recv")]
    [UnmanagedCallersOnly]
    internal static nint Recv(int fd, void* buffer, nint length, int flags) =>
        BlockingTransfer.Run(fd, flags, read: true, new RecvCall(fd, buffer, length, flags));

    [NativeHook(HookLibraries.Libc, "recvfrom")]
    [UnmanagedCallersOnly]
    internal static nint RecvFrom(int fd, void* buffer, nint length, int flags, void* address, int* addressLength) =>
        BlockingTransfer.Run(fd, flags, read: true, new RecvFromCall(fd, buffer, length, flags, address, addressLength));

    /// <summary>sendmsg: a partial send is reported as it comes (the caller's iovecs are not rewritten to continue).</summary>
    [NativeHook(HookLibraries.Libc, "sendmsg")]
    [UnmanagedCallersOnly]
    internal static nint SendMsg(int fd, void* message, int flags) =>
        BlockingTransfer.Run(fd, flags, read: false, new SendMsgCall(fd, message, flags));

    /// <summary>send: as a blocking send does, sends the whole buffer (see <see cref="BlockingTransfer.SendFully"/>).</summary>
    [NativeHook(HookLibraries.Libc, "send")]
    [UnmanagedCallersOnly]
    internal static nint Send(int fd, void* buffer, nint length, int flags) =>
        BlockingTransfer.SendFully(fd, flags, length, new SendCall(fd, (byte*)buffer, length, flags));

    [NativeHook(HookLibraries.Libc, "sendto")]
    [UnmanagedCallersOnly]
    internal static nint SendTo(int fd, void* buffer, nint length, int flags, void* address, int addressLength) =>
        BlockingTransfer.Run(fd, flags, read: false, new SendToCall(fd, buffer, length, flags, address, addressLength));

    private readonly struct RecvMsgCall(int fd, void* message, int flags) : IHookedCall
    {
        public nint Invoke(int extraFlags, nint offset) => RecvMsgOriginal(fd, message, flags | extraFlags);
    }

    private readonly struct RecvCall(int fd, void* buffer, nint length, int flags) : IHookedCall
    {
        public nint Invoke(int extraFlags, nint offset) => RecvOriginal(fd, buffer, length, flags | extraFlags);
    }

    private readonly struct RecvFromCall(int fd, void* buffer, nint length, int flags, void* address, int* addressLength) : IHookedCall
    {
        private readonly int _capacity = addressLength is null ? 0 : *addressLength;

        public nint Invoke(int extraFlags, nint offset)
        {
            if (addressLength is not null)
            {
                *addressLength = _capacity; // every attempt must see the caller's buffer size
            }

            return RecvFromOriginal(fd, buffer, length, flags | extraFlags, address, addressLength);
        }
    }

    private readonly struct SendMsgCall(int fd, void* message, int flags) : IHookedCall
    {
        public nint Invoke(int extraFlags, nint offset) => SendMsgOriginal(fd, message, flags | extraFlags);
    }

    private readonly struct SendCall(int fd, byte* buffer, nint length, int flags) : IHookedCall
    {
        public nint Invoke(int extraFlags, nint offset) => SendOriginal(fd, buffer + offset, length - offset, flags | extraFlags);
    }

    private readonly struct SendToCall(int fd, void* buffer, nint length, int flags, void* address, int addressLength) : IHookedCall
    {
        public nint Invoke(int extraFlags, nint offset) => SendToOriginal(fd, buffer, length, flags | extraFlags, address, addressLength);
    }
}
