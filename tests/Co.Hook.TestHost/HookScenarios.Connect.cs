using System.Runtime.InteropServices;
using Co;
using Co.Hook;
using Co.Testing;

/// <summary>Scenarios of the hook layer: libc connect and blocking semantics.</summary>
internal static partial class HookScenarios
{
    /// <summary>Raw libc connect through P/Invoke gives libc's results and errno, in a coroutine (hooked, the coroutine
    /// waits) and on a plain thread alike: 0 to a listener, -1/ECONNREFUSED to a closed port, -1/EBADF for a bad fd.</summary>
    [Scenario("native-connect")]
    public static unsafe void NativeConnect()
    {
        Coroutine.Configure(o => o.SchedulerCount = 1);
        Hooks.Enable();
        Scenarios.Check(Hooks.Status["connect"].State == HookState.Hooked, "connect: " + Hooks.Status["connect"]);
        using var listener = new System.Net.Sockets.Socket(System.Net.Sockets.AddressFamily.InterNetwork, System.Net.Sockets.SocketType.Stream, System.Net.Sockets.ProtocolType.Tcp);
        listener.Bind(new System.Net.IPEndPoint(System.Net.IPAddress.Loopback, 0));
        listener.Listen(16);
        int open = ((System.Net.IPEndPoint)listener.LocalEndPoint!).Port;
        using var bound = new System.Net.Sockets.Socket(System.Net.Sockets.AddressFamily.InterNetwork, System.Net.Sockets.SocketType.Stream, System.Net.Sockets.ProtocolType.Tcp);
        bound.Bind(new System.Net.IPEndPoint(System.Net.IPAddress.Loopback, 0)); // bound, not listening: refuses
        int closed = ((System.Net.IPEndPoint)bound.LocalEndPoint!).Port;

        (int Result, int Errno) Attempt(int port, bool badFd)
        {
            int fd = badFd ? 1_000_000 : RawLibc.Socket(2, 1, 0);
            byte* address = stackalloc byte[16];
            RawLibc.WriteLoopbackV4(address, port);
            int result = RawLibc.Connect(fd, address, 16);
            int errno = Marshal.GetLastPInvokeError();
            if (!badFd)
            {
                RawLibc.Close(fd);
            }

            return (result, errno);
        }

        var plain = new[] { Attempt(open, false), Attempt(closed, false), Attempt(open, true) };
        var inCoroutine = new (int, int)[3];
        var done = new WaitGroup(1);
        Coroutine.Go(() =>
        {
            inCoroutine[0] = Attempt(open, false);
            inCoroutine[1] = Attempt(closed, false);
            inCoroutine[2] = Attempt(open, true);
            done.Done();
        });
        Scenarios.Check(Task.Run(done.Wait).Wait(TimeSpan.FromSeconds(20)), "the coroutine's connects did not finish");
        Scenarios.Check(plain[0] == (0, plain[0].Errno) && plain[1] == (-1, 111) && plain[2] == (-1, 9), $"plain thread: {string.Join(", ", plain)}");
        Scenarios.Check(inCoroutine[0].Item1 == 0 && inCoroutine[1] == (-1, 111) && inCoroutine[2] == (-1, 9), $"coroutine: {string.Join(", ", inCoroutine)}");
    }

    /// <summary>
    /// The hooked calls keep blocking semantics exactly: a socket the caller made non-blocking gets EAGAIN at once;
    /// a blocking send of 4 MB completes whole (continued across partial sends) while a slow reader on the same
    /// scheduler drains it; SO_RCVTIMEO makes a blocking receive fail with EAGAIN after its timeout while another
    /// coroutine of the scheduler keeps running.
    /// </summary>
    [Scenario("native-semantics")]
    public static unsafe void NativeSemantics()
    {
        Coroutine.Configure(o => o.SchedulerCount = 1);
        Hooks.Enable();
        var done = new WaitGroup(1);
        string? failure = null;
        Coroutine.Go(() =>
        {
            try
            {
                int* pair = stackalloc int[2];
                Scenarios.Check(Libc_.socketpair(1, 1, 0, pair) == 0, "socketpair failed");

                // 1. the caller's non-blocking choice: EAGAIN at once
                int mode = RawLibc.Fcntl(pair[1], 3, 0);
                Scenarios.Check(RawLibc.Fcntl(pair[1], 4, mode | 0x800) == 0, "fcntl(O_NONBLOCK) failed");
                byte one;
                nint n = Libc_.recv(pair[1], &one, 1, 0); // no data ever comes: a wrongly diverted call would never return
                Scenarios.Check(n == -1 && Marshal.GetLastPInvokeError() == 11,
                    $"recv on a non-blocking socket returned {n}, errno {Marshal.GetLastPInvokeError()}");
                RawLibc.Fcntl(pair[1], 4, mode);

                // 2. a blocking send of 4 MB completes whole while a slow reader on this scheduler drains it
                const int total = 4 * 1024 * 1024;
                long received = 0;
                var reader = new WaitGroup(1);
                int readFd = pair[1];
                Coroutine.Go(() =>
                {
                    var chunk = new byte[7000];
                    fixed (byte* buffer = chunk)
                    {
                        while (received < total)
                        {
                            nint got = Libc_.recv(readFd, buffer, chunk.Length, 0);
                            if (got <= 0)
                            {
                                break;
                            }

                            received += got;
                        }
                    }

                    reader.Done();
                });
                byte[] data = new byte[total];
                fixed (byte* payload = data)
                {
                    nint sent = Libc_.send(pair[0], payload, total, 0);
                    Scenarios.Check(sent == total, $"a blocking send of {total} bytes returned {sent}");
                }

                reader.Wait();
                Scenarios.Check(received == total, $"the reader got {received} of {total} bytes");

                // 3. SO_RCVTIMEO: EAGAIN after the timeout; meanwhile another coroutine runs
                long* timeout = stackalloc long[2];
                timeout[0] = 0;
                timeout[1] = 300_000; // 300 ms
                Scenarios.Check(RawLibc.SetSockOpt(pair[1], 1, 20, timeout, 16) == 0, "setsockopt(SO_RCVTIMEO) failed");
                int ticks = 0;
                var ticker = new WaitGroup(1);
                Coroutine.Go(() =>
                {
                    for (int i = 0; i < 5; i++)
                    {
                        Coroutine.Sleep(20);
                        ticks++;
                    }

                    ticker.Done();
                });
                var watch = System.Diagnostics.Stopwatch.StartNew();
                n = Libc_.recv(pair[1], &one, 1, 0);
                int errno = Marshal.GetLastPInvokeError();
                long waited = watch.ElapsedMilliseconds;
                ticker.Wait();
                Scenarios.Check(n == -1 && errno == 11, $"a receive past SO_RCVTIMEO returned {n}, errno {errno} (expected -1, EAGAIN)");
                Scenarios.Check(waited >= 290 && waited < 3000, $"the SO_RCVTIMEO receive returned after {waited} ms, expected about 300");
                Scenarios.Check(ticks == 5, $"the other coroutine ticked {ticks} times while the receive waited: the scheduler was blocked");
            }
            catch (Exception exception)
            {
                failure = exception.Message;
            }
            finally
            {
                done.Done();
            }
        });
        Scenarios.Check(Task.Run(done.Wait).Wait(TimeSpan.FromSeconds(30)), "the scenario did not finish within 30 s");
        Scenarios.Check(failure is null, failure ?? "");
    }
}
