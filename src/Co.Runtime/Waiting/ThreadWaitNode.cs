using Co.Scheduling;

namespace Co.Waiting;

/// <summary>The wait node of a plain thread (not a scheduler thread): a synchronous wait blocks the thread itself, as
/// co's Event and WaitGroup do outside coroutines. One per thread, created on first use.</summary>
internal sealed class ThreadWaitNode : WaitNode
{
    [ThreadStatic]
    private static ThreadWaitNode? t_node;

    internal readonly ThreadSignal Signal = new();

    internal static ThreadWaitNode ForCurrentThread => t_node ??= new ThreadWaitNode();

    private protected override TimerHeap? Timers => null;

    internal override void Dispatch() => Signal.Set();
}
