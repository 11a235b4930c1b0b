using System.Net;
using System.Net.Sockets;
using System.Reflection.Emit;
using Co;
using Co.Hook.Managed.Replacements;
using Co.Testing;

/// <summary>Scenarios of the managed hook layer: detours that survive tiering and reach callers compiled
/// late.</summary>
internal static partial class ManagedScenarios
{
    /// <summary>
    /// The detours survive tiering: 200,000 echoes through NetworkStream.Read/Write (whose R2R and tier-1 code would
    /// inline the Socket funnels without the no-inlining bit) in a coroutine are all diverted, then after a pause long
    /// enough for the tier-1 re-compiles another 100,000 are too, and a caller compiled only now (a DynamicMethod calling
    /// Socket.Receive(byte[])) reaches the detour.
    /// </summary>
    [Scenario("detours-hold")]
    public static void DetoursHold()
    {
        Coroutine.Configure(o => o.SchedulerCount = 1);
        Hooks.Enable();
        RequireHooked("Socket.Receive(byte[], int, int, SocketFlags, out SocketError)", "Socket.Send(byte[], int, int, SocketFlags, out SocketError)");
        using var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        listener.Listen(1);
        using var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        client.Connect(listener.LocalEndPoint!);
        using Socket server = listener.Accept();
        using var clientStream = new NetworkStream(client);
        using var serverStream = new NetworkStream(server);

        long Echoes(int count)
        {
            long before = ManagedDivertCounters.Count;
            CoroutineRun.All(1, _ =>
            {
                var one = new byte[1];
                for (int i = 0; i < count; i++)
                {
                    one[0] = (byte)i;
                    clientStream.Write(one, 0, 1);
                    Scenarios.Check(serverStream.Read(one, 0, 1) == 1 && one[0] == (byte)i, $"echo {i} went wrong");
                }
            }, TimeSpan.FromSeconds(120));
            return ManagedDivertCounters.Count - before;
        }

        long first = Echoes(200_000);
        Thread.Sleep(2500); // the tiering delay and the background re-compiles of the hot callers
        long second = Echoes(100_000);
        Console.WriteLine($"DIVERTED {first} then {second}");
        Scenarios.Check(first == 400_000, $"{first} of 400,000 calls were diverted before tier-up");
        Scenarios.Check(second == 200_000, $"{second} of 200,000 calls were diverted after tier-up: a detour was lost");

        var dynamic = new DynamicMethod("ReceiveLate", typeof(int), [typeof(Socket), typeof(byte[])], typeof(ManagedScenarios).Module);
        ILGenerator il = dynamic.GetILGenerator();
        il.Emit(OpCodes.Ldarg_0);
        il.Emit(OpCodes.Ldarg_1);
        il.Emit(OpCodes.Callvirt, typeof(Socket).GetMethod(nameof(Socket.Receive), [typeof(byte[])])!);
        il.Emit(OpCodes.Ret);
        var receiveLate = (Func<Socket, byte[], int>)dynamic.CreateDelegate(typeof(Func<Socket, byte[], int>));
        long beforeLate = ManagedDivertCounters.Count;
        CoroutineRun.All(1, _ =>
        {
            client.Send([42]);
            var buffer = new byte[1];
            Scenarios.Check(receiveLate(server, buffer) == 1 && buffer[0] == 42, "the late caller received the wrong data");
        });
        Scenarios.Check(ManagedDivertCounters.Count - beforeLate == 2, $"a caller compiled after install was diverted {ManagedDivertCounters.Count - beforeLate} of 2 times");
    }
}
