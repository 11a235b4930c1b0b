namespace Co.Scheduling;

/// <summary>
/// A holder section (docs/ARCHITECTURE.md, "The baton invariant"): runtime code, run from coroutine code, that touches
/// holder-only state. Opening one flips the worker's baton word to <see cref="Worker.InHolderSection"/>, rejoining
/// first if the monitor detached the thread (Scheduler.Monitor.cs); closing restores the word. Costs one static read
/// while the monitor is off, two stores and a load while it runs; a nested section is a no-op (the outer one holds).
/// </summary>
internal readonly ref struct HolderSection
{
    /// <summary>The worker whose section this is; null when nothing was claimed.</summary>
    private readonly Worker? _worker;

    /// <summary>The worker's baton word to restore as the section closes (coroutine code, same step).</summary>
    private readonly long _word;

    internal HolderSection(Worker worker, long word)
    {
        _worker = worker;
        _word = word;
    }

    private HolderSection(bool detached) => IsDetached = detached;

    /// <summary>Only from <see cref="EnterWithoutRejoin"/>: the thread is detached and did not rejoin, so it must
    /// not touch the structure the section was for.</summary>
    public bool IsDetached { get; }

    /// <summary>The section of a detached thread that may not rejoin here.</summary>
    internal static HolderSection Detached => new(detached: true);

    /// <summary>Opens a section for the calling thread (nothing to do off scheduler threads, in scheduler code, or
    /// inside another section).</summary>
    public static HolderSection Enter() =>
        Scheduler.IsMonitored && Worker.Current is { } me ? me.Scheduler.EnterSection(me, mayRejoin: true) : default;

    /// <summary>Opens a section for <paramref name="me"/>, the calling thread's worker, for callers that have it.</summary>
    public static HolderSection Enter(Worker me) =>
        Scheduler.IsMonitored ? me.Scheduler.EnterSection(me, mayRejoin: true) : default;

    /// <summary>
    /// Opens a section where rejoining is not allowed: under a primitive's <see cref="Waiting.SpinGate"/>, where
    /// parking to rejoin could leave the scheduler's new holder spinning on that gate for ever. A detached thread gets
    /// a section with <see cref="IsDetached"/> set and must do without the holder-only structure.
    /// </summary>
    public static HolderSection EnterWithoutRejoin() =>
        Scheduler.IsMonitored && Worker.Current is { } me ? me.Scheduler.EnterSection(me, mayRejoin: false) : default;

    /// <summary>
    /// Rejoins now if the monitor detached the calling thread; called before a sync wait is armed (and before a yield
    /// enqueues its resume), outside any gate, so a resume of the thread's own never reaches the run queue while it is
    /// detached: the holder that takes it would hand the baton to a thread that is still running.
    /// </summary>
    public static void Checkpoint()
    {
        using HolderSection section = Enter();
    }

    /// <summary>Closes the section.</summary>
    public void Dispose()
    {
        if (_worker is not null)
        {
            Volatile.Write(ref _worker.BatonWord, _word);
        }
    }
}
