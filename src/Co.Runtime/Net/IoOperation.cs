using Co.Platform;
using Co.Waiting;

namespace Co.Net;

/// <summary>
/// The state of one asynchronous socket operation (RecvAsync, SendAsync, ...) riding on an <see cref="AsyncWaitNode"/>
/// as its extension: when readiness claims the node, the node's completion calls <see cref="TryFinish"/> on the
/// scheduler's holder, which is the asynchronous step of <see cref="ReadinessLoop"/>. Only a finished operation
/// publishes the node to its awaiter; one that meets EAGAIN again re-arms the same wait. So an await costs one
/// continuation, whatever number of readiness edges it took. As the awaiter reads the result, <see cref="Complete"/>
/// records the errno and timeout flag on the owning coroutine, as the synchronous calls do.
/// </summary>
/// <remarks>Kept with its pooled node (<see cref="AsyncWaitNode.KeptExtension"/>) and reused; <see cref="Complete"/>
/// drops the buffer so user memory is not retained.</remarks>
internal sealed class IoOperation : IWaitExtension, IReadinessAttempt
{
    /// <summary>What the operation does on each retry.</summary>
    internal enum OperationKind
    {
        /// <summary>IoEvent: readiness itself is the result.</summary>
        Readiness,
        Recv,
        RecvN,
        Send,
        Accept,
        Connect,
    }

    private OperationKind _kind;
    private PollDescriptor? _descriptor;
    private Memory<byte> _buffer;

    /// <summary>Bytes transferred so far (RecvN, Send).</summary>
    private int _done;

    /// <summary>Which readiness the operation waits for.</summary>
    private bool _read;

    /// <summary>The final attempt's result, once <see cref="TryFinish"/> returned true.</summary>
    private IoResult _result;

    /// <summary>The operation kept with <paramref name="node"/>, created on the node's first I/O wait.</summary>
    internal static IoOperation KeptBy(AsyncWaitNode node)
    {
        if (node.KeptExtension is IoOperation kept)
        {
            return kept;
        }

        var created = new IoOperation();
        node.KeptExtension = created;
        return created;
    }

    internal void Start(OperationKind kind, bool read, PollDescriptor descriptor, Memory<byte> buffer, int done)
    {
        _kind = kind;
        _read = read;
        _descriptor = descriptor;
        _buffer = buffer;
        _done = done;
        _result = IoResult.Failed(0); // not Done: only TryFinish, on a finished attempt, publishes a result
    }

    /// <summary>Retries after a readiness claim of <paramref name="node"/>; true when finished, false when the node
    /// was re-armed to wait for the next edge.</summary>
    public bool TryFinish(AsyncWaitNode node)
    {
        IoOperation self = this;
        if (!ReadinessLoop.TryFinishAfterWake(ref self, _descriptor!, node, _read, out IoResult result))
        {
            return false;
        }

        _result = result;
        return true;
    }

    /// <summary>The awaiter's result: bytes, the accepted descriptor, 0 for a connect or readiness; -1 on error, timeout
    /// or cancellation (errno and co::timeout recorded on the owner, as <c>Sock.Fail</c> does).</summary>
    public long Complete(AsyncWaitNode node, WaitOutcome outcome)
    {
        // A cancelled wait records no errno: the await throws instead.
        IoResult result = outcome switch
        {
            WaitOutcome.Signaled => _result,
            WaitOutcome.TimedOut => IoResult.TimedOut,
            _ => IoResult.Failed(0),
        };

        _descriptor = null;
        _buffer = default;
        long value = result.IsDone ? result.Value : -1;
        if (node.Owner is { } owner)
        {
            owner.TimedOut = outcome == WaitOutcome.TimedOut;
            int error = result.ErrorCode(timedOut: SocketCodes.TimedOut);
            if (value < 0 && error != 0)
            {
                owner.LastError = error;
            }
        }

        return value;
    }

    public IoResult Attempt()
    {
        int fd = _descriptor!.Fd;
        int error;
        switch (_kind)
        {
            case OperationKind.Readiness:
                return IoResult.Done(0);
            case OperationKind.Recv:
                error = SocketOps.Recv(fd, _buffer.Span, out int received);
                if (error == 0)
                {
                    _descriptor.ReadDrained = received > 0 && received < _buffer.Length;
                }

                return IoResult.FromAttempt(error, received);
            case OperationKind.RecvN:
                error = SocketOps.RecvN(fd, _buffer.Span, ref _done, out int total);
                return IoResult.FromAttempt(error, total);
            case OperationKind.Send:
                error = SocketOps.SendAll(fd, _buffer.Span, ref _done);
                return IoResult.FromAttempt(error, _buffer.Length);
            case OperationKind.Accept:
                error = SocketOps.Accept(fd, default, out _, out int accepted);
                return IoResult.FromAttempt(error, accepted);
            default:
                return IoResult.FromAttempt(SocketOps.ConnectResult(fd), 0);
        }
    }

    /// <summary>co's asynchronous calls always wait for readiness.</summary>
    public bool WaitsWhenBlocked() => true;

    /// <summary>Not asked: an asynchronous wait times out by its node's timer (<see cref="AsyncWaitNode.StartLimits"/>).</summary>
    public long Deadline() => throw new InvalidOperationException("An asynchronous socket operation has no loop deadline.");
}
