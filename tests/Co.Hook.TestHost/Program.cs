// Child-process scenarios for the native detour tests: every patch of live code runs here, in a process of its own,
// under the DOTNET_* settings the test chooses. Prints "OK <scenario>" and exits 0 on success; prints the failure and
// exits 1 otherwise. A crash shows up as another exit code.
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Co;
using Co.Hook;

try
{
    string scenario = args.Length > 0 ? args[0] : "";
    if (scenario.EndsWith("-unhooked", StringComparison.Ordinal))
    {
        // A control shows the same program without the hooks: serialized. The blocked-scheduler monitor (on by
        // default) would hand each blocked scheduler to another thread and blur that, so controls run without it.
        Coroutine.Configure(o => o.BlockedSchedulerThreshold = TimeSpan.Zero);
    }

    switch (scenario)
    {
        case "detour-getppid": Scenarios.DetourGetppid(); break;
        case "detour-recv": Scenarios.DetourRecv(); break;
        case "install-under-load": Scenarios.InstallUnderLoad(); break;
        case "refuse": Scenarios.Refuse(); break;
        case "blocking-receive": HookScenarios.BlockingReceive(hooks: true); break;
        case "blocking-receive-unhooked": HookScenarios.BlockingReceive(hooks: false); break;
        case "native-sleep": HookScenarios.NativeSleep(hooks: true); break;
        case "native-sleep-unhooked": HookScenarios.NativeSleep(hooks: false); break;
        case "native-connect": HookScenarios.NativeConnect(); break;
        case "native-semantics": HookScenarios.NativeSemantics(); break;
        case "dns": HookScenarios.Dns(); break;
        case "native-poll": HookScenarios.NativePoll(); break;
        case "socket-tracking": DescriptorScenarios.SocketTracking(); break;
        case "streams": DescriptorScenarios.Streams(); break;
        case "waits": DescriptorScenarios.Waits(); break;
        case "host-lookups": DescriptorScenarios.HostLookups(); break;
        case "bad-input": DescriptorScenarios.BadInput(); break;
        case "hook-metrics": DescriptorScenarios.HookMetrics(); break;
        case "install-cycles": DescriptorScenarios.InstallCycles(); break;
        case "curl": CurlScenario.Run(hooks: true); break;
        case "curl-unhooked": CurlScenario.Run(hooks: false); break;
        case "libpq": LibpqScenario.Run(hooks: true); break;
        case "libpq-unhooked": LibpqScenario.Run(hooks: false); break;
        case "npgsql": NpgsqlScenario.Run(hooks: true); break;
        case "npgsql-unhooked": NpgsqlScenario.Run(hooks: false); break;
        case "http-send": HttpClientScenario.Run(hooks: true); break;
        case "http-send-unhooked": HttpClientScenario.Run(hooks: false); break;
        case "managed-receive": ManagedScenarios.ReceiveAfterAsync(hooks: true); break;
        case "managed-receive-unhooked": ManagedScenarios.ReceiveAfterAsync(hooks: false); break;
        case "thread-sleep": ManagedScenarios.ThreadSleep(hooks: true); break;
        case "thread-sleep-unhooked": ManagedScenarios.ThreadSleep(hooks: false); break;
        case "detours-hold": ManagedScenarios.DetoursHold(); break;
        case "task-wait": ManagedScenarios.TaskWait(hooks: true); break;
        case "sync-primitives": ManagedScenarios.SyncPrimitives(hooks: true); break;
        case "sync-primitives-unhooked": ManagedScenarios.SyncPrimitives(hooks: false); break;
        case "npgsql-pooled": NpgsqlScenario.RunPooled(); break;
        case "task-wait-unhooked": ManagedScenarios.TaskWait(hooks: false); break;
        case "managed-errors": ManagedScenarios.Errors(); break;
        case "stability": HookScenarios.Stability(TimeSpan.FromSeconds(args.Length > 1 ? int.Parse(args[1]) : 30)); break;
        case "startup-hook":
            Scenarios.Check(Hooks.IsEnabled, "DOTNET_STARTUP_HOOKS did not enable the hooks before Main");
            HookScenarios.NativeSleep(hooks: true, enableHere: false);
            break;
        default: throw new ArgumentException($"unknown scenario '{scenario}'");
    }

    Console.WriteLine($"OK {scenario}");
    return 0;
}
catch (Exception exception)
{
    Console.WriteLine($"FAIL {exception}");
    return 1;
}

