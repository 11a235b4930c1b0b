namespace Co.Scheduling;

/// <summary>A callback posted to an async coroutine's synchronization context, typically the continuation of a foreign
/// awaitable (a Task) that completed on another thread.</summary>
internal sealed class PostedCallback(CoroutineBase owner, SendOrPostCallback callback, object? state) : IRunnable
{
    public CoroutineBase? Owner => owner;

    public void Execute(Worker runner) => callback(state);
}
