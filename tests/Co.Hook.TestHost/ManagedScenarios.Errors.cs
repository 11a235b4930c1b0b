using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Co;
using Co.Testing;

/// <summary>Scenarios of the managed hook layer: .NET's own socket errors (timeouts, resets) kept exactly.</summary>
internal static partial class ManagedScenarios
{
    /// <summary>
    /// .NET's own errors, kept exactly: a ReceiveTimeout that expires inside a coroutine (on a socket blocking
    /// underneath and on one .NET made non-blocking) throws the SocketException a plain thread gets, while the
    /// scheduler keeps running; a peer's reset gives the same SocketException in and out of coroutines.
    /// </summary>
    [Scenario("managed-errors")]
    public static void Errors()
    {
        Coroutine.Configure(o => o.SchedulerCount = 1);
        Hooks.Enable();
        RequireHooked("Socket.Receive(byte[], int, int, SocketFlags, out SocketError)");
        using var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        listener.Listen(16);

        (Socket Client, Socket Server) Pair(bool asyncFirst)
        {
            var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            if (asyncFirst)
            {
                client.ConnectAsync(listener.LocalEndPoint!).GetAwaiter().GetResult();
            }
            else
            {
                client.Connect(listener.LocalEndPoint!);
            }

            return (client, listener.Accept());
        }

        string Outcome(Action action)
        {
            try
            {
                action();
                return "no exception";
            }
            catch (SocketException exception)
            {
                return $"{exception.GetType().Name}/{exception.SocketErrorCode}/{exception.ErrorCode}/{exception.Message}";
            }
        }

        // The ticker's path compiled once before anything is timed (with ReadyToRun=0 under load, first-time JIT on the
        // scheduler thread could otherwise eat the whole timeout).
        CoroutineRun.All(1, _ => Coroutine.Sleep(1));
        foreach (bool asyncFirst in new[] { false, true })
        {
            (Socket plainClient, Socket plainServer) = Pair(asyncFirst);
            plainClient.ReceiveTimeout = 600;
            string plain = Outcome(() => plainClient.Receive(new byte[1]));
            (Socket client, Socket server) = Pair(asyncFirst);
            client.ReceiveTimeout = 600;
            string inCoroutine = "";
            int ticks = 0;
            bool waiting = true;
            var watch = Stopwatch.StartNew();
            CoroutineRun.All(2, i =>
            {
                if (i == 0)
                {
                    inCoroutine = Outcome(() => client.Receive(new byte[1]));
                    Volatile.Write(ref waiting, false);
                }
                else
                {
                    for (int k = 0; k < 1000 && Volatile.Read(ref waiting); k++)
                    {
                        Coroutine.Sleep(10);
                        ticks++;
                    }
                }
            });
            Console.WriteLine($"TIMEOUT async-first={asyncFirst}: {inCoroutine} after {watch.ElapsedMilliseconds} ms, {ticks} ticks");
            Scenarios.Check(plain.Contains("/TimedOut/", StringComparison.Ordinal) && inCoroutine == plain, $"in a coroutine: {inCoroutine}; on a plain thread: {plain}");
            Scenarios.Check(watch.ElapsedMilliseconds >= 590 && ticks >= 5, $"the timed-out receive took {watch.ElapsedMilliseconds} ms with {ticks} ticks of another coroutine meanwhile");
            Scenarios.Check(client.Connected == plainClient.Connected, "the socket's state after the timeout differs");

            // the peer resets the connection: the same error everywhere
            foreach (Socket peer in new[] { plainServer, server })
            {
                peer.LingerState = new LingerOption(true, 0);
                peer.Close();
            }

            Thread.Sleep(50);
            string plainReset = Outcome(() => plainClient.Receive(new byte[1]));
            string coroutineReset = "";
            CoroutineRun.All(1, _ => coroutineReset = Outcome(() => client.Receive(new byte[1])));
            Console.WriteLine($"RESET async-first={asyncFirst}: {coroutineReset}");
            Scenarios.Check(plainReset.Contains("/ConnectionReset/", StringComparison.Ordinal) && coroutineReset == plainReset, $"reset in a coroutine: {coroutineReset}; on a plain thread: {plainReset}");
            plainClient.Dispose();
            client.Dispose();
        }
    }
}
