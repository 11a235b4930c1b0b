using System.Diagnostics;
using Co;
using Co.Testing;

/// <summary>Scenarios of the descriptor-level hooks: select, ppoll and epoll_wait.</summary>
internal static unsafe partial class DescriptorScenarios
{
    /// <summary>
    /// select, ppoll and epoll_wait in coroutines: 20 of each waiting 300 ms on idle sockets on one scheduler overlap
    /// and return 0 (select's sets cleared and its timeout run down, as Linux leaves them); with data they report the
    /// right descriptor and events; the same calls on a plain thread give the same results.
    /// </summary>
    [Scenario("waits")]
    public static void Waits()
    {
        Coroutine.Configure(o => o.SchedulerCount = 1);
        Hooks.Enable();
        const int waiters = 20;
        const int timeoutMs = 300;
        var pairs = new int[waiters * 2];
        fixed (int* p = pairs)
        {
            for (int i = 0; i < waiters; i++)
            {
                Scenarios.Check(Native.SocketPair(AfUnix, SockStream, 0, p + (2 * i)) == 0, "socketpair failed");
            }
        }

        foreach (string kind in new[] { "select", "ppoll", "epoll_wait" })
        {
            int zeroes = 0;
            var watch = Stopwatch.StartNew();
            CoroutineRun.All(waiters, i =>
            {
                if (Wait(kind, pairs[2 * i], timeoutMs, expectFd: -1))
                {
                    Interlocked.Increment(ref zeroes);
                }
            });
            long elapsed = watch.ElapsedMilliseconds;
            Console.WriteLine($"{kind} ELAPSED {elapsed}");
            Scenarios.Check(zeroes == waiters, $"{kind}: {zeroes} of {waiters} idle waits timed out correctly");
            Scenarios.Check(elapsed >= timeoutMs - 10 && elapsed < waiters * timeoutMs / 4, $"{kind}: {waiters} waits of {timeoutMs} ms took {elapsed} ms");

            // data arriving during the wait, in a coroutine and on a plain thread
            foreach (bool inCoroutine in new[] { true, false })
            {
                int fd = pairs[0];
                int peer = pairs[1];
                var sender = new Thread(() =>
                {
                    Thread.Sleep(100);
                    int one = 1;
                    Native.Write(peer, &one, sizeof(int));
                });
                sender.Start();
                bool ok = false;
                if (inCoroutine)
                {
                    CoroutineRun.All(1, _ => ok = Wait(kind, fd, 5000, expectFd: fd));
                }
                else
                {
                    ok = Wait(kind, fd, 5000, expectFd: fd);
                }

                sender.Join();
                Scenarios.Check(ok, $"{kind} (coroutine {inCoroutine}): data was not reported");
                int drained = 0;
                Scenarios.Check(Native.Read(fd, &drained, sizeof(int)) == sizeof(int), "drain failed");
            }
        }

        // two descriptors: the one with data is reported
        int quiet = pairs[2];
        int busy = pairs[4];
        int busyPeer = pairs[5];
        CoroutineRun.All(2, i =>
        {
            if (i == 1)
            {
                Coroutine.Sleep(50);
                int one = 1;
                Native.Write(busyPeer, &one, sizeof(int));
                return;
            }

            ulong* set = stackalloc ulong[16];
            set[quiet / 64] |= 1UL << (quiet % 64);
            set[busy / 64] |= 1UL << (busy % 64);
            long* timeout = stackalloc long[2] { 5, 0 };
            int n = Native.Select(Math.Max(quiet, busy) + 1, set, null, null, timeout);
            Scenarios.Check(n == 1 && (set[busy / 64] & (1UL << (busy % 64))) != 0 && (set[quiet / 64] & (1UL << (quiet % 64))) == 0, $"two-descriptor select gave {n}");
            Scenarios.Check(timeout[0] < 5 || timeout[1] > 0 || timeout[0] == 4, "select did not run its timeout down");
        });
    }

    /// <summary>One wait of <paramref name="kind"/> for readability of <paramref name="fd"/>: true when it timed out
    /// with 0 (<paramref name="expectFd"/> -1) or reported exactly <paramref name="expectFd"/>.</summary>
    private static bool Wait(string kind, int fd, int timeoutMs, int expectFd)
    {
        switch (kind)
        {
            case "select":
            {
                ulong* set = stackalloc ulong[16];
                set[fd / 64] |= 1UL << (fd % 64);
                long* timeout = stackalloc long[2] { timeoutMs / 1000, timeoutMs % 1000 * 1000 };
                int n = Native.Select(fd + 1, set, null, null, timeout);
                bool isSet = (set[fd / 64] & (1UL << (fd % 64))) != 0;
                return expectFd < 0 ? n == 0 && !isSet && timeout[0] == 0 && timeout[1] == 0 : n == 1 && isSet;
            }

            case "ppoll":
            {
                long pollfd = (long)(uint)fd | (1L << 32);
                long* timeout = stackalloc long[2] { timeoutMs / 1000, timeoutMs % 1000 * 1_000_000L };
                int n = Native.Ppoll(&pollfd, 1, timeout, null);
                short revents = (short)(pollfd >> 48);
                return expectFd < 0 ? n == 0 && revents == 0 : n == 1 && (revents & 1) != 0;
            }

            default:
            {
                int epoll = Native.EpollCreate1(0);
                long* registration = stackalloc long[2];
                ((uint*)registration)[0] = 1; // EPOLLIN
                *(long*)((byte*)registration + 4) = fd + 1000L;
                Native.EpollCtl(epoll, 1, fd, registration);
                long* events = stackalloc long[4];
                int n = Native.EpollWait(epoll, events, 2, timeoutMs);
                long data = *(long*)((byte*)events + 4);
                Native.Close(epoll);
                return expectFd < 0 ? n == 0 : n == 1 && data == fd + 1000L;
            }
        }
    }
}
