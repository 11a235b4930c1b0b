using System.Runtime.CompilerServices;
using Co.Interop;
using Co.Scheduling;
using Co.Waiting;

namespace Co;

// Interop with Task code, both ways: GoAsync hands a coroutine's result to Task code; Await lets a sync coroutine
// wait for a Task or ValueTask by parking instead of blocking its scheduler.
public static partial class Coroutine
{
    /// <summary>Creates a sync coroutine on the next scheduler (round-robin) and returns a task that completes when it
    /// ends. An exception of the body faults the task (it is not raised as <see cref="UnhandledException"/>);
    /// continuations of the task never run on the scheduler thread.</summary>
    /// <param name="body">The coroutine body.</param>
    /// <param name="cancellationToken">Cancelled before the coroutine starts, the body is skipped; an
    /// <see cref="OperationCanceledException"/> of the body carrying this token cancels the task (as with
    /// <see cref="Task.Run(Action, CancellationToken)"/>).</param>
    /// <exception cref="ArgumentNullException"><paramref name="body"/> is null.</exception>
    /// <exception cref="InvalidOperationException">The schedulers were stopped.</exception>
    public static Task GoAsync(Action body, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(body);
        return SchedulerGroup.Next().GoAsync(body, cancellationToken);
    }

    /// <summary>Creates a sync coroutine on the next scheduler and returns a task with its result. See
    /// <see cref="GoAsync(Action, CancellationToken)"/>.</summary>
    /// <param name="body">The coroutine body.</param>
    /// <param name="cancellationToken">See <see cref="GoAsync(Action, CancellationToken)"/>.</param>
    /// <exception cref="ArgumentNullException"><paramref name="body"/> is null.</exception>
    /// <exception cref="InvalidOperationException">The schedulers were stopped.</exception>
    public static Task<T> GoAsync<T>(Func<T> body, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(body);
        return SchedulerGroup.Next().GoAsync(body, cancellationToken);
    }

    /// <summary>Creates an async coroutine on the next scheduler and returns a task that completes as the body's task
    /// does (result, exceptions, cancellation), never on the scheduler thread.</summary>
    /// <param name="body">The coroutine body.</param>
    /// <param name="cancellationToken">See <see cref="GoAsync(Action, CancellationToken)"/>.</param>
    /// <exception cref="ArgumentNullException"><paramref name="body"/> is null.</exception>
    /// <exception cref="InvalidOperationException">The schedulers were stopped.</exception>
    public static Task GoAsync(Func<Task> body, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(body);
        return SchedulerGroup.Next().GoAsync(body, cancellationToken);
    }

    /// <summary>Creates an async coroutine on the next scheduler and returns a task with its result. See
    /// <see cref="GoAsync(Func{Task}, CancellationToken)"/>.</summary>
    /// <param name="body">The coroutine body.</param>
    /// <param name="cancellationToken">See <see cref="GoAsync(Action, CancellationToken)"/>.</param>
    /// <exception cref="ArgumentNullException"><paramref name="body"/> is null.</exception>
    /// <exception cref="InvalidOperationException">The schedulers were stopped.</exception>
    public static Task<T> GoAsync<T>(Func<Task<T>> body, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(body);
        return SchedulerGroup.Next().GoAsync(body, cancellationToken);
    }

    /// <summary>Waits for <paramref name="task"/>: in a coroutine, only the coroutine waits (its scheduler runs the
    /// others); on a plain thread, the thread blocks. Throws what <c>task.GetAwaiter().GetResult()</c> throws: the
    /// task's first exception itself, not an <see cref="AggregateException"/>.</summary>
    /// <exception cref="ArgumentNullException"><paramref name="task"/> is null.</exception>
    public static void Await(Task task)
    {
        ArgumentNullException.ThrowIfNull(task);
        if (!task.IsCompleted)
        {
            TaskWaits.Park(task.ConfigureAwait(false).GetAwaiter(), Timeout.Infinite, CancellationToken.None);
        }

        task.GetAwaiter().GetResult();
    }

