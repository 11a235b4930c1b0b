namespace Co.Waiting;

/// <summary>
/// The lock of the primitives (Event, WaitGroup, CoMutex, Chan): a test-and-set spin lock whose release is a plain
/// store, so an uncontended enter/exit pair costs one atomic instruction — half of what <see cref="Lock"/> pays, which
/// matters on a coroutine switch that takes two of them. Critical sections are a few dozen instructions and never
/// block, so a waiter spins briefly, then yields its time slice (the holder may be preempted on the same CPU).
/// </summary>
/// <remarks>Not reentrant. Use as <c>using (_gate.Enter()) { ... }</c>.</remarks>
internal sealed class SpinGate
{
    /// <summary>0 = free, 1 = held.</summary>
    private int _held;

    public Scope Enter()
    {
        if (Interlocked.Exchange(ref _held, 1) != 0)
        {
            EnterContended();
        }

        return new Scope(this);
    }

    private void EnterContended()
    {
        var spinner = default(SpinWait);
        do
        {
            spinner.SpinOnce(sleep1Threshold: -1);
        }
        while (Volatile.Read(ref _held) != 0 || Interlocked.Exchange(ref _held, 1) != 0);
    }

    private void Exit() => Volatile.Write(ref _held, 0);

    /// <summary>Releases the gate when disposed.</summary>
    public readonly ref struct Scope(SpinGate gate)
    {
        public void Dispose() => gate.Exit();
    }
}
