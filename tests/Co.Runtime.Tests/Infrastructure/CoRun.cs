using System.Diagnostics;

namespace Co.Tests;

/// <summary>
/// Runs a body as a coroutine and gives back a Task that completes when the body ends (exceptions, including
/// failed assertions inside the body, are carried to the test). Every returned Task is bounded by
/// <see cref="Timeout"/>: a hang surfaces as a TimeoutException naming the operation instead of a stuck run.
/// </summary>
internal static class CoRun
{
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    /// <summary>Runs a sync coroutine (Go(Action)), on <paramref name="scheduler"/> when given.</summary>
    public static Task Sync(Action body, Scheduler? scheduler = null, TimeSpan? timeout = null)
    {
        var tcs = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        void Wrapped()
        {
            try { body(); tcs.TrySetResult(); }
            catch (Exception e) { tcs.TrySetException(e); }
        }
        if (scheduler is null) Coroutine.Go(Wrapped); else scheduler.Go(Wrapped);
        return Bound(tcs.Task, timeout, "sync coroutine");
    }

    public static async Task<T> Sync<T>(Func<T> body, Scheduler? scheduler = null, TimeSpan? timeout = null)
    {
        T result = default!;
        await Sync(() => { result = body(); }, scheduler, timeout);
        return result;
    }

    /// <summary>Runs an async coroutine (Go(Func&lt;Task&gt;)), on <paramref name="scheduler"/> when given.</summary>
    public static Task Async(Func<Task> body, Scheduler? scheduler = null, TimeSpan? timeout = null)
    {
        var tcs = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        async Task Wrapped()
        {
            try { await body(); tcs.TrySetResult(); }
            catch (Exception e) { tcs.TrySetException(e); }
        }
        if (scheduler is null) Coroutine.Go(Wrapped); else scheduler.Go(Wrapped);
        return Bound(tcs.Task, timeout, "async coroutine");
    }

    public static async Task<T> Async<T>(Func<Task<T>> body, Scheduler? scheduler = null, TimeSpan? timeout = null)
    {
        T result = default!;
        await Async(async () => { result = await body(); }, scheduler, timeout);
        return result;
    }

    /// <summary>Runs a body on a dedicated plain (non-pool, non-coroutine) thread.</summary>
    public static Task Thread(Action body, TimeSpan? timeout = null)
    {
        var tcs = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var t = new System.Threading.Thread(() =>
        {
            try { body(); tcs.TrySetResult(); }
            catch (Exception e) { tcs.TrySetException(e); }
        })
        { IsBackground = true, Name = "plain test thread" };
        t.Start();
        return Bound(tcs.Task, timeout, "plain thread");
    }

    public static async Task<T> Thread<T>(Func<T> body, TimeSpan? timeout = null)
    {
        T result = default!;
        await Thread(() => { result = body(); }, timeout);
        return result;
    }

    /// <summary>Waits for a task with a bound; the TimeoutException says what hung.</summary>
    public static async Task Bound(Task task, TimeSpan? timeout, string what)
    {
        var limit = timeout ?? Timeout;
        try
        {
            await task.WaitAsync(limit);
        }
        catch (TimeoutException)
        {
            throw new TimeoutException($"{what} did not finish within {limit.TotalSeconds:0.#} s (hang?)");
        }
    }

    public static Task Bound(Task task, string what) => Bound(task, null, what);

    /// <summary>Waits (polling, bounded) until a condition holds; false if it never did.</summary>
    public static async Task<bool> Until(Func<bool> condition, int timeoutMs = 10_000)
    {
        var sw = Stopwatch.StartNew();
        while (!condition())
        {
            if (sw.ElapsedMilliseconds > timeoutMs) return condition();
            await Task.Delay(5);
        }
        return true;
    }

    /// <summary>Scheduler with the given id (in-process there are two).</summary>
    public static Scheduler S(int id) => Coroutine.Schedulers[id];
}
