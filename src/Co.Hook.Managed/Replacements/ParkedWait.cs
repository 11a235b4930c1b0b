using Co.Hook.Handlers;

namespace Co.Hook.Managed.Replacements;

/// <summary>
/// One coroutine's wait inside a detoured thread primitive (<see cref="Monitor.Wait(object, int)"/>, a
/// <see cref="WaitHandle"/> wait): the coroutine parks on <see cref="Wake"/>, a runtime <see cref="Event"/> (auto-reset,
/// so a signal sent before the coroutine parks is kept for its park, and each signal ends one park), which whatever
/// may end the wait signals from any thread — a pulse, a handle being set, <see cref="Thread.Interrupt"/>.
/// </summary>
/// <remarks>While it exists it is registered under its thread in <see cref="ParkedWaits"/>, so an interrupt of that
/// thread reaches it. A record serves one wait and is then dropped: a late signal lands on no one.</remarks>
internal sealed class ParkedWait
{
    private volatile bool _interrupted;

    /// <summary>Signalled to end the current park.</summary>
    public Event Wake { get; } = new(manualReset: false);

    /// <summary>The thread the waiting coroutine runs on (a sync coroutine's thread is its own).</summary>
    public Thread Thread { get; } = Thread.CurrentThread;

    /// <summary>Whether <see cref="Thread.Interrupt"/> was called on <see cref="Thread"/> during the wait.</summary>
    public bool Interrupted => _interrupted;

    /// <summary>Records an interrupt and ends the park (any thread).</summary>
    public void Interrupt()
    {
        _interrupted = true;
        Wake.Signal();
    }

    /// <summary>Parks the calling coroutine until <see cref="Wake"/> is signalled or <paramref name="ms"/> pass (a
    /// hook's scope is held meanwhile, so nothing the park does is diverted again).</summary>
    /// <returns>False when the time passed first.</returns>
    public bool Park(int ms)
    {
        using BlockingCall.Scope scope = BlockingCall.Enter();
        return Wake.Wait(ms);
    }
}
