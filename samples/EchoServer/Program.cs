// Echo server written five ways; bench/echo.sh drives it with bench/loadgen.
//
//   EchoServer --mode async|sync|dotnet|threads|hooked --port N [--host 127.0.0.1] [--buffer 4096] [--sched N] [--no-pin]
//
//   async    Co: a listener coroutine accepting with Sock.AcceptAsync, one async coroutine per connection
//            (Sock.RecvAsync / Sock.SendAsync loop).
//   sync     Co: Sock.Accept in a sync coroutine, one sync coroutine per connection (Sock.Recv / Sock.Send).
//   dotnet   idiomatic System.Net.Sockets async on the thread pool (Socket.AcceptAsync, ReceiveAsync/SendAsync
//            on Memory<byte>); no Co.
//   threads  thread-per-connection blocking System.Net.Sockets (Socket.Accept, one thread with a small stack per
//            connection, blocking Receive/Send); no Co.
//   hooked   the threads server's own blocking System.Net.Sockets code (same Serve method) with Co.Hooks enabled:
//            the accept loop (blocking Socket.Accept) and every connection run in sync coroutines instead of threads,
//            and the hooks turn each blocking libc call into a wait of that coroutine only. Exits 1 if a function that
//            blocking Socket calls reach could not be hooked (Co.Hooks.Status says why).
//
// Every mode sets TCP_NODELAY on accepted sockets and echoes with one buffer of --buffer bytes per connection.
// Prints "listening on HOST:PORT mode=MODE" on stdout when it accepts connections; runs until SIGTERM or SIGINT,
// then prints a one-line summary on stderr and exits 0. Exit 1 if it cannot listen (hooked: or cannot hook), 2 on bad
// arguments.
// --sched N / --no-pin configure Co's schedulers (Co modes and hooked only; defaults are the runtime's own).
using System.Net;
using System.Runtime.InteropServices;

namespace EchoServer;

internal static class Program
{
    internal static int BufferSize = 4096;
    internal static long Accepted;
    internal static long Closed;
    internal static long Errors;
    internal const int Backlog = 4096;

    private static readonly ManualResetEventSlim StopRequested = new(false);

    private static int Main(string[] args)
    {
        string? mode = null;
        string host = "127.0.0.1";
        int port = -1;
        int sched = 0;
        bool noPin = false;
        for (int i = 0; i < args.Length; i++)
        {
            string a = args[i];
            string Next() => i + 1 < args.Length ? args[++i] : throw new UsageException($"{a} needs a value");
            try
            {
                switch (a)
                {
                    case "--mode": mode = Next(); break;
                    case "--port": port = int.Parse(Next()); break;
                    case "--host": host = Next(); break;
                    case "--buffer": BufferSize = int.Parse(Next()); break;
                    case "--sched": sched = int.Parse(Next()); break;
                    case "--no-pin": noPin = true; break;
                    case "-h" or "--help": return Usage(null);
                    default: return Usage($"unknown argument '{a}'");
                }
            }
            catch (Exception e) when (e is UsageException or FormatException or OverflowException)
            {
                return Usage(e.Message);
            }
        }

        if (mode is null) return Usage("--mode is required");
        if (port is < 0 or > 65535) return Usage("--port N (0..65535) is required");
        if (BufferSize < 1) return Usage("--buffer must be >= 1");
        if (!IPAddress.TryParse(host, out IPAddress? ip)) return Usage($"--host must be an IP address, got '{host}'");
        var endPoint = new IPEndPoint(ip, port);

        using var term = PosixSignalRegistration.Create(PosixSignal.SIGTERM, OnStopSignal);
        using var intr = PosixSignalRegistration.Create(PosixSignal.SIGINT, OnStopSignal);

        string? error;
        switch (mode)
        {
            case "dotnet":
                error = DotnetModes.StartAsyncServer(endPoint);
                break;
            case "threads":
                error = DotnetModes.StartThreadServer(endPoint);
                break;
            case "async":
            case "sync":
                error = CoModes.Start(endPoint, mode == "async", sched, noPin);
                break;
            case "hooked":
                if (!HookedMode.TryEnableHooks(sched, noPin, out string? missing))
                {
                    Console.Error.WriteLine($"echo-server: mode=hooked: {missing}");
                    return 1;
                }

                error = HookedMode.Start(endPoint);
                break;
            default:
                return Usage($"unknown mode '{mode}' (async|sync|dotnet|threads|hooked)");
        }

        if (error is not null)
        {
            Console.Error.WriteLine($"echo-server: mode={mode}: cannot listen on {endPoint}: {error}");
            return 1;
        }

        StopRequested.Wait();
        Console.Error.WriteLine(
            $"echo-server: mode={mode} stopping: accepted={Interlocked.Read(ref Accepted)} " +
            $"closed={Interlocked.Read(ref Closed)} errors={Interlocked.Read(ref Errors)}");
        Console.Error.Flush();
        // Connection threads/coroutines are still parked in I/O; do not wait for them.
        Environment.Exit(0);
        return 0;
    }

    internal static void Ready(string mode, string bound)
    {
        Console.Out.WriteLine($"listening on {bound} mode={mode}");
        Console.Out.Flush();
    }

    internal static void NoteError(string what, string detail)
    {
        long n = Interlocked.Increment(ref Errors);
        if (n <= 5) Console.Error.WriteLine($"echo-server: {what}: {detail}");
    }

    private static void OnStopSignal(PosixSignalContext context)
    {
        context.Cancel = true;
        StopRequested.Set();
    }

    private static int Usage(string? problem)
    {
        if (problem is not null) Console.Error.WriteLine($"echo-server: {problem}");
        Console.Error.WriteLine(
            "usage: EchoServer --mode async|sync|dotnet|threads|hooked --port N [--host 127.0.0.1] [--buffer 4096] " +
            "[--sched N] [--no-pin]");
        return problem is null ? 0 : 2;
    }

    private sealed class UsageException(string message) : Exception(message);
}
