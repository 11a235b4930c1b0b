using System.Runtime.InteropServices;
using Co;
using Co.Hook;
using Co.Testing;

/// <summary>Scenarios of the hook layer (Hooks.Enable) rather than of the bare detour engine: blocking sockets.</summary>
internal static partial class HookScenarios
{
    /// <summary>BlockingReceive with the hooks on.</summary>
    [Scenario("blocking-receive")]
    public static void BlockingReceiveHooked() => BlockingReceive(hooks: true);

    /// <summary>The control of <see cref="BlockingReceiveHooked"/>: BlockingReceive without the hooks.</summary>
    [Scenario("blocking-receive-unhooked")]
    public static void BlockingReceiveUnhooked()
    {
        Controls.WithoutMonitor();
        BlockingReceive(hooks: false);
    }

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
}
