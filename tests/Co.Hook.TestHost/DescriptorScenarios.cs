using System.Diagnostics;
using System.Runtime.InteropServices;
using Co;
using Co.Hook.Detours;
using Co.Hook.Gates;
using Co.Hook.Handlers;
using Co.Testing;

/// <summary>
/// Scenarios of the descriptor-level hooks: the socket bitmap (which descriptors the read/write/close gates let
/// through), read/write/readv/writev/close on sockets, select/ppoll/epoll_wait, the gethostbyname family, libc's
/// results for bad input, and enabling/disabling the hooks repeatedly.
/// </summary>
internal static unsafe partial class DescriptorScenarios
{
    private const int AfUnix = 1;
    private const int SockStream = 1;
    private const int EBADF = 9;
    private const int EINVAL = 22;
    private const int ENOTSOCK = 88;

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

    /// <summary>
    /// read, readv, write and writev on blocking sockets park only their coroutine: 50 readers on one scheduler all
    /// wait at once, and a ticker coroutine keeps ticking meanwhile; a blocking write of 4 MB
    /// completes whole while a reader on the same scheduler drains it. A pipe read is not diverted (libc's behaviour:
    /// it blocks the thread, so the ticker stops), close of a socket wakes a coroutine reading it (EBADF), and shutdown
    /// wakes a reader with end-of-file.
    /// </summary>
    [Scenario("streams")]
    public static void Streams()
    {
        Coroutine.Configure(o => o.SchedulerCount = 1);
        Hooks.Enable();
        const int readers = 50;
        var pairs = new int[readers * 2];
        fixed (int* p = pairs)
        {
            for (int i = 0; i < readers; i++)
            {
                Scenarios.Check(Native.SocketPair(AfUnix, SockStream, 0, p + (2 * i)) == 0, "socketpair failed");
            }
        }

        // The data is written only once every reader has entered its read and the ticker, on the same scheduler, has
        // ticked 5 more times: with reads that blocked the scheduler thread neither could happen (10 s cap).
        int entered = 0;
        int ticks = 0;
        bool reading = true;
        bool allWaitingAndTicking = false;
        var writer = new Thread(() =>
        {
            var cap = Stopwatch.StartNew();
            while (Volatile.Read(ref entered) < readers && cap.ElapsedMilliseconds < 10_000)
            {
                Thread.Sleep(5);
            }

            int ticksThen = Volatile.Read(ref ticks);
            while (Volatile.Read(ref ticks) < ticksThen + 5 && cap.ElapsedMilliseconds < 10_000)
            {
                Thread.Sleep(5);
            }

            allWaitingAndTicking = cap.ElapsedMilliseconds < 10_000;
            for (int i = 0; i < readers; i++)
            {
                int value = i;
                Native.Write(pairs[(2 * i) + 1], &value, sizeof(int));
            }
        });
        Coroutine.Go(() =>
        {
            for (int i = 0; i < 5000 && Volatile.Read(ref reading); i++)
            {
                Coroutine.Sleep(2);
                Interlocked.Increment(ref ticks);
            }
        });
        writer.Start();
        CoroutineRun.All(readers, i =>
        {
            int value = -1;
            Interlocked.Increment(ref entered);
            if (i % 2 == 0)
            {
                Scenarios.Check(Native.Read(pairs[2 * i], &value, sizeof(int)) == sizeof(int) && value == i, $"read {i} gave {value}");
            }
            else
            {
                long* vector = stackalloc long[2] { (long)&value, sizeof(int) };
                Scenarios.Check(Native.Readv(pairs[2 * i], vector, 1) == sizeof(int) && value == i, $"readv {i} gave {value}");
            }
        });
        Volatile.Write(ref reading, false);
        Console.WriteLine($"ENTERED {entered} TICKS {ticks}");
        Scenarios.Check(allWaitingAndTicking, $"{Volatile.Read(ref entered)} of {readers} readers were waiting at once and the ticker did not tick on: the reads blocked the scheduler");
        writer.Join();

        // 4 MB through write and writev on a blocking socket, drained by a slow reader on the same scheduler
        const int total = 4 << 20;
        int* big = stackalloc int[2];
        Scenarios.Check(Native.SocketPair(AfUnix, SockStream, 0, big) == 0, "socketpair failed");
        byte[] payload = new byte[total];
        new Random(7).NextBytes(payload);
        long receivedSum = 0;
        long sentByWritev = 0;
        CoroutineRun.All(2, i =>
        {
            if (i == 0)
            {
                fixed (byte* data = payload)
                {
                    Scenarios.Check(Native.Write(big[0], data, total / 2) == total / 2, "a blocking write did not send its whole buffer");
                    long* vector = stackalloc long[2] { (long)(data + (total / 2)), total / 2 };
                    long sent = 0;
                    while (sent < total / 2)
                    {
                        vector[0] = (long)(data + (total / 2) + sent);
                        vector[1] = (total / 2) - sent;
                        nint n = Native.Writev(big[0], vector, 1);
                        Scenarios.Check(n > 0, $"writev failed: {Marshal.GetLastPInvokeError()}");
                        sent += n;
                    }

                    sentByWritev = sent;
                }

                Native.Shutdown(big[0], 1);
            }
            else
            {
                byte* chunk = stackalloc byte[65536];
                int offset = 0;
                while (true)
                {
                    Coroutine.Sleep(1);
                    nint n = Native.Read(big[1], chunk, 65536);
                    Scenarios.Check(n >= 0, $"read failed: {Marshal.GetLastPInvokeError()}");
                    if (n == 0)
                    {
                        break;
                    }

                    for (int k = 0; k < n; k++)
                    {
                        Scenarios.Check(chunk[k] == payload[offset + k], $"byte {offset + k} differs");
                    }

                    offset += (int)n;
                }

                receivedSum = offset;
            }
        });
        Scenarios.Check(receivedSum == total && sentByWritev == total / 2, $"received {receivedSum} of {total} bytes");

        // a pipe read is libc's: it blocks the thread, and is not diverted. The blocked-scheduler monitor (on by
        // default) then hands the scheduler off and names the call; the ticker goes on.
        int* pipe = stackalloc int[2];
        Scenarios.Check(Native.Pipe(pipe) == 0, "pipe failed");
        int pipeRead = pipe[0];
        int pipeWrite = pipe[1];
        int pipeTicks = 0;
        bool pipeReading = true;
        int ticksDuringPipeRead = -1;
        long readsDivertedBefore = NativeDivertCounters.Read("read");
        var pipeReports = new List<string?>();
        EventHandler<SchedulerBlockedEventArgs> onBlocked = (_, report) =>
        {
            lock (pipeReports)
            {
                pipeReports.Add(report.BlockedIn);
            }
        };
        Coroutine.SchedulerBlocked += onBlocked;
        var pipeWriter = new Thread(() =>
        {
            Thread.Sleep(300);
            int one = 1;
            Native.Write(pipeWrite, &one, sizeof(int));
        });
        CoroutineRun.All(2, i =>
        {
            if (i == 0)
            {
                Coroutine.Sleep(20); // let the ticker start
                pipeWriter.Start();
                int startTicks = Volatile.Read(ref pipeTicks);
                int value = 0;
                Scenarios.Check(Native.Read(pipeRead, &value, sizeof(int)) == sizeof(int) && value == 1, "pipe read failed");
                ticksDuringPipeRead = Volatile.Read(ref pipeTicks) - startTicks;
                Volatile.Write(ref pipeReading, false);
                Coroutine.Yield(); // the monitor's report comes as the reader rejoins its scheduler
            }
            else
            {
                for (int k = 0; k < 1000 && Volatile.Read(ref pipeReading); k++)
                {
                    Coroutine.Sleep(5);
                    Interlocked.Increment(ref pipeTicks);
                }
            }
        });
        long readsDiverted = NativeDivertCounters.Read("read") - readsDivertedBefore;
        string pipeBlockedIn = "";
        var waiting = System.Diagnostics.Stopwatch.StartNew();
        while (!pipeBlockedIn.Contains("pipe:[", StringComparison.Ordinal) && waiting.ElapsedMilliseconds < 5_000)
        {
            Thread.Sleep(10); // the event comes on the thread pool, shortly after the reader rejoined
            lock (pipeReports)
            {
                pipeBlockedIn = string.Join(" | ", pipeReports);
            }
        }

        Coroutine.SchedulerBlocked -= onBlocked;

        Console.WriteLine($"PIPE DIVERTED {readsDiverted} TICKS {ticksDuringPipeRead} BLOCKED IN {pipeBlockedIn}");
        Scenarios.Check(ticksDuringPipeRead >= 5, $"the ticker ticked {ticksDuringPipeRead} times during the 300 ms pipe read: the monitor did not hand the scheduler off");
        Scenarios.Check(readsDiverted == 0, $"{readsDiverted} reads were diverted during a pipe read");
        Scenarios.Check(pipeBlockedIn.Contains($"read(fd {pipeRead}: pipe:[", StringComparison.Ordinal),
            $"the monitor did not report the pipe read as blocking its scheduler: '{pipeBlockedIn}'");
        pipeWriter.Join();

        // close wakes a reader of the socket; shutdown(SHUT_RD) gives a reader end-of-file
        int* closing = stackalloc int[2];
        Scenarios.Check(Native.SocketPair(AfUnix, SockStream, 0, closing) == 0, "socketpair failed");
        int* shutting = stackalloc int[2];
        Scenarios.Check(Native.SocketPair(AfUnix, SockStream, 0, shutting) == 0, "socketpair failed");
        int closeFd = closing[0];
        int shutFd = shutting[0];
        (nint Result, int Errno) afterClose = (0, 0);
        nint afterShutdown = -2;
        var watch = Stopwatch.StartNew();
        CoroutineRun.All(4, i =>
        {
            int value;
            switch (i)
            {
                case 0:
                    nint r = Native.Read(closeFd, &value, sizeof(int));
                    afterClose = (r, Marshal.GetLastPInvokeError());
                    break;
                case 1:
                    Coroutine.Sleep(100);
                    Native.Close(closeFd);
                    break;
                case 2:
                    afterShutdown = Native.Recv(shutFd, &value, sizeof(int), 0);
                    break;
                default:
                    Coroutine.Sleep(100);
                    Native.Shutdown(shutFd, 0);
                    break;
            }
        });
        Scenarios.Check(afterClose == (-1, EBADF), $"a read of a socket closed meanwhile gave {afterClose}");
        Scenarios.Check(afterShutdown == 0, $"a receive of a socket shut down meanwhile gave {afterShutdown}");
        Scenarios.Check(watch.ElapsedMilliseconds < 5000, "close/shutdown did not wake the readers promptly");
    }

