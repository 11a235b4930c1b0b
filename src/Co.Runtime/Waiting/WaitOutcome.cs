namespace Co.Waiting;

/// <summary>How a wait ended. The values are the low bits of <see cref="WaitNode"/>'s state word.</summary>
internal enum WaitOutcome
{
    /// <summary>Still pending (or never armed).</summary>
    None = 0,

    /// <summary>The primitive woke the waiter (event signalled, lock handed over, channel changed, ...).</summary>
    Signaled = 2,

    /// <summary>The deadline passed first.</summary>
    TimedOut = 3,

    /// <summary>The wait's CancellationToken fired first.</summary>
    Canceled = 4,
}
