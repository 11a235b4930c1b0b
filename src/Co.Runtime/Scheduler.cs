using Co.Scheduling;

namespace Co;

/// <summary>
/// One scheduler: a group of OS threads of which at most one runs coroutine code at any moment, a run queue, timers and
/// a poller. co's <c>xx::Scheduler</c>. Obtain schedulers through <see cref="Coroutine.Schedulers"/>,
/// <see cref="Coroutine.NextScheduler"/> or <see cref="Coroutine.CurrentScheduler"/>.
/// </summary>
/// <remarks>
/// Coroutines never migrate between schedulers and coroutines of one scheduler never run in parallel, so data kept per
/// scheduler (as <see cref="Pool{T}"/> does) needs no lock.
/// </remarks>
public sealed partial class Scheduler
{
    /// <summary>The scheduler id, between 0 and <see cref="Coroutine.SchedulerCount"/> - 1.</summary>
    public int Id { get; }

    /// <summary>Creates a sync coroutine running <paramref name="body"/> on this scheduler (co's <c>add_new_task</c>).</summary>
    /// <remarks>At the OS thread limit the coroutine waits for a thread of this scheduler as
    /// <see cref="Coroutine.Go(Action)"/> says.
    /// Never waits and never refuses for load: see <see cref="RunQueueLength"/> (no back-pressure).</remarks>
    /// <exception cref="ArgumentNullException"><paramref name="body"/> is null.</exception>
    /// <exception cref="InvalidOperationException">The schedulers were stopped.</exception>
    public void Go(Action body)
    {
        ArgumentNullException.ThrowIfNull(body);
        Submit(new ActionCoroutine(this, body));
    }

    /// <summary>Creates a sync coroutine running <paramref name="body"/>(<paramref name="argument"/>) on this scheduler.</summary>
    /// <remarks>At the OS thread limit the coroutine waits for a thread of this scheduler as
    /// <see cref="Coroutine.Go(Action)"/> says.
    /// Never waits and never refuses for load: see <see cref="RunQueueLength"/> (no back-pressure).</remarks>
    /// <exception cref="ArgumentNullException"><paramref name="body"/> is null.</exception>
    /// <exception cref="InvalidOperationException">The schedulers were stopped.</exception>
    public void Go<T>(Action<T> body, T argument)
    {
        ArgumentNullException.ThrowIfNull(body);
        Submit(new ActionCoroutine<T>(this, body, argument));
    }

    /// <summary>Creates an async coroutine running <paramref name="body"/> on this scheduler; it resumes here after
    /// every await.</summary>
    /// <exception cref="ArgumentNullException"><paramref name="body"/> is null.</exception>
    /// <remarks>Never waits and never refuses for load: see <see cref="RunQueueLength"/> (no back-pressure).</remarks>
    /// <exception cref="InvalidOperationException">The schedulers were stopped.</exception>
    public void Go(Func<Task> body)
    {
        ArgumentNullException.ThrowIfNull(body);
        Submit(new TaskCoroutine(this, body));
    }

    /// <summary>Creates an async coroutine running <paramref name="body"/>(<paramref name="argument"/>) on this scheduler.</summary>
    /// <exception cref="ArgumentNullException"><paramref name="body"/> is null.</exception>
    /// <remarks>Never waits and never refuses for load: see <see cref="RunQueueLength"/> (no back-pressure).</remarks>
    /// <exception cref="InvalidOperationException">The schedulers were stopped.</exception>
    public void Go<T>(Func<T, Task> body, T argument)
    {
        ArgumentNullException.ThrowIfNull(body);
        Submit(new TaskCoroutine<T>(this, body, argument));
    }

    /// <inheritdoc/>
    public override string ToString() => $"Scheduler {Id}";
}