    /// <summary>
    /// select, ppoll and epoll_wait in coroutines: 20 of each waiting 300 ms on idle sockets on one scheduler overlap
    /// and return 0 (select's sets cleared and its timeout run down, as Linux leaves them); with data they report the
    /// right descriptor and events; the same calls on a plain thread give the same results.
    /// </summary>
    [Scenario("waits")]
    public static void Waits()
    {
        Coroutine.Configure(o => o.SchedulerCount = 1);
        Hooks.Enable();
        const int waiters = 20;
        const int timeoutMs = 300;
        var pairs = new int[waiters * 2];
        fixed (int* p = pairs)
        {
            for (int i = 0; i < waiters; i++)
            {
                Scenarios.Check(Native.SocketPair(AfUnix, SockStream, 0, p + (2 * i)) == 0, "socketpair failed");
            }
        }

        foreach (string kind in new[] { "select", "ppoll", "epoll_wait" })
        {
            int zeroes = 0;
            var watch = Stopwatch.StartNew();
            CoroutineRun.All(waiters, i =>
            {
                if (Wait(kind, pairs[2 * i], timeoutMs, expectFd: -1))
                {
                    Interlocked.Increment(ref zeroes);
                }
            });
            long elapsed = watch.ElapsedMilliseconds;
            Console.WriteLine($"{kind} ELAPSED {elapsed}");
            Scenarios.Check(zeroes == waiters, $"{kind}: {zeroes} of {waiters} idle waits timed out correctly");
            Scenarios.Check(elapsed >= timeoutMs - 10 && elapsed < waiters * timeoutMs / 4, $"{kind}: {waiters} waits of {timeoutMs} ms took {elapsed} ms");

            // data arriving during the wait, in a coroutine and on a plain thread
            foreach (bool inCoroutine in new[] { true, false })
            {
                int fd = pairs[0];
                int peer = pairs[1];
                var sender = new Thread(() =>
                {
                    Thread.Sleep(100);
                    int one = 1;
                    Native.Write(peer, &one, sizeof(int));
                });
                sender.Start();
                bool ok = false;
                if (inCoroutine)
                {
                    CoroutineRun.All(1, _ => ok = Wait(kind, fd, 5000, expectFd: fd));
                }
                else
                {
                    ok = Wait(kind, fd, 5000, expectFd: fd);
                }

                sender.Join();
                Scenarios.Check(ok, $"{kind} (coroutine {inCoroutine}): data was not reported");
                int drained = 0;
                Scenarios.Check(Native.Read(fd, &drained, sizeof(int)) == sizeof(int), "drain failed");
            }
        }

        // two descriptors: the one with data is reported
        int quiet = pairs[2];
        int busy = pairs[4];
        int busyPeer = pairs[5];
        CoroutineRun.All(2, i =>
        {
            if (i == 1)
            {
                Coroutine.Sleep(50);
                int one = 1;
                Native.Write(busyPeer, &one, sizeof(int));
                return;
            }

            ulong* set = stackalloc ulong[16];
            set[quiet / 64] |= 1UL << (quiet % 64);
            set[busy / 64] |= 1UL << (busy % 64);
            long* timeout = stackalloc long[2] { 5, 0 };
            int n = Native.Select(Math.Max(quiet, busy) + 1, set, null, null, timeout);
            Scenarios.Check(n == 1 && (set[busy / 64] & (1UL << (busy % 64))) != 0 && (set[quiet / 64] & (1UL << (quiet % 64))) == 0, $"two-descriptor select gave {n}");
            Scenarios.Check(timeout[0] < 5 || timeout[1] > 0 || timeout[0] == 4, "select did not run its timeout down");
        });
    }

