using System.Runtime.InteropServices;
using Co;
using Co.Hook;
using Co.Testing;

/// <summary>Scenarios of the hook layer: everything at once, for a while.</summary>
internal static partial class HookScenarios
{
    /// <summary><see cref="Stability(TimeSpan)"/> for the seconds the first argument gives (30 without one).</summary>
    [Scenario("stability")]
    public static void StabilityForSeconds(string[] args) => Stability(TimeSpan.FromSeconds(args.Length > 0 ? int.Parse(args[0]) : 30));

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
}
