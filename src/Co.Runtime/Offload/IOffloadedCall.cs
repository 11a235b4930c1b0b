namespace Co.Offload;

/// <summary>A blocking call that <see cref="BlockingOffload"/> makes on one of its threads for a parked coroutine. It
/// keeps what the caller needs afterwards (a result, errno, ...): its fields are written on the offload thread before
/// the coroutine is woken, and read by the coroutine after it resumes.</summary>
internal interface IOffloadedCall
{
    /// <summary>Makes the call. Runs on an offload thread, which runs no coroutine code, so a hooked function called
    /// here reaches the original; on a plain-thread caller, runs on the caller's own thread.</summary>
    void Run();
}
