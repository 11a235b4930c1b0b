using System.Diagnostics;
using System.Runtime.CompilerServices;
using Co.Platform;
using Co.Waiting;

namespace Co.Scheduling;

/// <summary>
/// A one-permit signal that a single owning thread waits on, on a futex (or the platform's address wait). It carries the
/// scheduler's baton between threads: the giver calls <see cref="Set"/> on the receiver's signal, then waits on its own.
/// </summary>
/// <remarks>
/// The futex word has three states:
/// <list type="bullet">
/// <item><c>0</c> — no permit, owner not asleep;</item>
/// <item><c>1</c> — a permit is waiting to be consumed (a set came first);</item>
/// <item><c>-1</c> — the owner is asleep in (or about to enter) <c>futex_wait</c>; a setter must issue a wake.</item>
/// </list>
/// Only the owner moves the word away from 1 (consuming a permit) or to -1; setters only exchange it to 1, waking
/// the owner if they replaced -1. So a set is never lost, and the wake syscall is skipped when the owner is awake.
/// The word lives on the pinned object heap: the kernel keys futex waiters by address.
/// </remarks>
internal sealed unsafe class ThreadSignal
{
    private readonly int[] _word = GC.AllocateArray<int>(1, pinned: true);

    private int* Word => (int*)Unsafe.AsPointer(ref _word[0]);

    /// <summary>Blocks the owner until a permit is available, then consumes it.</summary>
    public void Wait() => Wait(-1);

    /// <summary>Blocks the owner until a permit is available (consumed, returns true) or the timeout passes (false).
    /// A negative timeout waits forever.</summary>
    public bool Wait(long timeoutMs)
    {
        SpinGate.AssertNoneHeld("a thread waits on its signal");
        ref int word = ref _word[0];
        if (Interlocked.CompareExchange(ref word, -1, 0) == 1)
        {
            Volatile.Write(ref word, 0);
            return true;
        }

        long deadline = timeoutMs < 0 ? long.MaxValue : Stopwatch.GetTimestamp() + timeoutMs * Stopwatch.Frequency / 1000;
        while (Volatile.Read(ref word) == -1)
        {
            long remainingNs = -1;
            if (timeoutMs >= 0)
            {
                long remainingTicks = deadline - Stopwatch.GetTimestamp();
                if (remainingTicks <= 0)
                {
                    if (Interlocked.CompareExchange(ref word, 0, -1) == -1)
                    {
                        return false;
                    }

                    break; // a permit arrived just now
                }

                remainingNs = (long)(remainingTicks * (1_000_000_000.0 / Stopwatch.Frequency));
            }

            CurrentPlatform.AddressWait.Wait(Word, -1, remainingNs);
        }

        Volatile.Write(ref word, 0);
        return true;
    }

    /// <summary>Makes a permit available to the owner, waking it if it sleeps. Any thread may call it.</summary>
    public void Set()
    {
        if (Interlocked.Exchange(ref _word[0], 1) == -1)
        {
            CurrentPlatform.AddressWait.Wake(Word, 1);
        }
    }
}
