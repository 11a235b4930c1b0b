using System.Globalization;
using System.Net;
using System.Runtime.InteropServices;
using Co.Testing;
using static Co.TestHost.ScenarioSupport;

namespace Co.TestHost;

/// <summary>A peer process SIGKILLed in the middle of a transfer: the sending end, which dies.</summary>
internal static partial class PeerKilledScenario
{
    private const int Sigkill = 9;

    /// <summary>The byte at <paramref name="position"/> of the stream the peer sends (the test checks the same).</summary>
    public static byte PatternAt(long position) => (byte)(position % 251);

    // ---------------------------------------------------------------------------------------------------
    // Arguments: ip port killAfterMs.
    //   Connects to ip:port from a sync coroutine and sends the pattern (PatternAt) in 64 KiB chunks without end, never
    //   reading; after killAfterMs another thread SIGKILLs the process, whatever the coroutine is doing (by then it is
    //   blocked in a send the test does not drain). Prints `PROGRESS sent=N` after each chunk the kernel took, so the
    //   test knows a count of bytes that left this process before it died. Never ends normally.
    // ---------------------------------------------------------------------------------------------------
    [Scenario("peer-killed")]
    internal static void PeerKilled(string[] args)
    {
        var endPoint = new IPEndPoint(IPAddress.Parse(args[0]), int.Parse(args[1], CultureInfo.InvariantCulture));
        int killAfterMs = int.Parse(args[2], CultureInfo.InvariantCulture);
        new Thread(() =>
        {
            Thread.Sleep(killAfterMs);
            Console.Out.Flush();
            _ = Kill(Environment.ProcessId, Sigkill);
        }) { IsBackground = true }.Start();

        RunSyncBounded(() =>
        {
            nint fd = Sock.TcpSocket();
            if (fd < 0 || Sock.Connect(fd, endPoint, 10_000) != 0)
            {
                throw Fail($"connect: errno {Sock.Error()}");
            }

            var chunk = new byte[64 * 1024];
            for (long sent = 0; ; sent += chunk.Length)
            {
                for (int i = 0; i < chunk.Length; i++)
                {
                    chunk[i] = PatternAt(sent + i);
                }

                if (Sock.Send(fd, chunk) != chunk.Length)
                {
                    throw Fail($"send: errno {Sock.Error()}");
                }

                Console.Out.WriteLine($"PROGRESS sent={sent + chunk.Length}");
            }
        });
        throw Fail("still alive after the SIGKILL");
    }

    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static partial int Kill(int pid, int signal);
}
