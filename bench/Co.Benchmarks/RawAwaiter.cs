using System.Runtime.CompilerServices;

namespace Co.Benchmarks;

/// <summary>
/// Baseline: the cheapest async switch one can write by hand on one thread, with no Co code — a growable ring
/// of continuations (the run queue) and an auto-reset signal that is its own awaiter. Two <c>async Task</c>
/// methods alternate through two signals exactly as the Co ping-pong benchmarks do through two Events.
/// </summary>
public static class RawPingPong
{
    /// <summary>Runs <paramref name="rounds"/> round trips (2 switches each) on the calling thread.</summary>
    public static void Run(int rounds)
    {
        var loop = new RawLoop();
        var a = new RawSignal(loop);
        var b = new RawSignal(loop);
        Task ping = Ping(a, b, rounds);
        Task pong = Pong(a, b, rounds);
        loop.RunUntilEmpty();
        if (!ping.IsCompletedSuccessfully || !pong.IsCompletedSuccessfully)
            throw new InvalidOperationException("raw ping-pong did not complete");
    }

    // a: signalled by Ping, awaited by Pong; b: signalled by Pong, awaited by Ping.
    private static async Task Ping(RawSignal a, RawSignal b, int rounds)
    {
        for (int i = 0; i < rounds; i++)
        {
            a.Set();
            await b;
        }
    }

    private static async Task Pong(RawSignal a, RawSignal b, int rounds)
    {
        for (int i = 0; i < rounds; i++)
        {
            await a;
            b.Set();
        }
    }
}

/// <summary>Single-thread FIFO run queue of continuations.</summary>
public sealed class RawLoop
{
    private Action[] _ring = new Action[16];
    private int _head, _count;

    public void Post(Action continuation)
    {
        if (_count == _ring.Length) Grow();
        _ring[(_head + _count) & (_ring.Length - 1)] = continuation;
        _count++;
    }

    public void RunUntilEmpty()
    {
        while (_count > 0)
        {
            var c = _ring[_head];
            _ring[_head] = null!;
            _head = (_head + 1) & (_ring.Length - 1);
            _count--;
            c();
        }
    }

    private void Grow()
    {
        var n = new Action[_ring.Length * 2];
        for (int i = 0; i < _count; i++) n[i] = _ring[(_head + i) & (_ring.Length - 1)];
        _ring = n;
        _head = 0;
    }
}

/// <summary>Auto-reset signal and its own awaiter: a waiter's continuation goes to the run queue on Set.</summary>
public sealed class RawSignal : ICriticalNotifyCompletion
{
    private readonly RawLoop _loop;
    private Action? _waiter;
    private bool _set;

    public RawSignal(RawLoop loop) => _loop = loop;

    public RawSignal GetAwaiter() => this;
    public bool IsCompleted => _set;
    public void GetResult() => _set = false;
    public void OnCompleted(Action continuation) => _waiter = continuation;
    public void UnsafeOnCompleted(Action continuation) => _waiter = continuation;

    public void Set()
    {
        var w = _waiter;
        if (w is null) { _set = true; return; }
        _waiter = null;
        _loop.Post(w);
    }
}
