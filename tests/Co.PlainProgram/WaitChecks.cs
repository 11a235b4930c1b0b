/// <summary>The managed waits the managed hook layer detours — Thread.Sleep, Task.Wait/.Result, SemaphoreSlim.Wait,
/// ManualResetEventSlim.Wait — each with its timeout, its wake-up from another thread, and its cancellation or
/// interruption.</summary>
/// <remarks>Whatever ends a timed wait (a delay, a token's timer) starts inside the timed span, so a busy machine can
/// only make a wait look longer, never shorter.</remarks>
internal static class WaitChecks
{
    private const int ShortMilliseconds = 100;

    /// <summary>Long enough that no check should ever see it run out.</summary>
    private const int LongMilliseconds = 10_000;

    /// <summary>Sleeps last as long as asked, and Thread.Interrupt still ends one early.</summary>
    public static void Sleep()
    {
        Expect.Lasts(ShortMilliseconds, () => Thread.Sleep(ShortMilliseconds), "Thread.Sleep(int)");
        Expect.Lasts(ShortMilliseconds, () => Thread.Sleep(TimeSpan.FromMilliseconds(ShortMilliseconds)), "Thread.Sleep(TimeSpan)");
        Expect.Lasts(0, () => Thread.Sleep(0), "Thread.Sleep(0)");

        Exception? sleeperSaw = null;
        var sleeper = new Thread(() =>
        {
            try
            {
                Thread.Sleep(LongMilliseconds);
            }
            catch (ThreadInterruptedException interrupted)
            {
                sleeperSaw = interrupted;
            }
        })
        { IsBackground = true };
        Expect.Lasts(ShortMilliseconds, () =>
        {
            sleeper.Start();
            Thread.Sleep(ShortMilliseconds);
            sleeper.Interrupt();
            Expect.True(sleeper.Join(LongMilliseconds / 2), "a sleeping thread ignored Thread.Interrupt");
        }, "interrupting a sleep");
        Expect.True(sleeperSaw is ThreadInterruptedException, "the interrupted sleep did not throw ThreadInterruptedException");
    }

    /// <summary>Task.Wait and .Result wait for the task, return its result or throw its exception, and honour their
    /// timeout and cancellation.</summary>
    public static void TaskWaits()
    {
        Expect.Lasts(ShortMilliseconds, () => Task.Delay(ShortMilliseconds).Wait(), "Task.Wait() on Task.Delay");

        bool completed = true;
        Expect.Lasts(ShortMilliseconds, () => completed = Task.Delay(LongMilliseconds).Wait(ShortMilliseconds), "Task.Wait(timeout)");
        Expect.True(!completed, "Task.Wait(timeout) reported a task still delayed as completed");

        int result = 0;
        Expect.Lasts(ShortMilliseconds, () => result = Task.Run(async () =>
        {
            await Task.Delay(ShortMilliseconds);
            return 42;
        }).Result, ".Result");
        Expect.True(result == 42, $".Result returned {result}, not 42");

        string continued = Task.Delay(ShortMilliseconds).ContinueWith(_ => "done", TaskScheduler.Default).GetAwaiter().GetResult();
        Expect.True(continued == "done", $"GetAwaiter().GetResult() returned {continued}");

        AggregateException faulted = Expect.Throws<AggregateException>(() => Task.Run(() => throw new InvalidOperationException("boom")).Wait(), "Task.Wait on a faulted task");
        Expect.True(faulted.InnerException is InvalidOperationException { Message: "boom" }, $"the faulted task's Wait threw {faulted.InnerException}");

        Expect.Lasts(ShortMilliseconds, () =>
        {
            using var cancellation = new CancellationTokenSource(ShortMilliseconds);
            Expect.Throws<OperationCanceledException>(() => Task.Delay(LongMilliseconds).Wait(cancellation.Token), "Task.Wait(token)");
        }, "Task.Wait's cancellation");
    }

    /// <summary>SemaphoreSlim.Wait times out, takes a count released by another thread, and honours cancellation.</summary>
    public static void Semaphore()
    {
        using var semaphore = new SemaphoreSlim(0);
        Expect.True(!semaphore.Wait(0), "Wait(0) took a count from an empty semaphore");

        bool taken = true;
        Expect.Lasts(ShortMilliseconds, () => taken = semaphore.Wait(ShortMilliseconds), "SemaphoreSlim.Wait(timeout)");
        Expect.True(!taken, "SemaphoreSlim.Wait(timeout) took a count from an empty semaphore");

        Task release = Task.CompletedTask;
        Expect.Lasts(ShortMilliseconds, () =>
        {
            release = Task.Delay(ShortMilliseconds).ContinueWith(_ => semaphore.Release(), TaskScheduler.Default);
            taken = semaphore.Wait(LongMilliseconds);
        }, "SemaphoreSlim.Wait until released");
        Expect.True(taken, "SemaphoreSlim.Wait missed a release from another thread");
        release.Wait();

        Expect.Lasts(ShortMilliseconds, () =>
        {
            using var cancellation = new CancellationTokenSource(ShortMilliseconds);
            Expect.Throws<OperationCanceledException>(() => semaphore.Wait(cancellation.Token), "SemaphoreSlim.Wait(token)");
        }, "SemaphoreSlim.Wait's cancellation");
        Expect.True(semaphore.CurrentCount == 0, $"the semaphore holds {semaphore.CurrentCount}, not 0");
    }

    /// <summary>ManualResetEventSlim.Wait times out, wakes when another thread sets the event, and honours
    /// cancellation.</summary>
    public static void Event()
    {
        using var signal = new ManualResetEventSlim();
        bool set = true;
        Expect.Lasts(ShortMilliseconds, () => set = signal.Wait(ShortMilliseconds), "ManualResetEventSlim.Wait(timeout)");
        Expect.True(!set, "ManualResetEventSlim.Wait(timeout) returned true for an event never set");

        Expect.Lasts(ShortMilliseconds, () =>
        {
            using var cancellation = new CancellationTokenSource(ShortMilliseconds);
            Expect.Throws<OperationCanceledException>(() => signal.Wait(cancellation.Token), "ManualResetEventSlim.Wait(token)");
        }, "ManualResetEventSlim.Wait's cancellation");

        Task setter = Task.CompletedTask;
        Expect.Lasts(ShortMilliseconds, () =>
        {
            setter = Task.Delay(ShortMilliseconds).ContinueWith(_ => signal.Set(), TaskScheduler.Default);
            set = signal.Wait(LongMilliseconds);
        }, "ManualResetEventSlim.Wait until set");
        Expect.True(set && signal.IsSet, "ManualResetEventSlim.Wait missed a Set from another thread");
        setter.Wait();
    }
}