internal static unsafe class Scenarios
{
    private static readonly nint Libc = NativeLibrary.Load("libc.so.6");

    /// <summary>A detour replaces the function, the trampoline calls the real one, and removal restores it; 200 times.</summary>
    public static void DetourGetppid()
    {
        nint target = NativeLibrary.GetExport(Libc, "getppid");
        int real = Libc_.getppid();
        for (int round = 0; round < 200; round++)
        {
            using (NativeDetour detour = NativeDetour.Install(target, (nint)(delegate* unmanaged<int>)&Replacements.Getppid))
            {
                Check(Libc_.getppid() == Replacements.FakeParent, $"round {round}: the detoured getppid returned {Libc_.getppid()}");
                int throughTrampoline = ((delegate* unmanaged<int>)detour.Original)();
                Check(throughTrampoline == real, $"round {round}: the original through the trampoline returned {throughTrampoline}, expected {real}");
            }

            Check(Libc_.getppid() == real, $"round {round}: after removal getppid returned {Libc_.getppid()}");
        }
    }

    /// <summary>recv's prologue starts with a RIP-relative cmp: relocated, it must still work, with libc's results
    /// and errno (data, EAGAIN, EBADF) unchanged through the replacement.</summary>
    public static void DetourRecv()
    {
        nint target = NativeLibrary.GetExport(Libc, "recv");
        int* pair = stackalloc int[2];
        Check(Libc_.socketpair(1, 1, 0, pair) == 0, "socketpair failed");
        using NativeDetour detour = NativeDetour.Install(target, (nint)(delegate* unmanaged<int, byte*, nint, int, nint>)&Replacements.Recv);
        Replacements.RecvOriginal = detour.Original;
        byte sent = 42;
        for (int round = 0; round < 1000; round++)
        {
            Check(Libc_.send(pair[0], &sent, 1, 0) == 1, "send failed");
            byte received = 0;
            nint n = Libc_.recv(pair[1], &received, 1, 0);
            Check(n == 1 && received == 42, $"recv returned {n} / {received}");
            n = Libc_.recv(pair[1], &received, 1, 0x40 /* MSG_DONTWAIT */);
            Check(n == -1 && Marshal.GetLastPInvokeError() == 11, $"recv on an empty socket returned {n}, errno {Marshal.GetLastPInvokeError()} (expected -1, EAGAIN)");
            n = Libc_.recv(-1, &received, 1, 0);
            Check(n == -1 && Marshal.GetLastPInvokeError() == 9, $"recv(-1) returned {n}, errno {Marshal.GetLastPInvokeError()} (expected -1, EBADF)");
        }

        Check(Replacements.RecvCalls == 3000, $"the replacement saw {Replacements.RecvCalls} calls, expected 3000");
    }

