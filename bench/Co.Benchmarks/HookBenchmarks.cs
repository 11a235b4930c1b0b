using System.Diagnostics;
using Co.Hook;
using Co.Hook.Handlers;

namespace Co.Benchmarks;

/// <summary>
/// What the native hooks cost per call, in a process of its own with hooks enabled: <c>recv(MSG_PEEK)</c> of one byte
/// on a socketpair with data ready, 1,000,000 calls per round, the three rows interleaved over 7 rounds.
/// <list type="bullet">
/// <item>RecvUnhooked (baseline): libc's recv reached through its detour's trampoline — the original code, no gate;</item>
/// <item>RecvHookedPlainThread: recv through the hooked entry on a plain thread — the gate sends it straight on;</item>
/// <item>RecvHookedCoroutine: a blocking recv in a sync coroutine — gate, managed handler, a MSG_DONTWAIT attempt.</item>
/// </list>
/// </summary>
public static unsafe class HookBenchmarks
{
    public const string Unhooked = "RecvUnhooked";
    public const string Plain = "RecvHookedPlainThread";
    public const string InCoroutine = "RecvHookedCoroutine";
    public static readonly string[] Names = { Unhooked, Plain, InCoroutine };

    private const int MsgPeek = 0x2;
    private const int MsgDontwait = 0x40;

    public static void Run(IReadOnlySet<string>? only)
    {
        int rounds = Harness.Quick ? 3 : 7;
        int calls = Harness.Quick ? 100_000 : 1_000_000;
        CoWarmup.StartSchedulers();
        Hooks.Enable();
        string? error = Hooks.Status.TryGetValue("recv", out HookStatus state) && state.State == HookState.Hooked ? null : "recv not hooked: " + state;

        int* pair = stackalloc int[2];
        if (error is null && LinuxNative.SocketPair(1, 1, 0, pair) != 0)
        {
            error = "socketpair failed";
        }

        byte one = 1;
        if (error is null)
        {
            LinuxNative.Send(pair[0], &one, 1, 0);
        }

        int fd = pair[1];
        var raw = new List<double>();
        var plain = new List<double>();
        var coroutine = new List<double>();
        for (int round = 0; round <= rounds && error is null; round++)
        {
            double r = Raw(fd, calls);
            double p = Hooked(fd, calls, MsgPeek | MsgDontwait);
            double c = InCoroutineRound(fd, calls);
            if (round == 0)
            {
                continue; // warm-up
            }

            raw.Add(r);
            plain.Add(p);
            coroutine.Add(c);
            Console.WriteLine($"[hooks] round {round}/{rounds}: unhooked {BenchResult.Fmt(r)}, hooked plain {BenchResult.Fmt(p)}, hooked coroutine {BenchResult.Fmt(c)} ns/call");
        }

        Add(Unhooked, raw, null, TargetKind.Baseline, 0, error, "libc recv(MSG_PEEK|MSG_DONTWAIT) through its detour's trampoline (the original code, no gate)");
        double? baseline = raw.Count > 0 ? Harness.Stats(raw).Median : null;
        Add(Plain, plain, baseline, TargetKind.DeltaMax, 5, error, "the same call through the hooked entry on a plain thread: the gate passes it to the original");
        Add(InCoroutine, coroutine, baseline, TargetKind.DeltaMax, 50, error, "a blocking recv(MSG_PEEK) in a sync coroutine on scheduler 0, data ready: gate, managed handler, one MSG_DONTWAIT attempt");
    }

    private static void Add(string name, List<double> samples, double? baseline, TargetKind target, double value, string? error, string notes)
    {
        var result = new BenchResult
        {
            Name = name, Group = "hooks", Unit = "ns/call", Target = target, TargetValue = value,
            Baseline = target == TargetKind.Baseline ? null : Unhooked, BaselineMedian = baseline, Error = error, Notes = notes,
        };
        if (samples.Count > 0)
        {
            (double median, double min) = Harness.Stats(samples);
            result.Median = median;
            result.Min = min;
            result.Samples = samples.Count;
        }

        ResultSink.Add(result);
    }

    private static double Raw(int fd, int calls)
    {
        delegate* unmanaged<int, void*, nint, int, nint> original = SocketHandlers.RecvOriginal;
        byte b;
        long t0 = Stopwatch.GetTimestamp();
        for (int i = 0; i < calls; i++)
        {
            original(fd, &b, 1, MsgPeek | MsgDontwait);
        }

        return Stopwatch.GetElapsedTime(t0).TotalNanoseconds / calls;
    }

    private static double Hooked(int fd, int calls, int flags)
    {
        byte b;
        long t0 = Stopwatch.GetTimestamp();
        for (int i = 0; i < calls; i++)
        {
            LinuxNative.Recv(fd, &b, 1, flags);
        }

        return Stopwatch.GetElapsedTime(t0).TotalNanoseconds / calls;
    }

    private static double InCoroutineRound(int fd, int calls)
    {
        double result = 0;
        var done = new Event();
        Coroutine.Schedulers[0].Go(() =>
        {
            result = Hooked(fd, calls, MsgPeek);
            done.Signal();
        });
        if (!done.Wait(120_000))
        {
            throw new TimeoutException("HANG: the coroutine round did not finish within 120 s");
        }

        return result;
    }
}
