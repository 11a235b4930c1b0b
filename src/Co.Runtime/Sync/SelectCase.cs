using Co.Waiting;

namespace Co;

/// <summary>One case of a <see cref="Select"/>: a channel operation that fires when it can complete without waiting.</summary>
internal abstract class SelectCase
{
    /// <summary>Performs the operation if it would not wait and keeps its result for <see cref="Deliver"/>; false when it
    /// would wait.</summary>
    internal abstract bool TryFire();

    /// <summary>Enlists <paramref name="caseNode"/> on the channel; true, without enlisting, when the case is ready now.</summary>
    internal abstract bool Enlist(SelectCaseNode caseNode);

    /// <summary>Takes an enlisted <paramref name="caseNode"/> back, passing on a wake-up the select did not use.</summary>
    internal abstract void Withdraw(SelectCaseNode caseNode);

    /// <summary>Runs the case's handler with the result of the <see cref="TryFire"/> that fired.</summary>
    internal abstract void Deliver();
}

/// <summary>A receive case: fires with an item, or with ok = false once the channel is closed and drained.</summary>
internal sealed class RecvCase<T>(Chan<T> chan, Action<T, bool>? handler) : SelectCase
{
    private T _item = default!;
    private bool _ok;

    internal override bool TryFire()
    {
        if (!chan.SelectTryRead(out _item, out ChanStatus status))
        {
            return false;
        }

        _ok = status == ChanStatus.Ok;
        return true;
    }

    internal override bool Enlist(SelectCaseNode caseNode) => chan.SelectEnlist(caseNode, read: true);

    internal override void Withdraw(SelectCaseNode caseNode) => chan.SelectWithdraw(caseNode, read: true);

    internal override void Deliver()
    {
        T item = _item;
        _item = default!;
        handler?.Invoke(item, _ok);
    }
}

/// <summary>A send case: fires once the item is buffered. On a closed channel it fires too, and
/// <see cref="Deliver"/> throws <see cref="ChanClosedException"/>, as <see cref="Chan{T}.Write"/> does (Go panics).</summary>
internal sealed class SendCase<T>(Chan<T> chan, T item, Action? handler) : SelectCase
{
    private bool _closed;

    internal override bool TryFire()
    {
        if (!chan.SelectTryWrite(item, out ChanStatus status))
        {
            return false;
        }

        _closed = status == ChanStatus.Closed;
        return true;
    }

    internal override bool Enlist(SelectCaseNode caseNode) => chan.SelectEnlist(caseNode, read: false);

    internal override void Withdraw(SelectCaseNode caseNode) => chan.SelectWithdraw(caseNode, read: false);

    internal override void Deliver()
    {
        if (_closed)
        {
            throw Chan<T>.WriteClosed();
        }

        handler?.Invoke();
    }
}