    /// <summary>Two threads call recv (peek, non-blocking) nonstop while the main thread installs and removes its
    /// detour 5,000 times: every call returns the right result whichever code it ran through.</summary>
    public static void InstallUnderLoad()
    {
        nint target = NativeLibrary.GetExport(Libc, "recv");
        int* pair = stackalloc int[2];
        Check(Libc_.socketpair(1, 1, 0, pair) == 0, "socketpair failed");
        byte sent = 7;
        Check(Libc_.send(pair[0], &sent, 1, 0) == 1, "send failed");
        int fd = pair[1];

        // Trampolines are never freed, so any one of them stays a valid way to the original: start with one, then
        // let callers race with installs and removals.
        using (NativeDetour first = NativeDetour.Install(target, (nint)(delegate* unmanaged<int, byte*, nint, int, nint>)&Replacements.Recv))
        {
            Volatile.Write(ref Replacements.RecvOriginal, first.Original);
        }

        int stop = 0;
        long wrong = 0;
        long calls = 0;
        var callers = new Thread[2];
        for (int i = 0; i < callers.Length; i++)
        {
            callers[i] = new Thread(() =>
            {
                byte peeked = 0;
                while (Volatile.Read(ref stop) == 0)
                {
                    nint n = Libc_.recv(fd, &peeked, 1, 0x40 | 0x2 /* MSG_DONTWAIT | MSG_PEEK */);
                    if (n != 1 || peeked != 7)
                    {
                        Interlocked.Increment(ref wrong);
                    }

                    Interlocked.Increment(ref calls);
                }
            });
            callers[i].Start();
        }

        for (int round = 0; round < 5000; round++)
        {
            using NativeDetour detour = NativeDetour.Install(target, (nint)(delegate* unmanaged<int, byte*, nint, int, nint>)&Replacements.Recv);
            Volatile.Write(ref Replacements.RecvOriginal, detour.Original);
            Thread.SpinWait(50);
        }

        Volatile.Write(ref stop, 1);
        foreach (Thread caller in callers)
        {
            caller.Join();
        }

        Check(wrong == 0, $"{wrong} of {calls} concurrent recv calls returned a wrong result");
        Check(calls > 1000, $"only {calls} concurrent calls were made");
    }

    /// <summary>Prologues that cannot be moved safely are refused with a reason, and the code is left untouched.</summary>
    public static void Refuse()
    {
        byte* code = (byte*)Libc_.mmap(0, 4096, 7, 0x22, -1, 0);
        Check(code != (byte*)-1, "mmap failed");
        nint replacement = (nint)(delegate* unmanaged<int>)&Replacements.Getppid;

        // 1. returns within the patched bytes: xor eax,eax; ret
        byte[] early = [0x31, 0xC0, 0xC3, 0x90, 0x90, 0x90, 0x90, 0x90];
        ExpectRefused(code, early, replacement, "may leave within the patched bytes");

        // 2. a later branch lands inside the patched bytes: nop x2; mov eax,1 (5 bytes); dec ecx; jnz back to +2; ret
        byte[] loop = [0x90, 0x90, 0xB8, 0x01, 0x00, 0x00, 0x00, 0xFF, 0xC9, 0x75, 0xF7, 0xC3];
        ExpectRefused(code + 64, loop, replacement, "branches into the patched bytes");

        // 3. the patch would straddle an 8-byte boundary
        byte[] plain = [0x48, 0x89, 0xF8, 0x48, 0x89, 0xF8, 0xC3];
        ExpectRefused(code + 128 + 5, plain, replacement, "straddle");

        // 4. undecodable bytes
        byte[] garbage = [0x0F, 0x0B, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF];
        ExpectRefused(code + 192, garbage, replacement, "cannot be moved");
    }

    private static void ExpectRefused(byte* at, byte[] bytes, nint replacement, string because)
    {
        Marshal.Copy(bytes, 0, (nint)at, bytes.Length);
        bool installed = NativeDetour.TryInstall((nint)at, replacement, out NativeDetour? detour, out string? reason);
        Check(!installed && detour is null, $"a prologue that should be refused ({because}) was detoured");
        Check(reason!.Contains(because, StringComparison.Ordinal), $"refused for '{reason}', expected a reason containing '{because}'");
        var now = new byte[bytes.Length];
        Marshal.Copy((nint)at, now, 0, now.Length);
        Check(now.AsSpan().SequenceEqual(bytes), "a refused detour changed the code");
    }

    internal static void Check(bool condition, string failure)
    {
        if (!condition)
        {
            throw new InvalidOperationException(failure);
        }
    }
}