    /// <summary>One wait of <paramref name="kind"/> for readability of <paramref name="fd"/>: true when it timed out
    /// with 0 (<paramref name="expectFd"/> -1) or reported exactly <paramref name="expectFd"/>.</summary>
    private static bool Wait(string kind, int fd, int timeoutMs, int expectFd)
    {
        switch (kind)
        {
            case "select":
            {
                ulong* set = stackalloc ulong[16];
                set[fd / 64] |= 1UL << (fd % 64);
                long* timeout = stackalloc long[2] { timeoutMs / 1000, timeoutMs % 1000 * 1000 };
                int n = Native.Select(fd + 1, set, null, null, timeout);
                bool isSet = (set[fd / 64] & (1UL << (fd % 64))) != 0;
                return expectFd < 0 ? n == 0 && !isSet && timeout[0] == 0 && timeout[1] == 0 : n == 1 && isSet;
            }

            case "ppoll":
            {
                long pollfd = (long)(uint)fd | (1L << 32);
                long* timeout = stackalloc long[2] { timeoutMs / 1000, timeoutMs % 1000 * 1_000_000L };
                int n = Native.Ppoll(&pollfd, 1, timeout, null);
                short revents = (short)(pollfd >> 48);
                return expectFd < 0 ? n == 0 && revents == 0 : n == 1 && (revents & 1) != 0;
            }

            default:
            {
                int epoll = Native.EpollCreate1(0);
                long* registration = stackalloc long[2];
                ((uint*)registration)[0] = 1; // EPOLLIN
                *(long*)((byte*)registration + 4) = fd + 1000L;
                Native.EpollCtl(epoll, 1, fd, registration);
                long* events = stackalloc long[4];
                int n = Native.EpollWait(epoll, events, 2, timeoutMs);
                long data = *(long*)((byte*)events + 4);
                Native.Close(epoll);
                return expectFd < 0 ? n == 0 : n == 1 && data == fd + 1000L;
            }
        }
    }

