using Co.Platform;

namespace Co.Net;

/// <summary>How one attempt at a socket operation, or one wait for readiness, ended: the one error convention inside
/// the readiness loop (<see cref="ReadinessLoop"/>). The edges convert it: to errno for Sock and the libc handlers
/// (<see cref="ErrorCode"/>), to SocketError for the managed replacements.</summary>
internal readonly struct IoResult
{
    private IoResult(IoStatus status, long value, int error)
    {
        Status = status;
        Value = value;
        Error = error;
    }

    /// <summary>How it ended.</summary>
    internal IoStatus Status { get; }

    /// <summary>The operation's result when <see cref="IoStatus.Done"/> (bytes, a descriptor, 0).</summary>
    internal long Value { get; }

    /// <summary>The platform's error code when <see cref="IoStatus.Failed"/>.</summary>
    internal int Error { get; }

    internal bool IsDone => Status == IoStatus.Done;

    /// <summary>Done (an attempt: with its result; a wait: readiness came, attempt again).</summary>
    internal static IoResult Done(long value) => new(IoStatus.Done, value, 0);

    /// <summary>The attempt would have blocked.</summary>
    internal static IoResult WouldBlock => new(IoStatus.WouldBlock, 0, 0);

    /// <summary>The wait's deadline passed.</summary>
    internal static IoResult TimedOut => new(IoStatus.TimedOut, 0, 0);

    /// <summary>The descriptor was closed (through the runtime) before or while waiting.</summary>
    internal static IoResult Closed => new(IoStatus.Closed, 0, 0);

    /// <summary>The attempt, or registering the descriptor for the wait, failed with <paramref name="error"/>.</summary>
    internal static IoResult Failed(int error) => new(IoStatus.Failed, 0, error);

    /// <summary>The error code a call ending with this result reports: the failure's own, EAGAIN for an attempt that
    /// would block, EBADF for a closed descriptor, and <paramref name="timedOut"/> for a passed deadline (ETIMEDOUT for
    /// co's calls, EAGAIN for a socket timeout of a hooked call, EINPROGRESS for a hooked connect); 0 when done.</summary>
    internal int ErrorCode(int timedOut) => Status switch
    {
        IoStatus.Done => 0,
        IoStatus.WouldBlock => SocketCodes.WouldBlock,
        IoStatus.TimedOut => timedOut,
        IoStatus.Closed => SocketCodes.BadDescriptor,
        _ => Error,
    };

    /// <summary>Classifies a non-blocking attempt that failed with <paramref name="error"/>: would block, or failed.</summary>
    internal static IoResult FromError(int error) => error == SocketCodes.WouldBlock ? WouldBlock : Failed(error);

    /// <summary>Classifies an attempt in SocketOps' convention: 0 (done, with <paramref name="value"/>), WouldBlock, or
    /// the error.</summary>
    internal static IoResult FromAttempt(int error, long value) => error == 0 ? Done(value) : FromError(error);
}

/// <summary>See <see cref="IoResult.Status"/>.</summary>
internal enum IoStatus : byte
{
    Done,
    WouldBlock,
    TimedOut,
    Closed,
    Failed,
}
