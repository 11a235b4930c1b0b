using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using Co;
using Co.Hook;
using Co.Testing;

/// <summary>Scenarios of the hook layer: many concurrent hooked blocking connects, looking for a lost wake-up.</summary>
internal static partial class HookScenarios
{
    /// <summary>
    /// Hundreds of sync coroutines on three schedulers connect concurrently through the hooked blocking connect, in a
    /// loop bounded by count and time: half by raw libc connect on a blocking socket (P/Invoke), half by
    /// System.Net.Sockets' blocking Socket.Connect. The listener accepts at random delays from a short backlog (so some
    /// handshakes complete at once, inside connect, and some only after a dropped SYN is sent again), one connect in
    /// eight goes to a port that refuses, some connects are made under a lock shared with other coroutines (as a client
    /// library guards its connection), and a third of the sockets are closed on a plain thread — behind the runtime's
    /// back, leaving a stale poll registration under a number that socket() hands out again. Beside them, coroutines
    /// keep polling (hooked poll, short timeouts) socketpair ends that plain threads close under them at random
    /// moments — as a library's reader goes on with a descriptor another thread closed — so their hooked waits verify
    /// a stale registration under a number a connecting coroutine may have just taken and registered. Every connect must end
    /// (connected or refused); one that parks forever is found by a bounded wait, never a hung test, and reported with
    /// its socket's state. Arguments: rounds (20), seconds (15), schedulers (3).
    /// </summary>
    [Scenario("connect-stress")]
    public static void ConnectStress(string[] args)
    {
        const int Coroutines = 300;
        const int StalePollers = 45;
        int rounds = args.Length > 0 ? int.Parse(args[0]) : 20;
        var duration = TimeSpan.FromSeconds(args.Length > 1 ? int.Parse(args[1]) : 15);
        int schedulers = args.Length > 2 ? int.Parse(args[2]) : 3;
        var backstop = TimeSpan.FromSeconds(60); // a dropped SYN is sent again after 1, 3, 7, 15 and 31 s

        Coroutine.Configure(o => o.SchedulerCount = schedulers);
        Hooks.Enable();
        Scenarios.Check(Hooks.Status["connect"].State == HookState.Hooked, "connect: " + Hooks.Status["connect"]);

        using var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        listener.Listen(16);
        int open = ((IPEndPoint)listener.LocalEndPoint!).Port;
        using var refusing = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        refusing.Bind(new IPEndPoint(IPAddress.Loopback, 0)); // bound, not listening: refuses
        int closedPort = ((IPEndPoint)refusing.LocalEndPoint!).Port;

        var stop = new CancellationTokenSource();
        var accepter = new Thread(() => AcceptAtRandomDelays(listener, stop.Token)) { IsBackground = true };
        accepter.Start();
        var plainCloses = new System.Collections.Concurrent.BlockingCollection<Action>();
        var closer = new Thread(() =>
        {
            foreach (Action close in plainCloses.GetConsumingEnumerable())
            {
                close();
            }
        }) { IsBackground = true };
        closer.Start();

        var locks = Enumerable.Range(0, 10).Select(_ => new object()).ToArray();
        var connectingSince = new long[Coroutines]; // Stopwatch timestamp while in connect, else 0
        var connectingFd = new int[Coroutines];
        long connected = 0, refused = 0, unexpected = 0;
        string? firstUnexpected = null;
        var clock = Stopwatch.StartNew();
        bool connectsOver = false;
        for (int i = 0; i < StalePollers; i++)
        {
            Coroutine.Go(index => PollWhileClosedBehindTheBack(new Random(1000 + index), () => Volatile.Read(ref connectsOver)), i);
        }

        var done = new WaitGroup(Coroutines);
        for (int i = 0; i < Coroutines; i++)
        {
            Coroutine.Go(index =>
            {
                var random = new Random(index);
                try
                {
                    for (int round = 0; round < rounds && clock.Elapsed < duration; round++)
                    {
                        bool refuse = random.Next(8) == 0;
                        int port = refuse ? closedPort : open;
                        bool closeOnPlainThread = random.Next(3) == 0;
                        int error;
                        void Connect()
                        {
                            error = index % 2 == 0
                                ? ConnectRaw(port, closeOnPlainThread ? plainCloses : null, index, connectingSince, connectingFd)
                                : ConnectManaged(port, closeOnPlainThread ? plainCloses : null, index, connectingSince, connectingFd);
                        }

                        error = 0;
                        if (index % 5 == 0)
                        {
                            lock (locks[index % locks.Length])
                            {
                                Connect();
                            }
                        }
                        else
                        {
                            Connect();
                        }

                        if (error == 0 && !refuse)
                        {
                            Interlocked.Increment(ref connected);
                        }
                        else if (error == 111 && refuse)
                        {
                            Interlocked.Increment(ref refused);
                        }
                        else
                        {
                            Interlocked.Increment(ref unexpected);
                            Interlocked.CompareExchange(ref firstUnexpected, $"connect to {(refuse ? "the refusing" : "the open")} port: errno {error}", null);
                        }
                    }
                }
                catch (Exception exception)
                {
                    Interlocked.Increment(ref unexpected);
                    Interlocked.CompareExchange(ref firstUnexpected, exception.ToString(), null);
                }
                finally
                {
                    done.Done();
                }
            }, i);
        }

        // The bounded wait. A connect is lost when its socket has been writable (connected, or failed) for 5 s while its
        // coroutine still waits in connect — a handshake in progress (SYN_SENT, even one whose SYN the full backlog
        // dropped) is not writable, so a loaded machine cannot fake it; as a backstop, any connect past 60 s.
        Task finished = Task.Run(done.Wait);
        var writableSince = new Dictionary<(int Coroutine, long Since), long>();
        string? stuck = null;
        while (stuck is null && !finished.Wait(250))
        {
            long now = Stopwatch.GetTimestamp();
            var lost = new List<int>();
            for (int c = 0; c < Coroutines; c++)
            {
                long since = Volatile.Read(ref connectingSince[c]);
                if (since == 0)
                {
                    continue;
                }

                if (Stopwatch.GetElapsedTime(since, now) > backstop)
                {
                    lost.Add(c);
                }
                else if (IsWritable(connectingFd[c]) && Volatile.Read(ref connectingSince[c]) == since)
                {
                    long first = writableSince.TryGetValue((c, since), out long seen) ? seen : writableSince[(c, since)] = now;
                    if (Stopwatch.GetElapsedTime(first, now) > TimeSpan.FromSeconds(5))
                    {
                        lost.Add(c);
                    }
                }
            }

            if (lost.Count > 0)
            {
                stuck = $"{lost.Count} coroutine(s) still parked in a hooked connect on a socket writable for 5 s (or in connect for 60 s): " +
                        string.Join("; ", lost.Take(5).Select(c => $"#{c} ({(c % 2 == 0 ? "libc" : "Socket.Connect")}) fd {connectingFd[c]} {SocketState(connectingFd[c])}"));
            }
        }

        Volatile.Write(ref connectsOver, true);
        stop.Cancel();
        plainCloses.CompleteAdding();
        Scenarios.Check(stuck is null, stuck + $" (after {clock.Elapsed.TotalSeconds:F1} s; {connected} connected, {refused} refused)");
        Scenarios.Check(unexpected == 0, $"{unexpected} unexpected outcome(s), the first: {firstUnexpected}");
        Scenarios.Check(connected > Coroutines && refused > 0, $"{connected} connected, {refused} refused: the stress did not run");
        Console.WriteLine($"connect-stress: {connected} connected, {refused} refused in {clock.Elapsed.TotalSeconds:F1} s");
    }

