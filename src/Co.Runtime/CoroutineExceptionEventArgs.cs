namespace Co;

/// <summary>Describes an exception that escaped a coroutine; see <see cref="Coroutine.UnhandledException"/>.</summary>
public sealed class CoroutineExceptionEventArgs : EventArgs
{
    internal CoroutineExceptionEventArgs(int coroutineId, int schedulerId, Exception exception)
    {
        CoroutineId = coroutineId;
        SchedulerId = schedulerId;
        Exception = exception;
    }

    /// <summary>The id of the coroutine the exception escaped from (-1 if it escaped before the coroutine started).</summary>
    public int CoroutineId { get; }

    /// <summary>The id of the scheduler that ran the coroutine.</summary>
    public int SchedulerId { get; }

    /// <summary>The exception.</summary>
    public Exception Exception { get; }
}