/// <summary>Scenarios of the hook layer (Hooks.Enable) rather than of the bare detour engine.</summary>
internal static class HookScenarios
{
    /// <summary>
    /// 100 sync coroutines on ONE scheduler each make a blocking System.Net.Sockets call sequence — Connect, Send,
    /// Receive — against a local server that answers each request after 200 ms. With hooks the receives overlap
    /// (well under 100 × 200 ms); without (the control, 20 coroutines to keep it short), each blocks the scheduler
    /// thread and they run one after another.
    /// </summary>
    public static void BlockingReceive(bool hooks)
    {
        int clients = hooks ? 100 : 20;
        const int delayMs = 200;
        Coroutine.Configure(o => o.SchedulerCount = 1);
        if (hooks)
        {
            Hooks.Enable();
            foreach ((string name, HookStatus state) in Hooks.Status)
            {
                Scenarios.Check(state.State is HookState.Hooked or HookState.NotNeeded, $"{name}: {state}");
            }
        }

        using var listener = new System.Net.Sockets.Socket(System.Net.Sockets.AddressFamily.InterNetwork, System.Net.Sockets.SocketType.Stream, System.Net.Sockets.ProtocolType.Tcp);
        listener.Bind(new System.Net.IPEndPoint(System.Net.IPAddress.Loopback, 0));
        listener.Listen(256);
        var endPoint = (System.Net.IPEndPoint)listener.LocalEndPoint!;
        _ = Task.Run(async () =>
        {
            for (int i = 0; i < clients; i++)
            {
                System.Net.Sockets.Socket connection = await listener.AcceptAsync();
                _ = Task.Run(async () =>
                {
                    var request = new byte[4];
                    int got = 0;
                    while (got < 4)
                    {
                        got += await connection.ReceiveAsync(request.AsMemory(got));
                    }

                    await Task.Delay(delayMs);
                    await connection.SendAsync(request);
                    connection.Dispose();
                });
            }
        });

        var done = new WaitGroup(clients);
        int correct = 0;
        var watch = System.Diagnostics.Stopwatch.StartNew();
        for (int i = 0; i < clients; i++)
        {
            int id = i;
            Coroutine.Go(() =>
            {
                try
                {
                    using var socket = new System.Net.Sockets.Socket(System.Net.Sockets.AddressFamily.InterNetwork, System.Net.Sockets.SocketType.Stream, System.Net.Sockets.ProtocolType.Tcp);
                    socket.Connect(endPoint);
                    byte[] request = BitConverter.GetBytes(id);
                    socket.Send(request);
                    var reply = new byte[4];
                    int got = 0;
                    while (got < 4)
                    {
                        int n = socket.Receive(reply, got, 4 - got, System.Net.Sockets.SocketFlags.None);
                        if (n == 0)
                        {
                            break;
                        }

                        got += n;
                    }

                    if (got == 4 && BitConverter.ToInt32(reply) == id)
                    {
                        Interlocked.Increment(ref correct);
                    }
                }
                finally
                {
                    done.Done();
                }
            });
        }

        Scenarios.Check(Task.Run(done.Wait).Wait(TimeSpan.FromSeconds(30)), "the clients did not finish within 30 s");
        long elapsed = watch.ElapsedMilliseconds;
        Console.WriteLine($"ELAPSED {elapsed}");
        Scenarios.Check(correct == clients, $"{correct} of {clients} clients got their own reply");
        if (hooks)
        {
            Scenarios.Check(elapsed < clients * delayMs / 2, $"with hooks, {clients} receives of {delayMs} ms took {elapsed} ms on one scheduler: not concurrent");
        }
        else
        {
            Scenarios.Check(elapsed >= clients * delayMs * 9 / 10, $"without hooks, {clients} receives took only {elapsed} ms: the control should serialize them");
        }
    }