    /// <summary>gethostbyname, gethostbyname_r and getnameinfo in a coroutine are handed to the pool (the counter
    /// grows) and give what they give on a plain thread.</summary>
    [Scenario("host-lookups")]
    public static void HostLookups()
    {
        Coroutine.Configure(o => o.SchedulerCount = 1);
        byte* localhost = stackalloc byte[] { (byte)'l', (byte)'o', (byte)'c', (byte)'a', (byte)'l', (byte)'h', (byte)'o', (byte)'s', (byte)'t', 0 };
        string expected = Lookups(localhost);
        Hooks.Enable();
        long before = Interlocked.Read(ref ResolverHandlers.Offloaded);
        string inCoroutine = "";
        CoroutineRun.All(1, _ => inCoroutine = Lookups(localhost));
        long offloaded = Interlocked.Read(ref ResolverHandlers.Offloaded) - before;
        Console.WriteLine($"LOOKUPS {inCoroutine} OFFLOADED {offloaded}");
        Scenarios.Check(inCoroutine == expected, $"in a coroutine: {inCoroutine}; on a plain thread: {expected}");
        Scenarios.Check(offloaded == 3, $"{offloaded} of 3 lookups were handed to the pool");
        Scenarios.Check(Lookups(localhost) == expected && Interlocked.Read(ref ResolverHandlers.Offloaded) - before == 3, "a plain thread's lookups were diverted");
    }

