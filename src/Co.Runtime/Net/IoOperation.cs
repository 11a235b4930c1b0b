using Co.Platform.Linux;
using Co.Waiting;

namespace Co.Net;

/// <summary>
/// The state of one asynchronous socket operation (RecvAsync, SendAsync, ...) riding on an <see cref="AsyncWaitNode"/>:
/// when readiness claims the node, the node's completion calls <see cref="TryFinish"/> on the scheduler's holder, which
/// retries the operation right there. Only a finished operation publishes the node to its awaiter; one that meets
/// EAGAIN again re-arms the same wait. So an await costs one continuation, whatever number of readiness edges it took.
/// </summary>
/// <remarks>Kept with its pooled node and reused; <see cref="Clear"/> drops the buffer so user memory is not retained.</remarks>
internal sealed class IoOperation : IWakeRetry
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

    /// <summary>The result once finished: bytes, the accepted descriptor, 0 for a connect; -1 on error.</summary>
    internal long Result { get; private set; }

    /// <summary>The errno when <see cref="Result"/> is -1.</summary>
    internal int Error { get; private set; }

    /// <summary>Which readiness the operation waits for.</summary>
    private bool _read;

    internal void Start(OperationKind kind, bool read, PollDescriptor descriptor, Memory<byte> buffer, int done)
    {
        _kind = kind;
        _read = read;
        _descriptor = descriptor;
        _buffer = buffer;
        _done = done;
        Result = -1;
        Error = 0;
    }

    internal void Clear()
    {
        _descriptor = null;
        _buffer = default;
    }

    /// <summary>Retries after a readiness claim of <paramref name="node"/>; true when finished, false when the node
    /// was re-armed to wait for the next edge.</summary>
    public bool TryFinish(AsyncWaitNode node)
    {
        PollDescriptor descriptor = _descriptor!;
        while (true)
        {
            if (descriptor.IsClosed)
            {
                return Finish(-1, Errno.EBADF);
            }

            int error = Attempt(descriptor.Fd, out long result);
            if (error != Errno.EAGAIN)
            {
                return Finish(error == 0 ? result : -1, error);
            }

            switch (descriptor.Reenlist(node, _read))
            {
                case PollDescriptor.Enlistment.Waiting:
                    return false;
                case PollDescriptor.Enlistment.Closed:
                    return Finish(-1, Errno.EBADF);
            }
        }
    }

    private int Attempt(int fd, out long result)
    {
        int error;
        switch (_kind)
        {
            case OperationKind.Readiness:
                result = 0;
                return 0;
            case OperationKind.Recv:
                error = SocketOps.Recv(fd, _buffer.Span, out int received);
                if (error == 0)
                {
                    _descriptor!.ReadDrained = received > 0 && received < _buffer.Length;
                }

                result = received;
                return error;
            case OperationKind.RecvN:
                error = SocketOps.RecvN(fd, _buffer.Span, ref _done, out int total);
                result = total;
                return error;
            case OperationKind.Send:
                error = SocketOps.SendAll(fd, _buffer.Span, ref _done);
                result = _buffer.Length;
                return error;
            case OperationKind.Accept:
                error = SocketOps.Accept(fd, default, out _, out int accepted);
                result = accepted;
                return error;
            default:
                result = 0;
                return SocketOps.ConnectResult(fd);
        }
    }

    private bool Finish(long result, int error)
    {
        Result = result;
        Error = error;
        return true;
    }
}
