// The two Co servers: co's echo-server example (a listener coroutine, one coroutine per connection) in both
// coroutine kinds.
using System.Net;
using Co;

namespace EchoServer;

internal static class CoModes
{
    public static string? Start(IPEndPoint endPoint, bool async, int schedulers, bool noPin)
    {
        Configure(schedulers, noPin);

        // The listening socket is made inside the listener coroutine; the outcome comes back here.
        var listening = new TaskCompletionSource<string?>(TaskCreationOptions.RunContinuationsAsynchronously);
        if (async) Coroutine.Go(ListenerAsync, (endPoint, listening));
        else Coroutine.Go(Listener, (endPoint, listening));

        if (!listening.Task.Wait(TimeSpan.FromSeconds(10))) return "the listener coroutine did not start within 10 s";
        return listening.Task.Result;
    }

    /// <summary>Applies --sched / --no-pin (before the first coroutine; the runtime's defaults otherwise). Shared with
    /// the hooked mode.</summary>
    internal static void Configure(int schedulers, bool noPin)
    {
        if (schedulers > 0 || noPin)
        {
            Coroutine.Configure(o =>
            {
                if (schedulers > 0) o.SchedulerCount = schedulers;
                if (noPin) o.PinSchedulerThreads = false;
            });
        }
    }

    private static nint Listen(IPEndPoint endPoint, out string? error)
    {
        error = null;
        nint fd = Sock.TcpSocket(endPoint.AddressFamily);
        if (fd < 0)
        {
            error = "socket: " + Sock.StrError();
            return -1;
        }

        Sock.SetReuseAddr(fd);
        if (Sock.Bind(fd, endPoint) != 0)
        {
            error = "bind: " + Sock.StrError();
            Sock.Close(fd);
            return -1;
        }

        if (Sock.Listen(fd, Program.Backlog) != 0)
        {
            error = "listen: " + Sock.StrError();
            Sock.Close(fd);
            return -1;
        }

        return fd;
    }

    private static string Bound(nint fd, IPEndPoint requested)
    {
        IPEndPoint? local = Sock.LocalEndPoint(fd);
        return local is null ? requested.ToString() : Sock.ToString(local);
    }

    // ---- async: Sock.AcceptAsync + one async coroutine per connection ----

    private static async Task ListenerAsync((IPEndPoint EndPoint, TaskCompletionSource<string?> Listening) arg)
    {
        nint listenFd = Listen(arg.EndPoint, out string? error);
        if (listenFd < 0)
        {
            arg.Listening.TrySetResult(error);
            return;
        }

        Program.Ready("async", Bound(listenFd, arg.EndPoint));
        arg.Listening.TrySetResult(null);
        while (true)
        {
            nint fd = await Sock.AcceptAsync(listenFd);
            if (fd < 0)
            {
                Program.NoteError("accept", Sock.StrError());
                await Coroutine.SleepAsync(1);
                continue;
            }

            Interlocked.Increment(ref Program.Accepted);
            Sock.SetTcpNodelay(fd);
            Coroutine.Go(ServeAsync, fd);
        }
    }

    private static async Task ServeAsync(nint fd)
    {
        byte[] buffer = new byte[Program.BufferSize];
        try
        {
            while (true)
            {
                int n = await Sock.RecvAsync(fd, buffer);
                if (n == 0) break;
                if (n < 0)
                {
                    NoteIoError("recv");
                    break;
                }

                if (await Sock.SendAsync(fd, buffer.AsMemory(0, n)) < 0)
                {
                    NoteIoError("send");
                    break;
                }
            }
        }
        finally
        {
            Sock.Close(fd);
            Interlocked.Increment(ref Program.Closed);
        }
    }

    // ---- sync: Sock.Accept + one sync coroutine per connection ----

    private static void Listener((IPEndPoint EndPoint, TaskCompletionSource<string?> Listening) arg)
    {
        nint listenFd = Listen(arg.EndPoint, out string? error);
        if (listenFd < 0)
        {
            arg.Listening.TrySetResult(error);
            return;
        }

        Program.Ready("sync", Bound(listenFd, arg.EndPoint));
        arg.Listening.TrySetResult(null);
        while (true)
        {
            nint fd = Sock.Accept(listenFd);
            if (fd < 0)
            {
                Program.NoteError("accept", Sock.StrError());
                Coroutine.Sleep(1);
                continue;
            }

            Interlocked.Increment(ref Program.Accepted);
            Sock.SetTcpNodelay(fd);
            Coroutine.Go(Serve, fd);
        }
    }

    private static void Serve(nint fd)
    {
        byte[] buffer = new byte[Program.BufferSize];
        try
        {
            while (true)
            {
                int n = Sock.Recv(fd, buffer);
                if (n == 0) break;
                if (n < 0)
                {
                    NoteIoError("recv");
                    break;
                }

                if (Sock.Send(fd, buffer.AsSpan(0, n)) < 0)
                {
                    NoteIoError("send");
                    break;
                }
            }
        }
        finally
        {
            Sock.Close(fd);
            Interlocked.Increment(ref Program.Closed);
        }
    }

    private static void NoteIoError(string what)
    {
        int err = Sock.Error();
        if (err is 104 or 32) return; // ECONNRESET, EPIPE: the peer went away, the normal end of a bench connection
        Program.NoteError(what, $"{Sock.StrError(err)} (errno {err})");
    }
}
