using System.Runtime.InteropServices;
using Co;
using Co.Hook.Gates;
using Co.Testing;

/// <summary>Scenarios of the descriptor-level hooks: the socket bitmap (which descriptors the read/write/close gates
/// let through).</summary>
internal static unsafe partial class DescriptorScenarios
{
    /// <summary>
    /// The bitmap follows the descriptors: sockets open before Enable are found; socket, socketpair, accept, dup, dup2
    /// add; close and a dup2 of a non-socket remove; pipes are never tracked.
    /// </summary>
    [Scenario("socket-tracking")]
    public static void SocketTracking()
    {
        int* before = stackalloc int[2];
        Scenarios.Check(Native.SocketPair(AfUnix, SockStream, 0, before) == 0, "socketpair failed");
        Coroutine.Configure(o => o.SchedulerCount = 1);
        Hooks.Enable();
        Scenarios.Check(SocketBitmap.IsTracked(before[0]) && SocketBitmap.IsTracked(before[1]), "sockets open before Enable are not tracked");

        int socket = Native.Socket(2, SockStream, 0);
        Scenarios.Check(socket >= 0 && SocketBitmap.IsTracked(socket), $"socket() gave {socket}, tracked {SocketBitmap.IsTracked(socket)}");
        int* pipe = stackalloc int[2];
        Scenarios.Check(Native.Pipe(pipe) == 0, "pipe failed");
        Scenarios.Check(!SocketBitmap.IsTracked(pipe[0]) && !SocketBitmap.IsTracked(pipe[1]), "a pipe is tracked as a socket");

        int copy = Native.Dup(socket);
        Scenarios.Check(copy >= 0 && SocketBitmap.IsTracked(copy), "dup of a socket is not tracked");
        int pipeCopy = Native.Dup(pipe[0]);
        Scenarios.Check(pipeCopy >= 0 && !SocketBitmap.IsTracked(pipeCopy), "dup of a pipe is tracked");
        Scenarios.Check(Native.Dup2(socket, pipeCopy) == pipeCopy && SocketBitmap.IsTracked(pipeCopy), "dup2 of a socket onto a pipe's number is not tracked");
        Scenarios.Check(Native.Dup2(pipe[1], pipeCopy) == pipeCopy && !SocketBitmap.IsTracked(pipeCopy), "dup2 of a pipe onto a socket's number stays tracked");
        Scenarios.Check(Native.Close(copy) == 0 && !SocketBitmap.IsTracked(copy), "close did not untrack");
        Scenarios.Check(Native.Close(copy) == -1 && Marshal.GetLastPInvokeError() == EBADF, "a second close did not fail with EBADF");

        int* pair = stackalloc int[2];
        Scenarios.Check(Native.SocketPair(AfUnix, SockStream, 0, pair) == 0 && SocketBitmap.IsTracked(pair[0]) && SocketBitmap.IsTracked(pair[1]), "socketpair not tracked");

        // accept on a plain thread (the gate's bookkeeping) and in a coroutine (the handler's)
        using var listener = new System.Net.Sockets.Socket(System.Net.Sockets.AddressFamily.InterNetwork, System.Net.Sockets.SocketType.Stream, System.Net.Sockets.ProtocolType.Tcp);
        listener.Bind(new System.Net.IPEndPoint(System.Net.IPAddress.Loopback, 0));
        listener.Listen(4);
        using var first = new System.Net.Sockets.Socket(System.Net.Sockets.AddressFamily.InterNetwork, System.Net.Sockets.SocketType.Stream, System.Net.Sockets.ProtocolType.Tcp);
        first.Connect(listener.LocalEndPoint!);
        int accepted = Native.Accept((int)listener.Handle, null, null);
        Scenarios.Check(accepted >= 0 && SocketBitmap.IsTracked(accepted), "accept on a plain thread: not tracked");
        using var second = new System.Net.Sockets.Socket(System.Net.Sockets.AddressFamily.InterNetwork, System.Net.Sockets.SocketType.Stream, System.Net.Sockets.ProtocolType.Tcp);
        second.Connect(listener.LocalEndPoint!);
        int acceptedInCoroutine = -1;
        CoroutineRun.All(1, _ => acceptedInCoroutine = Native.Accept((int)listener.Handle, null, null));
        Scenarios.Check(acceptedInCoroutine >= 0 && SocketBitmap.IsTracked(acceptedInCoroutine), "accept in a coroutine: not tracked");

        foreach (int fd in new[] { before[0], before[1], socket, pipe[0], pipe[1], pipeCopy, pair[0], pair[1], accepted, acceptedInCoroutine })
        {
            Native.Close(fd);
        }
    }
}
