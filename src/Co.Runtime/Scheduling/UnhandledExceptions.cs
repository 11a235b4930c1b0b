namespace Co.Scheduling;

/// <summary>Routes an exception that escaped a coroutine to <see cref="Coroutine.UnhandledException"/>, or to stderr
/// when nobody listens. Never throws: a coroutine's failure must not take its scheduler down — except a broken baton
/// invariant (<see cref="BatonInvariantException"/>, Debug builds), which ends the process.</summary>
internal static class UnhandledExceptions
{
    internal static event EventHandler<CoroutineExceptionEventArgs>? Raised;

    internal static void Report(CoroutineBase? coroutine, Exception exception)
    {
        if (exception is BatonInvariantException)
        {
            // A Debug build's check found a runtime bug: the scheduler's own state can't be trusted any more.
            Environment.FailFast(exception.Message, exception);
        }

        int coroutineId = coroutine?.Id ?? -1;
        int schedulerId = coroutine?.Scheduler.Id ?? -1;
        EventHandler<CoroutineExceptionEventArgs>? handlers = Raised;
        if (handlers is not null)
        {
            try
            {
                handlers(null, new CoroutineExceptionEventArgs(coroutineId, schedulerId, exception));
                return;
            }
            catch (Exception handlerFailure)
            {
                WriteToStderr(coroutineId, schedulerId, new AggregateException(exception, handlerFailure));
                return;
            }
        }

        WriteToStderr(coroutineId, schedulerId, exception);
    }

    private static void WriteToStderr(int coroutineId, int schedulerId, Exception exception)
    {
        try
        {
            Console.Error.WriteLine($"Co: unhandled exception in coroutine {coroutineId} (scheduler {schedulerId}): {exception}");
        }
        catch (IOException)
        {
            // stderr is gone; nothing else can be done without risking the scheduler.
        }
    }
}
