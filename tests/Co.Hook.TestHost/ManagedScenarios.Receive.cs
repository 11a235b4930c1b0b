using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using Co;
using Co.Hook.Managed.Replacements;
using Co.Testing;

/// <summary>Scenarios of the managed hook layer: synchronous Send and Receive on sockets .NET made non-blocking
/// underneath.</summary>
internal static partial class ManagedScenarios
{
    private const int ONonblock = 0x800;

    /// <summary>ReceiveAfterAsync with the hooks on.</summary>
    [Scenario("managed-receive")]
    public static void ReceiveAfterAsyncHooked() => ReceiveAfterAsync(hooks: true);

    /// <summary>The control of <see cref="ReceiveAfterAsyncHooked"/>: ReceiveAfterAsync without the hooks.</summary>
    [Scenario("managed-receive-unhooked")]
    public static void ReceiveAfterAsyncUnhooked()
    {
        Controls.WithoutMonitor();
        ReceiveAfterAsync(hooks: false);
    }

    /// <summary>
    /// Sockets connected with ConnectAsync (so .NET has made them non-blocking underneath: a synchronous Receive then
    /// waits inside the runtime, not in libc), then used with synchronous Send and Receive from coroutines on ONE
    /// scheduler against a server that answers each request after 200 ms. With hooks all receives wait at once (100
    /// clients); without (the control, 20 clients) each blocks the scheduler thread and they run one after another.
    /// </summary>
    public static void ReceiveAfterAsync(bool hooks)
    {
        int clients = hooks ? 100 : 20;
        const int delayMs = 200;
        Coroutine.Configure(o => o.SchedulerCount = 1);
        if (hooks)
        {
            Hooks.Enable();
            RequireHooked("Socket.Receive(byte[], int, int, SocketFlags, out SocketError)", "Socket.Send(byte[], int, int, SocketFlags, out SocketError)");
        }

        using var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        listener.Listen(256);
        _ = Task.Run(() => Serve(listener, clients, delayMs));
        var sockets = new Socket[clients];
        for (int i = 0; i < clients; i++)
        {
            sockets[i] = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            sockets[i].ConnectAsync(listener.LocalEndPoint!).GetAwaiter().GetResult();
        }

        int flags = Fcntl((int)sockets[0].Handle, 3 /* F_GETFL */, 0);
        Scenarios.Check((flags & ONonblock) != 0 && sockets[0].Blocking, $"the scenario needs a socket that is non-blocking underneath but blocking to .NET (flags 0x{flags:x})");

        long divertedBefore = ManagedDivertCounters.Count;
        int inFlight = 0;
        int maxInFlight = 0;
        int correct = 0;
        var watch = Stopwatch.StartNew();
        CoroutineRun.All(clients, id =>
        {
            Socket socket = sockets[id];
            byte[] request = BitConverter.GetBytes(id);
            Scenarios.Check(socket.Send(request) == 4, "send failed");
            int now = Interlocked.Increment(ref inFlight);
            InterlockedMax(ref maxInFlight, now);
            var reply = new byte[4];
            int got = 0;
            while (got < 4)
            {
                int n = socket.Receive(reply, got, 4 - got, SocketFlags.None);
                if (n == 0)
                {
                    break;
                }

                got += n;
            }

            Interlocked.Decrement(ref inFlight);
            if (got == 4 && BitConverter.ToInt32(reply) == id)
            {
                Interlocked.Increment(ref correct);
            }
        });
        long elapsed = watch.ElapsedMilliseconds;
        Console.WriteLine($"ELAPSED {elapsed} MAX-IN-FLIGHT {maxInFlight} DIVERTED {ManagedDivertCounters.Count - divertedBefore}");
        Scenarios.Check(correct == clients, $"{correct} of {clients} clients got their own reply");
        if (hooks)
        {
            Scenarios.Check(maxInFlight >= clients * 9 / 10, $"at most {maxInFlight} of {clients} receives were waiting at once: not concurrent");
            Scenarios.Check(elapsed < clients * delayMs / 4, $"{clients} receives of {delayMs} ms took {elapsed} ms on one scheduler");
            Scenarios.Check(ManagedDivertCounters.Count - divertedBefore >= 2 * clients, "the managed layer did not divert the calls");
        }
        else
        {
            Scenarios.Check(maxInFlight == 1 && elapsed >= clients * delayMs * 9 / 10, $"without hooks {clients} receives took {elapsed} ms with {maxInFlight} at once: the control should serialize them");
        }

        foreach (Socket socket in sockets)
        {
            socket.Dispose();
        }
    }

    /// <summary>Answers each 4-byte request on each of <paramref name="count"/> connections after <paramref name="delayMs"/>.</summary>
    private static async Task Serve(Socket listener, int count, int delayMs)
    {
        for (int i = 0; i < count; i++)
        {
            Socket connection = await listener.AcceptAsync();
            _ = Task.Run(async () =>
            {
                var request = new byte[4];
                int got = 0;
                while (got < 4)
                {
                    int n = await connection.ReceiveAsync(request.AsMemory(got));
                    if (n == 0)
                    {
                        return;
                    }

                    got += n;
                }

                await Task.Delay(delayMs);
                await connection.SendAsync(request);
            });
        }
    }

    [LibraryImport("libc", EntryPoint = "fcntl")]
    private static partial int Fcntl(int fd, int command, int argument);
}