    /// <summary>100 sync coroutines on one scheduler call libc's usleep(200 ms) through P/Invoke: with hooks they sleep
    /// at once (well under 100 × 200 ms); without, one after another. nanosleep on a plain thread still sleeps.</summary>
    public static unsafe void NativeSleep(bool hooks, bool enableHere = true)
    {
        int coroutines = hooks ? 100 : 10;
        const int sleepMs = 200;
        Coroutine.Configure(o => o.SchedulerCount = 1);
        if (hooks)
        {
            if (enableHere)
            {
                Hooks.Enable();
            }

            Scenarios.Check(Hooks.Status["usleep"].State == HookState.Hooked, "usleep: " + Hooks.Status["usleep"]);
        }

        var done = new WaitGroup(coroutines);
        var watch = System.Diagnostics.Stopwatch.StartNew();
        for (int i = 0; i < coroutines; i++)
        {
            Coroutine.Go(() =>
            {
                RawLibc.USleep(sleepMs * 1000);
                done.Done();
            });
        }

        Scenarios.Check(Task.Run(done.Wait).Wait(TimeSpan.FromSeconds(30)), "the sleepers did not finish within 30 s");
        long elapsed = watch.ElapsedMilliseconds;
        Console.WriteLine($"ELAPSED {elapsed}");
        Scenarios.Check(elapsed >= sleepMs - 5, $"the sleeps returned after {elapsed} ms, sooner than {sleepMs}");
        if (hooks)
        {
            Scenarios.Check(elapsed < coroutines * sleepMs / 10, $"with hooks, {coroutines} usleeps took {elapsed} ms on one scheduler: not concurrent");
        }
        else
        {
            Scenarios.Check(elapsed >= coroutines * sleepMs * 9 / 10, $"without hooks, {coroutines} usleeps took only {elapsed} ms");
        }

        long* request = stackalloc long[2];
        request[0] = 0;
        request[1] = 100_000_000;
        var plain = System.Diagnostics.Stopwatch.StartNew();
        Scenarios.Check(RawLibc.NanoSleep(request, null) == 0, "nanosleep on a plain thread failed");
        Scenarios.Check(plain.ElapsedMilliseconds >= 95, $"nanosleep(100 ms) on a plain thread returned after {plain.ElapsedMilliseconds} ms");
        request[1] = 2_000_000_000;
        Scenarios.Check(RawLibc.NanoSleep(request, null) == -1 && Marshal.GetLastPInvokeError() == 22, "nanosleep with a bad timespec on a plain thread must fail with EINVAL");
    }

    /// <summary>Raw libc connect through P/Invoke gives libc's results and errno, in a coroutine (hooked, the coroutine
    /// waits) and on a plain thread alike: 0 to a listener, -1/ECONNREFUSED to a closed port, -1/EBADF for a bad fd.</summary>
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
            new Span<byte>(address, 16).Clear();
            address[0] = 2;
            address[2] = (byte)(port >> 8);
            address[3] = (byte)port;
            address[4] = 127;
            address[7] = 1;
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

