namespace Co.Interop;

/// <summary>
/// The bodies behind <c>GoAsync</c>: each runs the caller's body as an ordinary coroutine and moves its outcome to a
/// <see cref="TaskCompletionSource"/> created with <see cref="TaskCreationOptions.RunContinuationsAsynchronously"/>, so
/// the Task code awaiting it never continues on the scheduler thread. Nothing escapes these bodies: an exception is the
/// task's, not <see cref="Coroutine.UnhandledException"/>'s.
/// </summary>
/// <remarks>Cancellation follows <see cref="Task.Run(Action, CancellationToken)"/>: a token cancelled before the
/// coroutine starts skips the body, and an <see cref="OperationCanceledException"/> carrying the cancelled token makes
/// the task Canceled rather than Faulted.</remarks>
internal static class CoroutineCompletion
{
    internal static Action Sync(Action body, TaskCompletionSource completion, CancellationToken cancellationToken) => () =>
    {
        if (cancellationToken.IsCancellationRequested)
        {
            completion.TrySetCanceled(cancellationToken);
            return;
        }

        try
        {
            body();
            completion.TrySetResult();
        }
        catch (Exception exception)
        {
            Fail(completion, exception, cancellationToken);
        }
    };

    internal static Action Sync<T>(Func<T> body, TaskCompletionSource<T> completion, CancellationToken cancellationToken) => () =>
    {
        if (cancellationToken.IsCancellationRequested)
        {
            completion.TrySetCanceled(cancellationToken);
            return;
        }

        try
        {
            completion.TrySetResult(body());
        }
        catch (Exception exception)
        {
            Fail(completion, exception, cancellationToken);
        }
    };

    internal static Func<Task> Async(Func<Task> body, TaskCompletionSource completion, CancellationToken cancellationToken) => async () =>
    {
        Task? inner = StartInner(body, completion, cancellationToken);
        if (inner is not null)
        {
            // The coroutine lives as long as its body; the body's outcome goes to the completion, not to the scheduler.
            await inner.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing | ConfigureAwaitOptions.ContinueOnCapturedContext);
            completion.TrySetFromTask(inner);
        }
    };

    internal static Func<Task> Async<T>(Func<Task<T>> body, TaskCompletionSource<T> completion, CancellationToken cancellationToken) => async () =>
    {
        Task<T>? inner = StartInner(body, completion, cancellationToken);
        if (inner is not null)
        {
            await ((Task)inner).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing | ConfigureAwaitOptions.ContinueOnCapturedContext);
            completion.TrySetFromTask(inner);
        }
    };

    /// <summary>Calls an async body up to its first suspension; null when it threw synchronously or was skipped (the
    /// completion is then already set).</summary>
    private static TTask? StartInner<TTask>(Func<TTask> body, TaskCompletionSource completion, CancellationToken cancellationToken)
        where TTask : Task
    {
        if (cancellationToken.IsCancellationRequested)
        {
            completion.TrySetCanceled(cancellationToken);
            return null;
        }

        try
        {
            return body();
        }
        catch (Exception exception)
        {
            Fail(completion, exception, cancellationToken);
            return null;
        }
    }

    private static TTask? StartInner<TTask, T>(Func<TTask> body, TaskCompletionSource<T> completion, CancellationToken cancellationToken)
        where TTask : Task
    {
        if (cancellationToken.IsCancellationRequested)
        {
            completion.TrySetCanceled(cancellationToken);
            return null;
        }

        try
        {
            return body();
        }
        catch (Exception exception)
        {
            Fail(completion, exception, cancellationToken);
            return null;
        }
    }

    private static void Fail(TaskCompletionSource completion, Exception exception, CancellationToken cancellationToken)
    {
        if (IsOwnCancellation(exception, cancellationToken))
        {
            completion.TrySetCanceled(cancellationToken);
        }
        else
        {
            completion.TrySetException(exception);
        }
    }

    private static void Fail<T>(TaskCompletionSource<T> completion, Exception exception, CancellationToken cancellationToken)
    {
        if (IsOwnCancellation(exception, cancellationToken))
        {
            completion.TrySetCanceled(cancellationToken);
        }
        else
        {
            completion.TrySetException(exception);
        }
    }

    private static bool IsOwnCancellation(Exception exception, CancellationToken cancellationToken) =>
        exception is OperationCanceledException canceled
        && cancellationToken.IsCancellationRequested
        && canceled.CancellationToken == cancellationToken;
}
