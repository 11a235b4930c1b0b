using System.Runtime.InteropServices;
using Co;

namespace Coroutineize.Native;

/// <summary>
/// Whether a socket is ready <em>now</em>, asked of the kernel with a zero-timeout poll(). libpq's "wait until readable
/// (writable)" is level-triggered: PQconnectPoll asks for "writable" right after the connection is made, before it has
/// written anything, and PQconsumeInput may stop reading before the socket is drained. IoEvent is edge-triggered (it
/// wakes on a change, as co's docs say: try first, wait only after EAGAIN), so waiting at once could wait for an edge
/// that already went by — the first version of this sample hung there until the server's authentication timeout.
/// Checking the level first costs one syscall and never blocks.
/// </summary>
internal static partial class Readiness
{
    private const short PollIn = 0x001;
    private const short PollOut = 0x004;

    /// <summary>True when <paramref name="fd"/> is ready for <paramref name="wanted"/> now (or has an error or hang-up
    /// for libpq to find when it tries).</summary>
    public static unsafe bool Now(nint fd, IoEventType wanted)
    {
        var entry = new PollFd { Fd = (int)fd, Events = wanted == IoEventType.Read ? PollIn : PollOut };
        return Poll(&entry, 1, 0) > 0 && entry.Revents != 0;
    }

    [LibraryImport("libc.so.6", EntryPoint = "poll")]
    private static unsafe partial int Poll(PollFd* fds, nuint count, int timeoutMs);

    [StructLayout(LayoutKind.Sequential)]
    private struct PollFd
    {
        public int Fd;
        public short Events;
        public short Revents;
    }
}
