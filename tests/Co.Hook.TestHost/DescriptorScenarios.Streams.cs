using System.Diagnostics;
using System.Runtime.InteropServices;
using Co;
using Co.Hook.Gates;
using Co.Testing;

/// <summary>Scenarios of the descriptor-level hooks: read/write/readv/writev/close/shutdown on sockets (and a pipe
/// read, which is not diverted).</summary>
internal static unsafe partial class DescriptorScenarios
{
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
}