    /// <summary>
    /// Hooks on for <paramref name="duration"/> with everything at once: two threads churning the GC (with forced
    /// gen-2 collections), sync coroutines on both schedulers doing blocking System.Net.Sockets echoes and native
    /// usleeps, and plain threads doing the same blocking echoes (which must pass the hooks untouched). Every echo is
    /// checked; the process must not crash, and every loop is bounded by the duration.
    /// </summary>
    public static void Stability(TimeSpan duration)
    {
        Coroutine.Configure(o => o.SchedulerCount = 2);
        Hooks.Enable();
        using var listener = new System.Net.Sockets.Socket(System.Net.Sockets.AddressFamily.InterNetwork, System.Net.Sockets.SocketType.Stream, System.Net.Sockets.ProtocolType.Tcp);
        listener.Bind(new System.Net.IPEndPoint(System.Net.IPAddress.Loopback, 0));
        listener.Listen(256);
        var endPoint = (System.Net.IPEndPoint)listener.LocalEndPoint!;
        var deadline = DateTime.UtcNow + duration;
        long echoes = 0;
        long wrong = 0;
        long sleeps = 0;
        long collections = 0;

        // server: thread-pool async echo, one task per connection
        _ = Task.Run(async () =>
        {
            while (DateTime.UtcNow < deadline)
            {
                System.Net.Sockets.Socket connection;
                try
                {
                    connection = await listener.AcceptAsync();
                }
                catch (System.Net.Sockets.SocketException)
                {
                    return;
                }
                catch (ObjectDisposedException)
                {
                    return;
                }

                _ = Task.Run(async () =>
                {
                    var buffer = new byte[256];
                    try
                    {
                        int n;
                        while ((n = await connection.ReceiveAsync(buffer)) > 0)
                        {
                            await connection.SendAsync(buffer.AsMemory(0, n));
                        }
                    }
                    catch (System.Net.Sockets.SocketException)
                    {
                    }
                    finally
                    {
                        connection.Dispose();
                    }
                });
            }
        });

        void EchoLoop(int seed)
        {
            var random = new Random(seed);
            while (DateTime.UtcNow < deadline)
            {
                using var socket = new System.Net.Sockets.Socket(System.Net.Sockets.AddressFamily.InterNetwork, System.Net.Sockets.SocketType.Stream, System.Net.Sockets.ProtocolType.Tcp);
                socket.Connect(endPoint);
                for (int round = 0; round < 50 && DateTime.UtcNow < deadline; round++)
                {
                    var message = new byte[1 + random.Next(200)];
                    random.NextBytes(message);
                    socket.Send(message);
                    var reply = new byte[message.Length];
                    int got = 0;
                    while (got < reply.Length)
                    {
                        int n = socket.Receive(reply, got, reply.Length - got, System.Net.Sockets.SocketFlags.None);
                        if (n == 0)
                        {
                            break;
                        }

                        got += n;
                    }

                    if (got == reply.Length && reply.AsSpan().SequenceEqual(message))
                    {
                        Interlocked.Increment(ref echoes);
                    }
                    else
                    {
                        Interlocked.Increment(ref wrong);
                    }
                }
            }
        }

        var threads = new List<Thread>();
        for (int i = 0; i < 2; i++)
        {
            threads.Add(new Thread(() =>
            {
                var keep = new List<byte[]>();
                while (DateTime.UtcNow < deadline)
                {
                    for (int k = 0; k < 10_000; k++)
                    {
                        keep.Add(new byte[64]);
                    }

                    keep.Clear();
                    GC.Collect(2, GCCollectionMode.Forced, blocking: true);
                    Interlocked.Increment(ref collections);
                    Thread.Sleep(20);
                }
            }));
        }

        for (int i = 0; i < 2; i++)
        {
            int seed = 1000 + i;
            threads.Add(new Thread(() => EchoLoop(seed)));
        }

        foreach (Thread thread in threads)
        {
            thread.Start();
        }

        const int coroutines = 16;
        var done = new WaitGroup(coroutines * 2);
        for (int i = 0; i < coroutines; i++)
        {
            int seed = i;
            Coroutine.Go(() =>
            {
                try
                {
                    EchoLoop(seed);
                }
                catch (Exception exception)
                {
                    Console.WriteLine($"echo coroutine failed: {exception.Message}");
                    Interlocked.Increment(ref wrong);
                }
                finally
                {
                    done.Done();
                }
            });
            Coroutine.Go(() =>
            {
                while (DateTime.UtcNow < deadline)
                {
                    RawLibc.USleep(5000);
                    Interlocked.Increment(ref sleeps);
                }

                done.Done();
            });
        }

        Scenarios.Check(Task.Run(done.Wait).Wait(duration + TimeSpan.FromSeconds(30)), "the coroutines did not finish");
        foreach (Thread thread in threads)
        {
            Scenarios.Check(thread.Join(TimeSpan.FromSeconds(30)), "a thread did not finish");
        }

        Console.WriteLine($"STATS echoes={echoes} wrong={wrong} sleeps={sleeps} collections={collections}");
        Scenarios.Check(wrong == 0, $"{wrong} echoes failed or came back wrong ({echoes} right)");
        Scenarios.Check(echoes > 1000 && sleeps > 1000 && collections > 10, "too little work was done to count as a stability run");
    }