    /// <summary>Waits for <paramref name="task"/> and returns its result. See <see cref="Await(Task)"/>.</summary>
    /// <exception cref="ArgumentNullException"><paramref name="task"/> is null.</exception>
    public static T Await<T>(Task<T> task)
    {
        ArgumentNullException.ThrowIfNull(task);
        if (!task.IsCompleted)
        {
            TaskWaits.Park(task.ConfigureAwait(false).GetAwaiter(), Timeout.Infinite, CancellationToken.None);
        }

        return task.GetAwaiter().GetResult();
    }

    /// <summary>Waits for <paramref name="task"/>, consuming it (a ValueTask is awaited once). See
    /// <see cref="Await(Task)"/>. For a timeout, pass <c>task.AsTask()</c> to <see cref="Await(Task, int, CancellationToken)"/>.</summary>
    public static void Await(ValueTask task)
    {
        if (!task.IsCompleted)
        {
            TaskWaits.Park(task.ConfigureAwait(false).GetAwaiter(), Timeout.Infinite, CancellationToken.None);
        }

        task.GetAwaiter().GetResult();
    }

    /// <summary>Waits for <paramref name="task"/> and returns its result, consuming it. See <see cref="Await(ValueTask)"/>.</summary>
    public static T Await<T>(ValueTask<T> task)
    {
        if (!task.IsCompleted)
        {
            TaskWaits.Park(task.ConfigureAwait(false).GetAwaiter(), Timeout.Infinite, CancellationToken.None);
        }

        return task.GetAwaiter().GetResult();
    }

    /// <summary>Waits at most <paramref name="ms"/> milliseconds for <paramref name="task"/> (-1: no limit), as
    /// <see cref="Task.Wait(int, CancellationToken)"/> does but parking only the coroutine. The task goes on after a
    /// timeout.</summary>
    /// <returns>False on timeout; true when the task completed successfully.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="task"/> is null.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="ms"/> is less than -1.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled first.</exception>
    public static bool Await(Task task, int ms, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(task);
        if (!AwaitLimited(task, ms, cancellationToken))
        {
            return false;
        }

        task.GetAwaiter().GetResult();
        return true;
    }

    /// <summary>Waits at most <paramref name="ms"/> milliseconds for <paramref name="task"/> and gets its result. See
    /// <see cref="Await(Task, int, CancellationToken)"/>.</summary>
    /// <param name="task">The task.</param>
    /// <param name="ms">The timeout in milliseconds (-1: no limit; 0: only look).</param>
    /// <param name="result">The task's result; default on timeout.</param>
    /// <param name="cancellationToken">Ends the wait with an <see cref="OperationCanceledException"/>.</param>
    /// <returns>False on timeout.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="task"/> is null.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="ms"/> is less than -1.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled first.</exception>
    public static bool TryAwait<T>(Task<T> task, int ms, out T result, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(task);
        if (!AwaitLimited(task, ms, cancellationToken))
        {
            result = default!;
            return false;
        }

        result = task.GetAwaiter().GetResult();
        return true;
    }

    /// <summary>Waits for <paramref name="task"/> within the limits; false on timeout, true once it completed.</summary>
    private static bool AwaitLimited(Task task, int ms, CancellationToken cancellationToken)
    {
        Waits.ValidateTimeout(ms, nameof(ms));
        cancellationToken.ThrowIfCancellationRequested();
        if (task.IsCompleted)
        {
            return true;
        }

        if (ms == 0)
        {
            return false;
        }

        ConfiguredTaskAwaitable.ConfiguredTaskAwaiter awaiter = task.ConfigureAwait(false).GetAwaiter();
        return TaskWaits.Park(awaiter, ms, cancellationToken) switch
        {
            WaitOutcome.Signaled => true,
            WaitOutcome.Canceled => throw new OperationCanceledException(cancellationToken),
            _ => false,
        };
    }
}
