using Co;

/// <summary>Runs a batch of sync coroutines from the main thread and waits for them: what most scenarios do.</summary>
internal static class CoroutineRun
{
    /// <summary>Runs <paramref name="count"/> sync coroutines (<paramref name="body"/> gets each one's index) and waits
    /// for them, 30 s at most unless <paramref name="limit"/> says otherwise; rethrows the first failure of any.</summary>
    public static void All(int count, Action<int> body, TimeSpan? limit = null)
    {
        var done = new WaitGroup(count);
        Exception? failure = null;
        for (int i = 0; i < count; i++)
        {
            int index = i;
            Coroutine.Go(() =>
            {
                try
                {
                    body(index);
                }
                catch (Exception exception)
                {
                    failure ??= exception;
                }
                finally
                {
                    done.Done();
                }
            });
        }

        Scenarios.Check(Task.Run(done.Wait).Wait(limit ?? TimeSpan.FromSeconds(30)), "the coroutines did not finish in time");
        if (failure is not null)
        {
            throw new InvalidOperationException("a coroutine failed", failure);
        }
    }
}