    /// <summary>One raw libc connect on a fresh blocking socket; its errno (0 when connected). The socket is closed
    /// in the coroutine (hooked close) or, given <paramref name="plainCloses"/>, on a plain thread.</summary>
    private static unsafe int ConnectRaw(int port, System.Collections.Concurrent.BlockingCollection<Action>? plainCloses, int index, long[] since, int[] fds)
    {
        int fd = RawLibc.Socket(2, 1, 0);
        Scenarios.Check(fd >= 0, $"socket failed: errno {Marshal.GetLastPInvokeError()}");
        byte* address = stackalloc byte[16];
        RawLibc.WriteLoopbackV4(address, port);
        fds[index] = fd;
        Volatile.Write(ref since[index], Stopwatch.GetTimestamp());
        int result = RawLibc.Connect(fd, address, 16);
        int error = result == 0 ? 0 : Marshal.GetLastPInvokeError();
        Volatile.Write(ref since[index], 0);
        if (plainCloses is null)
        {
            RawLibc.Close(fd);
        }
        else
        {
            plainCloses.Add(() => RawLibc.Close(fd));
        }

        return error;
    }

    /// <summary>One blocking Socket.Connect; 0 when connected, else the SocketException's errno. Disposed in the
    /// coroutine or, given <paramref name="plainCloses"/>, on a plain thread.</summary>
    private static int ConnectManaged(int port, System.Collections.Concurrent.BlockingCollection<Action>? plainCloses, int index, long[] since, int[] fds)
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            fds[index] = (int)socket.SafeHandle.DangerousGetHandle();
            Volatile.Write(ref since[index], Stopwatch.GetTimestamp());
            socket.Connect(new IPEndPoint(IPAddress.Loopback, port));
            return 0;
        }
        catch (SocketException exception)
        {
            return exception.NativeErrorCode;
        }
        finally
        {
            Volatile.Write(ref since[index], 0);
            if (plainCloses is null)
            {
                socket.Dispose();
            }
            else
            {
                plainCloses.Add(socket.Dispose);
            }
        }
    }

    /// <summary>
    /// Until <paramref name="over"/>: makes a socketpair, has a thread-pool thread close both ends after 0–15 ms, and
    /// meanwhile polls one end for readability in 2 ms hooked polls — and for 20 ms after the close, on a number that
    /// may now be another coroutine's new socket (the poll only looks, so that socket is not disturbed).
    /// </summary>
    private static unsafe void PollWhileClosedBehindTheBack(Random random, Func<bool> over)
    {
        int* pair = stackalloc int[2];
        while (!over())
        {
            if (Libc_.socketpair(1, 1, 0, pair) != 0)
            {
                Coroutine.Sleep(1);
                continue;
            }

            int end = pair[0], other = pair[1];
            int closeAfterMs = random.Next(16);
            bool closed = false;
            _ = Task.Run(() =>
            {
                Thread.Sleep(closeAfterMs);
                RawLibc.Close(end);
                RawLibc.Close(other);
                Volatile.Write(ref closed, true);
            });
            long stopAt = 0;
            while (!over() && (stopAt == 0 || Stopwatch.GetTimestamp() < stopAt))
            {
                long pollfd = (long)(uint)end | (0x1L << 32);
                RawLibc.Poll(&pollfd, 1, 2);
                if (stopAt == 0 && Volatile.Read(ref closed))
                {
                    stopAt = Stopwatch.GetTimestamp() + Stopwatch.Frequency / 50;
                }
            }
        }
    }

    /// <summary>Accepts on a plain thread, pausing 0–3 ms at random before each accept so the short backlog overflows
    /// at times (the kernel then drops SYNs, and those connects complete later); closes what it accepts.</summary>
    private static void AcceptAtRandomDelays(Socket listener, CancellationToken stop)
    {
        var random = new Random(7);
        while (!stop.IsCancellationRequested)
        {
            if (random.Next(2) == 0)
            {
                Thread.Sleep(random.Next(4));
            }

            if (!listener.Poll(100_000, SelectMode.SelectRead))
            {
                continue;
            }

            try
            {
                listener.Accept().Dispose();
            }
            catch (SocketException)
            {
                return;
            }
            catch (ObjectDisposedException)
            {
                return;
            }
        }
    }

    /// <summary>A zero-timeout poll for writability (POLLOUT, or POLLERR/POLLHUP: the connect failed), from the
    /// watching plain thread; not POLLNVAL, a number closed as its connect ended.</summary>
    private static unsafe bool IsWritable(int fd)
    {
        long pollfd = (long)(uint)fd | (0x4L << 32);
        return RawLibc.Poll(&pollfd, 1, 0) > 0 && ((pollfd >> 48) & (0x4 | 0x8 | 0x10)) != 0;
    }

    /// <summary>The TCP state and queues of the socket behind <paramref name="fd"/> (from /proc), for a report.</summary>
    private static string SocketState(int fd)
    {
        try
        {
            string target = new FileInfo($"/proc/self/fd/{fd}").LinkTarget ?? "?";
            string pollers = string.Join(",", Directory.EnumerateFiles("/proc/self/fdinfo")
                .Where(info => File.ReadAllText(info).Contains($"tfd: {fd,8} ", StringComparison.Ordinal) || File.ReadAllText(info).Contains($"tfd:{fd} ", StringComparison.Ordinal))
                .Select(Path.GetFileName));
            return $"{target}, in epoll {(pollers.Length == 0 ? "none" : pollers)}";
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
            return "(state unavailable)";
        }
    }
}