    /// <summary>gethostbyname + gethostbyname_r of <paramref name="name"/> and getnameinfo of 127.0.0.1, as text.</summary>
    private static string Lookups(byte* name)
    {
        byte* entry = (byte*)Native.GetHostByName(name);
        string first = entry is null ? "null" : $"{Marshal.PtrToStringUTF8(*(nint*)entry)}/{*(int*)(entry + 16)}";
        byte* result = stackalloc byte[32];
        byte* buffer = stackalloc byte[2048];
        void* found = null;
        int hostErrno = 0;
        int status = Native.GetHostByNameR(name, result, buffer, 2048, &found, &hostErrno);
        string second = found is null ? $"null/{status}/{hostErrno}" : $"{Marshal.PtrToStringUTF8(*(nint*)result)}/{*(int*)(result + 16)}";
        byte* address = stackalloc byte[16];
        address[0] = 2; // AF_INET
        address[4] = 127;
        address[7] = 1;
        byte* host = stackalloc byte[64];
        int nameStatus = Native.GetNameInfo(address, 16, host, 64, null, 0, 1 /* NI_NUMERICHOST */);
        return $"{first} {second} {nameStatus}:{Marshal.PtrToStringUTF8((nint)host)}";
    }

    /// <summary>
    /// The gates count what they divert, per function, and the meter "Co" publishes it as co.hooks.diverted: five
    /// usleeps in a coroutine count five, one on a plain thread none; the managed layer's appear per method (one
    /// Thread.Sleep in a coroutine counts one).
    /// </summary>
    [Scenario("hook-metrics")]
    public static void HookMetrics()
    {
        Coroutine.Configure(o => o.SchedulerCount = 1);
        Hooks.Enable();
        long before = NativeDivertCounters.Read("usleep");
        CoroutineRun.All(1, _ =>
        {
            for (int i = 0; i < 5; i++)
            {
                Native.USleep(1000);
            }

            Thread.Sleep(1); // the managed layer's Thread.Sleep
        });
        Native.USleep(1000); // a plain thread: not diverted, not counted
        long counted = NativeDivertCounters.Read("usleep") - before;
        Scenarios.Check(counted == 5, $"the usleep gate counted {counted} diverted calls, expected 5");

        var published = new Dictionary<string, long>();
        using var listener = new System.Diagnostics.Metrics.MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Name == "Co" && instrument.Name == "co.hooks.diverted")
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<long>((_, value, tags, _) =>
        {
            foreach (KeyValuePair<string, object?> tag in tags)
            {
                if (tag.Key == "function" && tag.Value is string function)
                {
                    published[function] = value;
                }
            }
        });
        listener.Start();
        listener.RecordObservableInstruments();
        long sleeps = published.GetValueOrDefault("Thread.Sleep(int)");
        Console.WriteLine($"PUBLISHED usleep={published.GetValueOrDefault("usleep")} Thread.Sleep={sleeps} functions={published.Count}");
        Scenarios.Check(published.GetValueOrDefault("usleep") == NativeDivertCounters.Read("usleep") && sleeps == 1,
            $"co.hooks.diverted published usleep={published.GetValueOrDefault("usleep")}, Thread.Sleep(int)={sleeps} (expected 1)");
        Scenarios.Check(published.Count >= 40, $"co.hooks.diverted has {published.Count} functions and methods");
    }

    /// <summary>
    /// Bad input through the hooked calls gives libc's exact results and errno, in a coroutine as on a plain thread:
    /// bad and closed descriptors, non-sockets, zero-length buffers, bad timeouts and sizes.
    /// </summary>
    [Scenario("bad-input")]
    public static void BadInput()
    {
        Coroutine.Configure(o => o.SchedulerCount = 1);
        BadInputResults(); // binds every import first (a first call's errno can be the binder's)
        string plain = BadInputResults();
        Hooks.Enable();
        string hookedPlain = BadInputResults();
        string inCoroutine = "";
        CoroutineRun.All(1, _ => inCoroutine = BadInputResults());
        Console.WriteLine($"RESULTS {inCoroutine}");
        Scenarios.Check(hookedPlain == plain, $"plain thread, hooked: {hookedPlain}\nunhooked: {plain}");
        Scenarios.Check(inCoroutine == plain, $"coroutine, hooked: {inCoroutine}\nunhooked: {plain}");
        Scenarios.Check(plain.Contains($"={-1}/{EBADF}", StringComparison.Ordinal) && plain.Contains($"={-1}/{ENOTSOCK}", StringComparison.Ordinal) && plain.Contains($"={-1}/{EINVAL}", StringComparison.Ordinal),
            "the probe did not exercise EBADF, ENOTSOCK and EINVAL: " + plain);
    }

    private static string BadInputResults()
    {
        var results = new List<string>();
        void Record(string what, long result) => results.Add($"{what}={result}/{(result < 0 ? Marshal.GetLastPInvokeError() : 0)}");

        int* pair = stackalloc int[2];
        Native.SocketPair(AfUnix, SockStream, 0, pair);
        int* pipe = stackalloc int[2];
        Native.Pipe(pipe);
        const int closed = 4000; // a number far above those in use, so no other thread's open() takes it meanwhile
        Native.Dup2(pipe[0], closed);
        Native.Close(closed);
        byte b = 0;
        long pollfd = (long)(uint)closed | (1L << 32);
        long* badTimespec = stackalloc long[2] { 0, 2_000_000_000 };
        long* vector = stackalloc long[2] { (long)&b, 0 };
        foreach ((string name, int fd) in new[] { ("-1", -1), ("closed", closed), ("huge", 1 << 30) })
        {
            Record($"recv({name})", Native.Recv(fd, &b, 1, 0));
            Record($"send({name})", Native.Send(fd, &b, 1, 0));
            Record($"read({name})", Native.Read(fd, &b, 1));
            Record($"write({name})", Native.Write(fd, &b, 1));
            Record($"readv({name})", Native.Readv(fd, vector, 1));
            Record($"writev({name})", Native.Writev(fd, vector, 1));
            Record($"accept({name})", Native.Accept(fd, null, null));
            Record($"close({name})", Native.Close(fd));
            Record($"epoll_wait({name})", Native.EpollWait(fd, &pollfd, 1, 10));
        }

        Record("recv(pipe)", Native.Recv(pipe[0], &b, 1, 0)); // ENOTSOCK
        Record("accept(unlistened)", Native.Accept(pair[0], null, null)); // EINVAL
        Record("recv(zero length)", Native.Recv(pair[0], &b, 0, 0x40));
        Record("send(zero length)", Native.Send(pair[0], &b, 0, 0));
        Record("write(zero length)", Native.Write(pair[0], &b, 0));
        Record("writev(zero length)", Native.Writev(pair[0], vector, 1));
        Record("poll(closed)", Native.Poll(&pollfd, 1, 10));
        results.Add($"revents={(short)(pollfd >> 48)}");
        Record("poll(none)", Native.Poll(null, 0, 10));
        Record("ppoll(bad timeout)", Native.Ppoll(&pollfd, 1, badTimespec, null));
        Record("select(negative)", Native.Select(-1, null, null, null, null));
        Record("epoll_wait(no room)", Native.EpollWait(pair[0], &pollfd, 0, 10));
        Record("nanosleep(bad)", Native.NanoSleep(badTimespec, null));
        foreach (int fd in new[] { pair[0], pair[1], pipe[0], pipe[1] })
        {
            Native.Close(fd);
        }

        return string.Join(' ', results);
    }

    /// <summary>
    /// Enable and Disable 60 times while plain threads and coroutines echo over sockets: every echo is right, each
    /// Disable writes every function's original bytes back, and after the first cycle neither the executable arena nor
    /// the process's memory grows (the gates and trampolines are reused).
    /// </summary>
    [Scenario("install-cycles")]
    public static void InstallCycles()
    {
        const int cycles = 60;
        Coroutine.Configure(o => o.SchedulerCount = 2);
        nint libc = NativeLibrary.Load("libc.so.6");
        Hooks.Enable();
        var targets = new List<nint>();
        foreach ((string name, HookStatus state) in Hooks.Status)
        {
            if (state.State == HookState.Hooked && NativeLibrary.TryGetExport(libc, name, out nint export))
            {
                targets.Add(export); // the libc functions (the managed layer's methods have no export)
            }
        }

        Scenarios.Check(targets.Count >= 30, $"only {targets.Count} libc functions hooked");
        Hooks.Disable();
        var originals = targets.Select(t => new ReadOnlySpan<byte>((void*)t, 8).ToArray()).ToList();

        bool running = true;
        long echoes = 0;
        string? failure = null;
        var load = new List<Thread>();
        for (int t = 0; t < 2; t++)
        {
            load.Add(new Thread(() => Echo(ref running, ref echoes, ref failure)) { IsBackground = true });
        }

        load.ForEach(t => t.Start());
        var echoing = new WaitGroup(4);
        for (int c = 0; c < 4; c++)
        {
            Coroutine.Go(() =>
            {
                try
                {
                    Echo(ref running, ref echoes, ref failure);
                }
                finally
                {
                    echoing.Done();
                }
            });
        }

        long arenaAfterFirst = 0;
        long rssAfterFirst = 0;
        var watch = Stopwatch.StartNew();
        for (int cycle = 0; cycle < cycles && watch.Elapsed < TimeSpan.FromSeconds(40); cycle++)
        {
            Hooks.Enable();
            Scenarios.Check(Hooks.Status.Values.All(v => v.State is HookState.Hooked or HookState.NotNeeded), $"cycle {cycle}: not every hook installed");
            Thread.Sleep(1);
            Hooks.Disable();
            for (int i = 0; i < targets.Count; i++)
            {
                Scenarios.Check(new ReadOnlySpan<byte>((void*)targets[i], 8).SequenceEqual(originals[i]), $"cycle {cycle}: function {i}'s bytes were not restored");
            }

            if (cycle == 4)
            {
                GC.Collect();
                arenaAfterFirst = ExecutableArena.BytesAllocated;
                rssAfterFirst = Environment.WorkingSet;
            }
        }

        Volatile.Write(ref running, false);
        load.ForEach(t => t.Join());
        Scenarios.Check(Task.Run(echoing.Wait).Wait(TimeSpan.FromSeconds(10)), "the echoing coroutines did not stop");
        GC.Collect();
        long arenaGrowth = ExecutableArena.BytesAllocated - arenaAfterFirst;
        long rssGrowth = Environment.WorkingSet - rssAfterFirst;
        Console.WriteLine($"ECHOES {echoes} ARENA {ExecutableArena.BytesAllocated} (+{arenaGrowth}) RSS +{rssGrowth / 1024} KiB");
        Scenarios.Check(failure is null, failure ?? "");
        Scenarios.Check(echoes > 1000, $"only {echoes} echoes during the cycles");
        Scenarios.Check(arenaGrowth == 0, $"the executable arena grew by {arenaGrowth} bytes over the cycles");
        Scenarios.Check(rssGrowth < 32 << 20, $"the process grew by {rssGrowth / 1024} KiB over the cycles");
    }

    /// <summary>Echoes 4-byte counters over a socketpair with blocking send/recv until <paramref name="running"/> is
    /// cleared (at most 60 s); records the first wrong echo.</summary>
    private static void Echo(ref bool running, ref long echoes, ref string? failure)
    {
        int* pair = stackalloc int[2];
        Native.SocketPair(AfUnix, SockStream, 0, pair);
        var limit = Stopwatch.StartNew();
        for (int i = 0; Volatile.Read(ref running) && limit.Elapsed < TimeSpan.FromSeconds(60); i++)
        {
            int sent = i;
            int received = -1;
            if (Native.Send(pair[0], &sent, sizeof(int), 0) != sizeof(int) || Native.Recv(pair[1], &received, sizeof(int), 0x100) != sizeof(int) || received != i)
            {
                failure ??= $"echo {i} came back as {received} (errno {Marshal.GetLastPInvokeError()})";
                break;
            }

            Interlocked.Increment(ref echoes);
        }

        Native.Close(pair[0]);
        Native.Close(pair[1]);
    }

    /// <summary>The libc functions the scenarios call, through the (hooked) exports.</summary>
    private static partial class Native
    {
        [LibraryImport("libc", EntryPoint = "socket", SetLastError = true)]
        public static partial int Socket(int domain, int type, int protocol);

        [LibraryImport("libc", EntryPoint = "socketpair", SetLastError = true)]
        public static partial int SocketPair(int domain, int type, int protocol, int* pair);

        [LibraryImport("libc", EntryPoint = "pipe", SetLastError = true)]
        public static partial int Pipe(int* pair);

        [LibraryImport("libc", EntryPoint = "dup", SetLastError = true)]
        public static partial int Dup(int fd);

        [LibraryImport("libc", EntryPoint = "dup2", SetLastError = true)]
        public static partial int Dup2(int fd, int target);

        [LibraryImport("libc", EntryPoint = "close", SetLastError = true)]
        public static partial int Close(int fd);

        [LibraryImport("libc", EntryPoint = "accept", SetLastError = true)]
        public static partial int Accept(int fd, void* address, int* length);

        [LibraryImport("libc", EntryPoint = "shutdown", SetLastError = true)]
        public static partial int Shutdown(int fd, int how);

        [LibraryImport("libc", EntryPoint = "recv", SetLastError = true)]
        public static partial nint Recv(int fd, void* buffer, nint length, int flags);

        [LibraryImport("libc", EntryPoint = "send", SetLastError = true)]
        public static partial nint Send(int fd, void* buffer, nint length, int flags);

        [LibraryImport("libc", EntryPoint = "read", SetLastError = true)]
        public static partial nint Read(int fd, void* buffer, nint length);

        [LibraryImport("libc", EntryPoint = "write", SetLastError = true)]
        public static partial nint Write(int fd, void* buffer, nint length);

        [LibraryImport("libc", EntryPoint = "readv", SetLastError = true)]
        public static partial nint Readv(int fd, long* vectors, int count);

        [LibraryImport("libc", EntryPoint = "writev", SetLastError = true)]
        public static partial nint Writev(int fd, long* vectors, int count);

        [LibraryImport("libc", EntryPoint = "poll", SetLastError = true)]
        public static partial int Poll(long* fds, nuint count, int timeout);

        [LibraryImport("libc", EntryPoint = "ppoll", SetLastError = true)]
        public static partial int Ppoll(long* fds, nuint count, long* timeout, void* mask);

        [LibraryImport("libc", EntryPoint = "select", SetLastError = true)]
        public static partial int Select(int count, ulong* read, ulong* write, ulong* except, long* timeout);

        [LibraryImport("libc", EntryPoint = "epoll_create1", SetLastError = true)]
        public static partial int EpollCreate1(int flags);

        [LibraryImport("libc", EntryPoint = "epoll_ctl", SetLastError = true)]
        public static partial int EpollCtl(int epoll, int operation, int fd, void* registration);

        [LibraryImport("libc", EntryPoint = "epoll_wait", SetLastError = true)]
        public static partial int EpollWait(int epoll, void* events, int capacity, int timeout);

        [LibraryImport("libc", EntryPoint = "usleep", SetLastError = true)]
        public static partial int USleep(uint microseconds);

        [LibraryImport("libc", EntryPoint = "nanosleep", SetLastError = true)]
        public static partial int NanoSleep(long* request, long* remaining);

        [LibraryImport("libc", EntryPoint = "gethostbyname", SetLastError = true)]
        public static partial void* GetHostByName(byte* name);

        [LibraryImport("libc", EntryPoint = "gethostbyname_r", SetLastError = true)]
        public static partial int GetHostByNameR(byte* name, void* entry, byte* buffer, nint length, void** result, int* hostErrno);

        [LibraryImport("libc", EntryPoint = "getnameinfo", SetLastError = true)]
        public static partial int GetNameInfo(void* address, int length, byte* host, int hostLength, byte* service, int serviceLength, int flags);
    }
}
