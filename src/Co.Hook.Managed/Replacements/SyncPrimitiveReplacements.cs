using Co.Hook.Handlers;
using Co.Hook.Managed.Engine;

namespace Co.Hook.Managed.Replacements;

/// <summary>
/// The two slim primitives client libraries block on besides tasks: <see cref="SemaphoreSlim"/> (Npgsql's data-source
/// bootstrap, connection limits) and <see cref="ManualResetEventSlim"/> (Npgsql's exhausted pool, many hand-rolled
/// sync-over-async waits). Their blocking waits are monitor or futex waits inside the runtime. In coroutine code the
/// coroutine parks instead: the semaphore through its own <c>WaitAsync</c> (same queue, same result, same exceptions),
/// the event through its wait handle, registered with the thread pool's wait thread. Everywhere else, and for waits that
/// would not block, it is the original.
/// </summary>
internal static unsafe partial class SyncPrimitiveReplacements
{
    /// <summary>SemaphoreSlim's private WaitCore(long, CancellationToken), which every synchronous Wait reaches.</summary>
    [ManagedHook(typeof(SemaphoreSlim), "WaitCore", Note = "every SemaphoreSlim.Wait")]
    internal static bool SemaphoreWaitCore(SemaphoreSlim semaphore, long millisecondsTimeout, CancellationToken cancellationToken)
    {
        bool couldBlock = millisecondsTimeout != 0 && millisecondsTimeout >= Timeout.Infinite && BlockingCall.CanDivert();
        using (JitGuard.EnterOriginal())
        {
            if (!couldBlock)
            {
                return SemaphoreWaitCoreOriginal(semaphore, millisecondsTimeout, cancellationToken);
            }

            if (SemaphoreWaitCoreOriginal(semaphore, 0, cancellationToken))
            {
                return true; // free now: no wait
            }
        }

        ManagedDivertCounters.Record(ManagedHookId.SemaphoreWaitCore);
        Task<bool> acquiring = semaphore.WaitAsync(
            millisecondsTimeout == Timeout.Infinite ? Timeout.InfiniteTimeSpan : TimeSpan.FromMilliseconds(millisecondsTimeout),
            cancellationToken);
        ForeignWait.UntilDone(acquiring);
        return acquiring.GetAwaiter().GetResult(); // OperationCanceledException on cancellation, as Wait throws
    }

    /// <summary>ManualResetEventSlim.Wait(int, CancellationToken), which every Wait overload reaches.</summary>
    [ManagedHook(typeof(ManualResetEventSlim), nameof(ManualResetEventSlim.Wait), Note = "every ManualResetEventSlim.Wait")]
    internal static bool EventWait(ManualResetEventSlim slim, int millisecondsTimeout, CancellationToken cancellationToken)
    {
        if (slim.IsSet || millisecondsTimeout == 0 || millisecondsTimeout < Timeout.Infinite || !BlockingCall.CanDivert())
        {
            using JitGuard.OriginalScope original = JitGuard.EnterOriginal();
            return EventWaitOriginal(slim, millisecondsTimeout, cancellationToken);
        }

        cancellationToken.ThrowIfCancellationRequested();
        ManagedDivertCounters.Record(ManagedHookId.EventWait);
        var done = new Event(manualReset: true);
        RegisteredWaitHandle registration = ThreadPool.UnsafeRegisterWaitForSingleObject(
            slim.WaitHandle, static (state, _) => ((Event)state!).Signal(), done, millisecondsTimeout, executeOnlyOnce: true);
        try
        {
            using (cancellationToken.UnsafeRegister(static state => ((Event)state!).Signal(), done))
            {
                using BlockingCall.Scope scope = BlockingCall.Enter();
                done.Wait();
            }
        }
        finally
        {
            registration.Unregister(null);
        }

        cancellationToken.ThrowIfCancellationRequested();
        return slim.IsSet;
    }
}
