namespace Co;

/// <summary>The result of a channel operation that may wait.</summary>
public enum ChanStatus
{
    /// <summary>The item was written or read.</summary>
    Ok,

    /// <summary>The timeout passed before the operation could complete.</summary>
    TimedOut,

    /// <summary>The channel is closed (and, for a read, drained).</summary>
    Closed,
}

/// <summary>The result of <see cref="Chan{T}.TryReadAsync"/>: a status and, when it is <see cref="ChanStatus.Ok"/>, the item.</summary>
/// <typeparam name="T">The item type.</typeparam>
/// <param name="Status">How the read ended.</param>
/// <param name="Value">The item read; default unless <paramref name="Status"/> is <see cref="ChanStatus.Ok"/>.</param>
public readonly record struct ChanReadResult<T>(ChanStatus Status, T? Value);

/// <summary>Thrown by <see cref="Chan{T}.Write"/> on a closed channel and by <see cref="Chan{T}.Read"/> on a closed,
/// drained one.</summary>
public sealed class ChanClosedException : InvalidOperationException
{
    /// <summary>Creates the exception with the default message.</summary>
    public ChanClosedException()
        : base("The channel is closed.")
    {
    }

    /// <summary>Creates the exception with <paramref name="message"/>.</summary>
    public ChanClosedException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with <paramref name="message"/> and an inner exception.</summary>
    public ChanClosedException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
