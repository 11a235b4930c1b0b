// The two baselines, plain System.Net.Sockets, no Co code. The hooked mode (HookedMode.cs) reuses TryListen and the
// thread-per-connection server's Serve as they are, so that it differs from `threads` only in where Serve runs.
using System.Diagnostics.CodeAnalysis;
using System.Net;
using System.Net.Sockets;

namespace EchoServer;

internal static class DotnetModes
{
    private const int ThreadStackSize = 64 * 1024;

    private static Socket Listen(IPEndPoint endPoint)
    {
        var listener = new Socket(endPoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        listener.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
        listener.Bind(endPoint);
        listener.Listen(Program.Backlog);
        return listener;
    }

    /// <summary>Listens on <paramref name="endPoint"/> and announces <paramref name="mode"/> as ready; false with the
    /// error message when the socket cannot listen.</summary>
    internal static bool TryListen(IPEndPoint endPoint, string mode, [NotNullWhen(true)] out Socket? listener, [NotNullWhen(false)] out string? error)
    {
        try
        {
            listener = Listen(endPoint);
        }
        catch (SocketException e)
        {
            listener = null;
            error = e.Message;
            return false;
        }

        Program.Ready(mode, listener.LocalEndPoint!.ToString()!);
        error = null;
        return true;
    }

    // ---- dotnet: idiomatic async sockets on the thread pool ----

    public static string? StartAsyncServer(IPEndPoint endPoint)
    {
        if (!TryListen(endPoint, "dotnet", out Socket? listener, out string? error))
        {
            return error;
        }

        _ = Task.Run(() => AcceptLoopAsync(listener));
        return null;
    }

    private static async Task AcceptLoopAsync(Socket listener)
    {
        while (true)
        {
            Socket client;
            try
            {
                client = await listener.AcceptAsync().ConfigureAwait(false);
            }
            catch (SocketException e)
            {
                Program.NoteError("accept", e.Message);
                await Task.Delay(1).ConfigureAwait(false);
                continue;
            }

            Interlocked.Increment(ref Program.Accepted);
            client.NoDelay = true;
            _ = ServeAsync(client);
        }
    }

    private static async Task ServeAsync(Socket client)
    {
        byte[] buffer = new byte[Program.BufferSize];
        try
        {
            while (true)
            {
                int n = await client.ReceiveAsync(buffer.AsMemory(), SocketFlags.None).ConfigureAwait(false);
                if (n == 0) break;
                int sent = 0;
                while (sent < n)
                {
                    sent += await client.SendAsync(buffer.AsMemory(sent, n - sent), SocketFlags.None)
                        .ConfigureAwait(false);
                }
            }
        }
        catch (SocketException e) when (e.SocketErrorCode is SocketError.ConnectionReset or SocketError.Shutdown)
        {
            // the peer went away: normal end of a benchmark connection
        }
        catch (Exception e)
        {
            Program.NoteError("connection", e.Message);
        }
        finally
        {
            client.Dispose();
            Interlocked.Increment(ref Program.Closed);
        }
    }

    // ---- threads: one blocking thread per connection ----

    public static string? StartThreadServer(IPEndPoint endPoint)
    {
        if (!TryListen(endPoint, "threads", out Socket? listener, out string? error))
        {
            return error;
        }

        var acceptor = new Thread(() => AcceptLoop(listener)) { IsBackground = true, Name = "accept" };
        acceptor.Start();
        return null;
    }

    private static void AcceptLoop(Socket listener)
    {
        while (true)
        {
            Socket client;
            try
            {
                client = listener.Accept();
            }
            catch (SocketException e)
            {
                Program.NoteError("accept", e.Message);
                Thread.Sleep(1);
                continue;
            }

            Interlocked.Increment(ref Program.Accepted);
            client.NoDelay = true;
            try
            {
                new Thread(Serve, ThreadStackSize) { IsBackground = true }.Start(client);
            }
            catch (OutOfMemoryException e)
            {
                Program.NoteError("thread start", e.Message);
                client.Dispose();
                Interlocked.Increment(ref Program.Closed);
            }
        }
    }

    /// <summary>Echoes on one accepted connection with blocking Receive/Send until the peer closes, then disposes it.
    /// Run on its own thread by <c>threads</c> and, unchanged, in a sync coroutine by <c>hooked</c>.</summary>
    internal static void Serve(object? state)
    {
        var client = (Socket)state!;
        byte[] buffer = new byte[Program.BufferSize];
        try
        {
            while (true)
            {
                int n = client.Receive(buffer, 0, buffer.Length, SocketFlags.None);
                if (n == 0) break;
                int sent = 0;
                while (sent < n) sent += client.Send(buffer, sent, n - sent, SocketFlags.None);
            }
        }
        catch (SocketException e) when (e.SocketErrorCode is SocketError.ConnectionReset or SocketError.Shutdown)
        {
        }
        catch (Exception e)
        {
            Program.NoteError("connection", e.Message);
        }
        finally
        {
            client.Dispose();
            Interlocked.Increment(ref Program.Closed);
        }
    }
}
