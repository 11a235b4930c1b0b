using System.Threading.Tasks.Sources;
using Co.Waiting;

namespace Co;

/// <summary>
/// A channel read that had to wait, in an async coroutine: the <see cref="IValueTaskSource{T}"/> its caller awaits,
/// and the retry its wait node runs when woken. The retry takes the item on the coroutine's scheduler before the
/// awaiter resumes, so the caller's continuation runs once, straight from the run queue, without an async method
/// between it and the node (whose completion would be posted through the coroutine's context a second time).
/// </summary>
/// <remarks>One object per wait: <see cref="Chan{T}"/> creates it, the awaiter's GetResult ends it.</remarks>
internal sealed class ChanReadOp<T>(Chan<T> chan, AsyncWaitNode node) : IWakeRetry, IValueTaskSource<T>, IValueTaskSource<ChanReadResult<T>>
{
    private readonly short _nodeToken = node.Token;
    private T _item = default!;
    private ChanStatus _status;

    public bool TryFinish(AsyncWaitNode waking) => chan.RetryRead(waking, out _item, out _status);

    public ValueTaskSourceStatus GetStatus(short token) => node.GetStatus(_nodeToken);

    public void OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags) =>
        node.OnCompleted(continuation, state, _nodeToken, flags);

    T IValueTaskSource<T>.GetResult(short token)
    {
        ChanReadResult<T> result = End();
        return result.Status == ChanStatus.Closed ? throw Chan<T>.ReadClosed() : result.Value!;
    }

    ChanReadResult<T> IValueTaskSource<ChanReadResult<T>>.GetResult(short token) => End();

    /// <summary>Ends the node's wait (throwing if it was cancelled) and reports the read.</summary>
    private ChanReadResult<T> End() =>
        ((IValueTaskSource<bool>)node).GetResult(_nodeToken)
            ? new ChanReadResult<T>(_status, _item)
            : new ChanReadResult<T>(ChanStatus.TimedOut, default);
}

/// <summary>The write counterpart of <see cref="ChanReadOp{T}"/>.</summary>
internal sealed class ChanWriteOp<T>(Chan<T> chan, AsyncWaitNode node, T item) : IWakeRetry, IValueTaskSource, IValueTaskSource<ChanStatus>
{
    private readonly short _nodeToken = node.Token;
    private ChanStatus _status;

    public bool TryFinish(AsyncWaitNode waking) => chan.RetryWrite(waking, item, out _status);

    public ValueTaskSourceStatus GetStatus(short token) => node.GetStatus(_nodeToken);

    public void OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags) =>
        node.OnCompleted(continuation, state, _nodeToken, flags);

    void IValueTaskSource.GetResult(short token)
    {
        if (End() == ChanStatus.Closed)
        {
            throw Chan<T>.WriteClosed();
        }
    }

    ChanStatus IValueTaskSource<ChanStatus>.GetResult(short token) => End();

    /// <summary>Ends the node's wait (throwing if it was cancelled) and reports the write.</summary>
    private ChanStatus End() => ((IValueTaskSource<bool>)node).GetResult(_nodeToken) ? _status : ChanStatus.TimedOut;
}
