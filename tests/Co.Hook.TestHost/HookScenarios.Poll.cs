using System.Runtime.InteropServices;
using Co;
using Co.Hook;
using Co.Testing;

/// <summary>Scenarios of the hook layer: libc poll.</summary>
internal static partial class HookScenarios
{
    /// <summary>
    /// libc poll through P/Invoke: on a plain thread it waits as always; 20 coroutines on one scheduler each polling
    /// an idle socket for 300 ms wait at once (each returns 0 after its timeout); a poll on one socket and a poll on
    /// two sockets return 1 with POLLIN set on the right descriptor when another coroutine writes 100 ms later.
    /// </summary>
    [Scenario("native-poll")]
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
