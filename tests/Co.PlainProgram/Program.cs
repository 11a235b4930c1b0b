// A program that knows nothing of Co: it makes, on plain threads and on the thread pool, the blocking calls Co's hooks
// detour, and checks that each behaves as .NET documents (bytes echoed, timeouts honoured, cancellation and
// interruption delivered). Run with DOTNET_STARTUP_HOOKS=.../Co.Hooks.Startup.dll it must behave exactly as without:
// the hooks change behaviour only inside coroutines, and this program has none. Prints RECV_DETOURED=True/False (so a
// test can tell the hook was installed at all), one line per check, then "OK plain" and exits 0; on any mismatch it
// prints "FAIL <check> <where>: <what>" and exits 1. Loopback only; every wait is bounded.
using System.Runtime.InteropServices;

Console.WriteLine($"RECV_DETOURED={Detours.RecvIsDetoured()}");

(string Name, Action Check)[] checks =
[
    ("socket echo, blocking descriptor", () => SocketChecks.Echo(nonBlocking: false)),
    ("socket echo, descriptor made non-blocking by .NET", () => SocketChecks.Echo(nonBlocking: true)),
    ("socket receive timeout, blocking descriptor", () => SocketChecks.ReceiveTimeout(nonBlocking: false)),
    ("socket receive timeout, descriptor made non-blocking by .NET", () => SocketChecks.ReceiveTimeout(nonBlocking: true)),
    ("Socket.Poll and Socket.Select", SocketChecks.PollAndSelect),
    ("UDP SendTo/ReceiveFrom", SocketChecks.Datagrams),
    ("Dns.GetHostAddresses(\"localhost\")", SocketChecks.ResolveLocalhost),
    ("HttpClient.Send", HttpChecks.Send),
    ("HttpClient.Send timeout", HttpChecks.Timeout),
    ("Thread.Sleep", WaitChecks.Sleep),
    ("Task.Wait and .Result", WaitChecks.TaskWaits),
    ("SemaphoreSlim.Wait", WaitChecks.Semaphore),
    ("ManualResetEventSlim.Wait", WaitChecks.Event),
];

(string Where, Func<Action, string?> Run)[] runners =
[
    ("on a plain thread", Runner.OnPlainThread),
    ("on the thread pool", Runner.OnThreadPool),
];

int failures = 0;
foreach ((string name, Action check) in checks)
{
    foreach ((string where, Func<Action, string?> run) in runners)
    {
        if (run(check) is { } failure)
        {
            Console.WriteLine($"FAIL {name} {where}: {failure}");
            failures++;
        }
        else
        {
            Console.WriteLine($"passed: {name} {where}");
        }
    }
}

if (failures > 0)
{
    return 1;
}

Console.WriteLine("OK plain");
return 0;

/// <summary>Runs one check on a thread of a given kind, bounded in time, and turns what went wrong into a message.</summary>
internal static class Runner
{
    /// <summary>No check waits anywhere near this long; one that does has hung.</summary>
    private static readonly TimeSpan s_limit = TimeSpan.FromSeconds(60);

    /// <summary>Runs <paramref name="check"/> on a new thread of its own; returns null, or what failed.</summary>
    public static string? OnPlainThread(Action check)
    {
        string? failure = null;
        var thread = new Thread(() => failure = Capture(check))
        {
            // A hung check must not keep the process alive once Main has reported it.
            IsBackground = true,
            Name = "plain check",
        };
        thread.Start();
        return thread.Join(s_limit) ? failure : $"did not finish within {s_limit.TotalSeconds} s";
    }

    /// <summary>Runs <paramref name="check"/> on a thread-pool thread; returns null, or what failed.</summary>
    public static string? OnThreadPool(Action check)
    {
        // Queued by hand rather than with Task.Run(check).Wait(): Task.Wait may run a task not yet started inline, on
        // the waiting (main) thread, and this must run on the pool.
        string? failure = null;
        // Not disposed: a check that overran the limit may still set it later.
        var done = new ManualResetEventSlim();
        ThreadPool.QueueUserWorkItem(_ =>
        {
            failure = Thread.CurrentThread.IsThreadPoolThread ? Capture(check) : "the work item did not run on a pool thread";
            done.Set();
        });
        return done.Wait(s_limit) ? failure : $"did not finish within {s_limit.TotalSeconds} s";
    }

    private static string? Capture(Action check)
    {
        try
        {
            check();
            return null;
        }
        catch (Exception exception)
        {
            return exception.ToString();
        }
    }
}

/// <summary>Whether libc's functions carry a detour, seen from outside Co: a detour replaces a function's first
/// bytes with a 5-byte <c>jmp rel32</c> (opcode 0xE9); glibc's own <c>recv</c> begins otherwise.</summary>
internal static class Detours
{
    public static bool RecvIsDetoured() => Marshal.ReadByte(NativeLibrary.GetExport(NativeLibrary.Load("libc.so.6"), "recv")) == 0xE9;
}