    /// <summary>A name from /etc/hosts resolved in a coroutine (managed Dns, which calls getaddrinfo) goes through the
    /// hook — the lookup runs on the thread pool while the coroutine parks — and gives the right answer; the same
    /// lookup on a plain thread is not diverted.</summary>
    public static void Dns()
    {
        Coroutine.Configure(o => o.SchedulerCount = 1);
        Hooks.Enable();
        Scenarios.Check(Hooks.Status["getaddrinfo"].State == HookState.Hooked, "getaddrinfo: " + Hooks.Status["getaddrinfo"]);
        long before = Interlocked.Read(ref Co.Hook.Handlers.ResolverHandlers.Offloaded);
        System.Net.IPAddress[] plain = System.Net.Dns.GetHostAddresses("localhost");
        Scenarios.Check(Interlocked.Read(ref Co.Hook.Handlers.ResolverHandlers.Offloaded) == before, "a lookup on a plain thread was diverted");
        Scenarios.Check(plain.Any(System.Net.IPAddress.IsLoopback), "localhost did not resolve to a loopback address on a plain thread");

        System.Net.IPAddress[]? inCoroutine = null;
        int ticks = 0;
        var done = new WaitGroup(2);
        Coroutine.Go(() =>
        {
            for (int i = 0; i < 20; i++)
            {
                inCoroutine = System.Net.Dns.GetHostAddresses("localhost");
            }

            done.Done();
        });
        Coroutine.Go(() =>
        {
            for (int i = 0; i < 5; i++)
            {
                Coroutine.Sleep(1);
                ticks++;
            }

            done.Done();
        });
        Scenarios.Check(Task.Run(done.Wait).Wait(TimeSpan.FromSeconds(30)), "the lookups did not finish");
        long offloaded = Interlocked.Read(ref Co.Hook.Handlers.ResolverHandlers.Offloaded) - before;
        Scenarios.Check(offloaded >= 20, $"only {offloaded} of 20 lookups in the coroutine went through the hook");
        Scenarios.Check(inCoroutine is not null && inCoroutine.Any(System.Net.IPAddress.IsLoopback), "localhost did not resolve to a loopback address in the coroutine");
        Scenarios.Check(ticks == 5, "the other coroutine did not run");
    }

    /// <summary>
    /// libc poll through P/Invoke: on a plain thread it waits as always; 20 coroutines on one scheduler each polling
    /// an idle socket for 300 ms wait at once (each returns 0 after its timeout); a poll on one socket and a poll on
    /// two sockets return 1 with POLLIN set on the right descriptor when another coroutine writes 100 ms later.
    /// </summary>
    public static unsafe void NativePoll()
    {
        Coroutine.Configure(o => o.SchedulerCount = 1);
        Hooks.Enable();
        Scenarios.Check(Hooks.Status["poll"].State == HookState.Hooked, "poll: " + Hooks.Status["poll"]);

        static (int A, int B) Pair()
        {
            int* pair = stackalloc int[2];
            Scenarios.Check(Libc_.socketpair(1, 1, 0, pair) == 0, "socketpair failed");
            return (pair[0], pair[1]);
        }

        var idle = Pair();
        long* plainFd = stackalloc long[1];
        *plainFd = (uint)idle.B | ((long)1 << 32); // pollfd { fd, events = POLLIN, revents = 0 }
        var watch = System.Diagnostics.Stopwatch.StartNew();
        int plain = RawLibc.Poll(plainFd, 1, 100);
        Scenarios.Check(plain == 0 && watch.ElapsedMilliseconds >= 95, $"poll on a plain thread returned {plain} after {watch.ElapsedMilliseconds} ms");

        const int pollers = 20;
        var done = new WaitGroup(pollers + 2);
        int timedOut = 0;
        string? failure = null;
        watch.Restart();
        for (int i = 0; i < pollers; i++)
        {
            Coroutine.Go(() =>
            {
                var own = Pair();
                long pollfd = (uint)own.B | ((long)1 << 32);
                var mine = System.Diagnostics.Stopwatch.StartNew();
                int result = RawLibc.Poll(&pollfd, 1, 300);
                if (result == 0 && mine.ElapsedMilliseconds >= 295)
                {
                    Interlocked.Increment(ref timedOut);
                }

                done.Done();
            });
        }

        var one = Pair();
        var two = Pair();
        Coroutine.Go(() =>
        {
            long pollfd = (uint)one.B | ((long)1 << 32);
            int result = RawLibc.Poll(&pollfd, 1, 5000);
            short revents = (short)(pollfd >> 48);
            if (result != 1 || (revents & 1) == 0)
            {
                failure ??= $"single-socket poll returned {result}, revents {revents}";
            }

            long* pair = stackalloc long[2];
            pair[0] = (uint)two.B | ((long)1 << 32);
            pair[1] = (uint)idle.B | ((long)1 << 32);
            result = RawLibc.Poll(pair, 2, 5000);
            if (result != 1 || ((short)(pair[0] >> 48) & 1) == 0 || (short)(pair[1] >> 48) != 0)
            {
                failure ??= $"two-socket poll returned {result}, revents {(short)(pair[0] >> 48)} / {(short)(pair[1] >> 48)}";
            }

            done.Done();
        });
        Coroutine.Go(() =>
        {
            byte b = 1;
            Coroutine.Sleep(100);
            Libc_.send(one.A, &b, 1, 0);
            Coroutine.Sleep(100);
            Libc_.send(two.A, &b, 1, 0);
            done.Done();
        });
        Scenarios.Check(Task.Run(done.Wait).Wait(TimeSpan.FromSeconds(30)), "the pollers did not finish");
        long elapsed = watch.ElapsedMilliseconds;
        Console.WriteLine($"ELAPSED {elapsed}");
        Scenarios.Check(failure is null, failure ?? "");
        Scenarios.Check(timedOut == pollers, $"{timedOut} of {pollers} idle polls returned 0 after their 300 ms timeout");
        Scenarios.Check(elapsed < pollers * 300 / 4, $"{pollers} polls of 300 ms took {elapsed} ms on one scheduler: not concurrent");
    }
}

