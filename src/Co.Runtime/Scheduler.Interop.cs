using Co.Interop;

namespace Co;

// GoAsync on one scheduler: the Task-returning forms of Go, for Task code that needs a coroutine's result.
public sealed partial class Scheduler
{
    /// <summary>Creates a sync coroutine running <paramref name="body"/> on this scheduler and returns a task that
    /// completes when it ends. An exception of the body faults the task (it is not raised as
    /// <see cref="Coroutine.UnhandledException"/>); continuations of the task never run on the scheduler thread.</summary>
    /// <param name="body">The coroutine body.</param>
    /// <param name="cancellationToken">Cancelled before the coroutine starts, the body is skipped; an
    /// <see cref="OperationCanceledException"/> of the body carrying this token cancels the task (as with
    /// <see cref="Task.Run(Action, CancellationToken)"/>).</param>
    /// <exception cref="ArgumentNullException"><paramref name="body"/> is null.</exception>
    /// <exception cref="InvalidOperationException">The schedulers were stopped.</exception>
    public Task GoAsync(Action body, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(body);
        var completion = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        Go(CoroutineCompletion.Sync(body, completion, cancellationToken));
        return completion.Task;
    }

    /// <summary>Creates a sync coroutine running <paramref name="body"/> on this scheduler and returns a task with its
    /// result. See <see cref="GoAsync(Action, CancellationToken)"/>.</summary>
    /// <param name="body">The coroutine body.</param>
    /// <param name="cancellationToken">See <see cref="GoAsync(Action, CancellationToken)"/>.</param>
    /// <exception cref="ArgumentNullException"><paramref name="body"/> is null.</exception>
    /// <exception cref="InvalidOperationException">The schedulers were stopped.</exception>
    public Task<T> GoAsync<T>(Func<T> body, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(body);
        var completion = new TaskCompletionSource<T>(TaskCreationOptions.RunContinuationsAsynchronously);
        Go(CoroutineCompletion.Sync(body, completion, cancellationToken));
        return completion.Task;
    }

    /// <summary>Creates an async coroutine running <paramref name="body"/> on this scheduler and returns a task that
    /// completes as the body's task does (result, exceptions, cancellation) — but never on the scheduler thread. The
    /// body's exceptions are not raised as <see cref="Coroutine.UnhandledException"/>.</summary>
    /// <param name="body">The coroutine body.</param>
    /// <param name="cancellationToken">See <see cref="GoAsync(Action, CancellationToken)"/>.</param>
    /// <exception cref="ArgumentNullException"><paramref name="body"/> is null.</exception>
    /// <exception cref="InvalidOperationException">The schedulers were stopped.</exception>
    public Task GoAsync(Func<Task> body, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(body);
        var completion = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        Go(CoroutineCompletion.Async(body, completion, cancellationToken));
        return completion.Task;
    }

    /// <summary>Creates an async coroutine running <paramref name="body"/> on this scheduler and returns a task with
    /// its result. See <see cref="GoAsync(Func{Task}, CancellationToken)"/>.</summary>
    /// <param name="body">The coroutine body.</param>
    /// <param name="cancellationToken">See <see cref="GoAsync(Action, CancellationToken)"/>.</param>
    /// <exception cref="ArgumentNullException"><paramref name="body"/> is null.</exception>
    /// <exception cref="InvalidOperationException">The schedulers were stopped.</exception>
    public Task<T> GoAsync<T>(Func<Task<T>> body, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(body);
        var completion = new TaskCompletionSource<T>(TaskCreationOptions.RunContinuationsAsynchronously);
        Go(CoroutineCompletion.Async(body, completion, cancellationToken));
        return completion.Task;
    }
}
