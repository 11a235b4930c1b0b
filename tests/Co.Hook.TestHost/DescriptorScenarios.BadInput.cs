using System.Runtime.InteropServices;
using Co;
using Co.Testing;

/// <summary>Scenarios of the descriptor-level hooks: libc's results and errno for bad input.</summary>
internal static unsafe partial class DescriptorScenarios
{
    private const int EINVAL = 22;
    private const int ENOTSOCK = 88;

    /// <summary>
    /// Bad input through the hooked calls gives libc's exact results and errno, in a coroutine as on a plain thread:
    /// bad and closed descriptors, non-sockets, zero-length buffers, bad timeouts and sizes.
    /// </summary>
    [Scenario("bad-input")]
    public static void BadInput()
    {
        Coroutine.Configure(o => o.SchedulerCount = 1);
        BadInputResults(); // binds every import first (a first call's errno can be the binder's)
        string plain = BadInputResults();
        Hooks.Enable();
        string hookedPlain = BadInputResults();
        string inCoroutine = "";
        CoroutineRun.All(1, _ => inCoroutine = BadInputResults());
        Console.WriteLine($"RESULTS {inCoroutine}");
        Scenarios.Check(hookedPlain == plain, $"plain thread, hooked: {hookedPlain}\nunhooked: {plain}");
        Scenarios.Check(inCoroutine == plain, $"coroutine, hooked: {inCoroutine}\nunhooked: {plain}");
        Scenarios.Check(plain.Contains($"={-1}/{EBADF}", StringComparison.Ordinal) && plain.Contains($"={-1}/{ENOTSOCK}", StringComparison.Ordinal) && plain.Contains($"={-1}/{EINVAL}", StringComparison.Ordinal),
            "the probe did not exercise EBADF, ENOTSOCK and EINVAL: " + plain);
    }

    private static string BadInputResults()
    {
        var results = new List<string>();
        void Record(string what, long result) => results.Add($"{what}={result}/{(result < 0 ? Marshal.GetLastPInvokeError() : 0)}");

        int* pair = stackalloc int[2];
        Native.SocketPair(AfUnix, SockStream, 0, pair);
        int* pipe = stackalloc int[2];
        Native.Pipe(pipe);
        const int closed = 4000; // a number far above those in use, so no other thread's open() takes it meanwhile
        Native.Dup2(pipe[0], closed);
        Native.Close(closed);
        byte b = 0;
        long pollfd = (long)(uint)closed | (1L << 32);
        long* badTimespec = stackalloc long[2] { 0, 2_000_000_000 };
        long* vector = stackalloc long[2] { (long)&b, 0 };
        foreach ((string name, int fd) in new[] { ("-1", -1), ("closed", closed), ("huge", 1 << 30) })
        {
            Record($"recv({name})", Native.Recv(fd, &b, 1, 0));
            Record($"send({name})", Native.Send(fd, &b, 1, 0));
            Record($"read({name})", Native.Read(fd, &b, 1));
            Record($"write({name})", Native.Write(fd, &b, 1));
            Record($"readv({name})", Native.Readv(fd, vector, 1));
            Record($"writev({name})", Native.Writev(fd, vector, 1));
            Record($"accept({name})", Native.Accept(fd, null, null));
            Record($"close({name})", Native.Close(fd));
            Record($"epoll_wait({name})", Native.EpollWait(fd, &pollfd, 1, 10));
        }

        Record("recv(pipe)", Native.Recv(pipe[0], &b, 1, 0)); // ENOTSOCK
        Record("accept(unlistened)", Native.Accept(pair[0], null, null)); // EINVAL
        Record("recv(zero length)", Native.Recv(pair[0], &b, 0, 0x40));
        Record("send(zero length)", Native.Send(pair[0], &b, 0, 0));
        Record("write(zero length)", Native.Write(pair[0], &b, 0));
        Record("writev(zero length)", Native.Writev(pair[0], vector, 1));
        Record("poll(closed)", Native.Poll(&pollfd, 1, 10));
        results.Add($"revents={(short)(pollfd >> 48)}");
        Record("poll(none)", Native.Poll(null, 0, 10));
        Record("ppoll(bad timeout)", Native.Ppoll(&pollfd, 1, badTimespec, null));
        Record("select(negative)", Native.Select(-1, null, null, null, null));
        Record("epoll_wait(no room)", Native.EpollWait(pair[0], &pollfd, 0, 10));
        Record("nanosleep(bad)", Native.NanoSleep(badTimespec, null));
        foreach (int fd in new[] { pair[0], pair[1], pipe[0], pipe[1] })
        {
            Native.Close(fd);
        }

        return string.Join(' ', results);
    }
}