/// <summary>Raw libc calls of the hook scenarios.</summary>
internal static unsafe partial class RawLibc
{
    [LibraryImport("libc", EntryPoint = "usleep")]
    public static partial int USleep(uint microseconds);

    [LibraryImport("libc", EntryPoint = "nanosleep", SetLastError = true)]
    public static partial int NanoSleep(long* request, long* remaining);

    [LibraryImport("libc", EntryPoint = "socket", SetLastError = true)]
    public static partial int Socket(int domain, int type, int protocol);

    [LibraryImport("libc", EntryPoint = "connect", SetLastError = true)]
    public static partial int Connect(int fd, byte* address, int length);

    [LibraryImport("libc", EntryPoint = "close")]
    public static partial int Close(int fd);

    [LibraryImport("libc", EntryPoint = "fcntl")]
    public static partial int Fcntl(int fd, int command, int argument);

    [LibraryImport("libc", EntryPoint = "poll")]
    public static partial int Poll(long* fds, nuint count, int timeout);

    [LibraryImport("libc", EntryPoint = "setsockopt")]
    public static partial int SetSockOpt(int fd, int level, int option, void* value, int length);
}

internal static unsafe class Replacements
{
    public const int FakeParent = 424242;

    public static nint RecvOriginal;
    public static int RecvCalls;

    [UnmanagedCallersOnly]
    public static int Getppid() => FakeParent;

    /// <summary>Calls the original through its trampoline, counts the call, and returns with errno as the original
    /// left it (saved right after the call, restored last, as a hook handler must).</summary>
    [UnmanagedCallersOnly]
    public static nint Recv(int fd, byte* buffer, nint length, int flags)
    {
        nint original = Volatile.Read(ref RecvOriginal);
        nint result = ((delegate* unmanaged<int, byte*, nint, int, nint>)original)(fd, buffer, length, flags);
        int errno = Marshal.GetLastSystemError();
        Interlocked.Increment(ref RecvCalls);
        Marshal.SetLastSystemError(errno);
        return result;
    }
}

internal static unsafe partial class Libc_
{
    [LibraryImport("libc")]
    public static partial int getppid();

    [LibraryImport("libc", SetLastError = true)]
    public static partial nint recv(int fd, byte* buffer, nint length, int flags);

    [LibraryImport("libc")]
    public static partial nint send(int fd, byte* buffer, nint length, int flags);

    [LibraryImport("libc")]
    public static partial int socketpair(int domain, int type, int protocol, int* pair);

    [LibraryImport("libc")]
    public static partial nint mmap(nint address, nint length, int protection, int flags, int fd, nint offset);
}
