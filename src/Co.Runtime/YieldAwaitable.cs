using System.Runtime.CompilerServices;
using Co.Scheduling;

namespace Co;

/// <summary>The awaitable returned by <see cref="Coroutine.YieldAsync"/>: the continuation goes to the back of the
/// current scheduler's run queue.</summary>
public readonly struct YieldAwaitable
{
    /// <summary>Gets the awaiter.</summary>
    public YieldAwaiter GetAwaiter() => default;

    /// <summary>The awaiter of <see cref="YieldAwaitable"/>.</summary>
    public readonly struct YieldAwaiter : ICriticalNotifyCompletion
    {
        /// <summary>Always false: yielding always suspends.</summary>
        public bool IsCompleted => false;

        /// <summary>Ends the await.</summary>
        public void GetResult()
        {
        }

        /// <inheritdoc/>
        public void OnCompleted(Action continuation)
        {
            ExecutionContext? context = ExecutionContext.Capture();
            UnsafeOnCompleted(context is null ? continuation : () => ExecutionContext.Run(context, static c => ((Action)c!)(), continuation));
        }

        /// <inheritdoc/>
        public void UnsafeOnCompleted(Action continuation)
        {
            ArgumentNullException.ThrowIfNull(continuation);
            CoroutineBase owner = Coroutine.RequireCoroutine(nameof(Coroutine.YieldAsync));
            Scheduler scheduler = owner.Scheduler;
            ContinuationItem item = scheduler.RentContinuationItem();
            item.Set(owner, continuation);
            scheduler.Enqueue(item);
        }
    }
}
