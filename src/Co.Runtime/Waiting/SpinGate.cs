using System.Diagnostics;
using Co.Scheduling;

namespace Co.Waiting;

/// <summary>
/// The lock of the primitives (Event, WaitGroup, CoMutex, Chan): a test-and-set spin lock whose release is a plain
/// store, so an uncontended enter/exit pair costs one atomic instruction — half of what <see cref="Lock"/> pays, which
/// matters on a coroutine switch that takes two of them. Critical sections are a few dozen instructions and never
/// block, so a waiter spins briefly, then yields its time slice (the holder may be preempted on the same CPU).
/// </summary>
/// <remarks>Not reentrant. Use as <c>using (_gate.Enter()) { ... }</c>. A thread never parks while it holds a gate: the
/// thread that gets the baton could spin on that gate for ever. Debug builds count the gates each thread holds and
/// check the count is zero at every park (<see cref="AssertNoneHeld"/>).</remarks>
internal sealed class SpinGate
{
    /// <summary>How many gates the calling thread holds; Debug builds only.</summary>
    [ThreadStatic]
    private static int t_heldByThread;

    /// <summary>0 = free, 1 = held.</summary>
    private int _held;

    /// <summary>Throws <see cref="BatonInvariantException"/> if the calling thread holds a gate; called where it is
    /// about to park or open a holder section that may rejoin (which parks).</summary>
    [Conditional("DEBUG")]
    internal static void AssertNoneHeld(string where)
    {
        if (t_heldByThread != 0)
        {
            throw new BatonInvariantException($"{where} while the thread holds {t_heldByThread} spin gate(s).");
        }
    }

    public Scope Enter()
    {
        if (Interlocked.Exchange(ref _held, 1) != 0)
        {
            EnterContended();
        }

        CountHeld(+1);
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

    private void Exit()
    {
        CountHeld(-1);
        Volatile.Write(ref _held, 0);
    }

    [Conditional("DEBUG")]
    private static void CountHeld(int change) => t_heldByThread += change;

    /// <summary>Releases the gate when disposed.</summary>
    public readonly ref struct Scope(SpinGate gate)
    {
        public void Dispose() => gate.Exit();
    }
}
