using Co.Waiting;

namespace Co.Net;

/// <summary>
/// The readiness state of one registered descriptor, one half per direction (read, write).
/// </summary>
/// <remarks>
/// <para>Platform contract (see <see cref="Platform.IPoller"/>): readiness is reported as edges, so a waiter always
/// tries its operation first and waits only after EAGAIN. With a request-driven poller (IOCP) an edge is the completion
/// of a request: every waiter that links itself arms its direction (<see cref="Platform.IPollRegistration.Arm"/>,
/// outside the gate), and a request made while the socket is ready completes at once.</para>
/// <para>Per direction the descriptor is in one of three states, all changed under <see cref="_gate"/>:
/// <list type="bullet">
/// <item><b>idle</b> — no waiter, no pending edge;</item>
/// <item><b>ready</b> — an edge arrived while nobody waited (<see cref="_readReady"/>/<see cref="_writeReady"/>): the
/// next waiter consumes it and retries its operation at once instead of sleeping, so an edge that races with the
/// EAGAIN that preceded the wait is never lost;</item>
/// <item><b>waited</b> — waiters are linked in the direction's list; the next edge claims them all (they retry, and
/// whoever loses the race for the data waits again).</item>
/// </list>
/// Closing (<see cref="Close"/>) claims every waiter and marks the descriptor closed for good: woken waiters see
/// <see cref="IsClosed"/> and fail with EBADF rather than retry on a number the kernel may already have reused. A
/// reused number gets a new descriptor with a new token, so a late event for the old one is dropped by the table.</para>
/// </remarks>
internal sealed class PollDescriptor : IWaitSource
{
    private readonly SpinGate _gate = new();
    private readonly DuplexWaitLists _waiters = new();
    private bool _readReady;
    private bool _writeReady;
    private volatile bool _closed;

    /// <summary>The last stream receive returned less than it asked for, so the receive queue was empty then.</summary>
    private volatile bool _readDrained;

    /// <summary>The poller reported a hang-up or error (EPOLLRDHUP, EPOLLHUP, EPOLLERR): from then on a receive always
    /// has something to report (end of stream or the error), and may have consumed the edge that said so.</summary>
    private volatile bool _hungUp;

    /// <summary>What the poller must be told of each wait; null for an edge-triggered poller (epoll).</summary>
    private readonly Platform.IPollRegistration? _registration;

    internal PollDescriptor(int fd, ulong token, Scheduler registeredWith, Platform.IPollRegistration? registration)
    {
        Fd = fd;
        Token = token;
        RegisteredWith = registeredWith;
        _registration = registration;
    }

    /// <summary>The scheduler whose poller holds the registration.</summary>
    internal Scheduler RegisteredWith { get; }

    /// <summary>How an attempt to wait ended under the gate.</summary>
    internal enum Enlistment
    {
        /// <summary>The node is linked and will be claimed by the next edge.</summary>
        Waiting,

        /// <summary>An edge was pending: retry the operation now.</summary>
        Ready,

        /// <summary>The descriptor was closed.</summary>
        Closed,
    }

    internal int Fd { get; }

    /// <summary>Whether <paramref name="node"/> waits in the readers' list (else the writers', or none): for dumps.</summary>
    internal bool IsReader(WaitNode node) => ReferenceEquals(node.List, _waiters.Readers);

    /// <summary>Generation and fd, as registered with the poller.</summary>
    internal ulong Token { get; }

    internal bool IsClosed => _closed;

    /// <summary>
    /// Whether the next stream receive may skip its first attempt and go straight to waiting, saving the system call
    /// that would only return EAGAIN. True after a short receive, as long as no hang-up was reported. Safe whatever
    /// races it loses: a receive that skips its attempt still passes through <see cref="Enlist"/>, which retries at
    /// once if an edge is pending; data that arrived after the short receive produced an edge that is pending or still
    /// to come; and an end of stream or error whose edge was consumed before the short receive is remembered in
    /// <see cref="_hungUp"/>, which turns the hint off for good.
    /// </summary>
    internal bool ReadDrained
    {
        get => _readDrained && !_hungUp;
        set => _readDrained = value;
    }

    /// <summary>Links an armed <paramref name="node"/> as a waiter for <paramref name="read"/> (else write) readiness,
    /// unless an edge is pending or the descriptor is closed.</summary>
    internal Enlistment Enlist(WaitNode node, bool read) => EnlistCore(node, read, rearm: false);

    /// <summary>As <see cref="Enlist"/> for a node whose wait was claimed by readiness but whose retry found no data
    /// again: the same wait (version, timer, cancellation) goes on.</summary>
    internal Enlistment Reenlist(WaitNode node, bool read) => EnlistCore(node, read, rearm: true);

    /// <summary>Called by the poller's sink: claims the waiters of each ready direction, or records the edge.</summary>
    internal void OnReady(bool readable, bool writable, bool hungUp)
    {
        if (hungUp)
        {
            _hungUp = true;
        }

        WaitNode? readers = null;
        WaitNode? writers = null;
        using (_gate.Enter())
        {
            if (readable)
            {
                readers = _waiters.Readers.ClaimAll(WaitOutcome.Signaled);
                _readReady = readers is null;
            }

            if (writable)
            {
                writers = _waiters.Writers.ClaimAll(WaitOutcome.Signaled);
                _writeReady = writers is null;
            }
        }

        WaitNode.DispatchChain(readers);
        WaitNode.DispatchChain(writers);
    }

    /// <summary>Marks the descriptor closed and wakes every waiter (they report EBADF).</summary>
    internal void Close() => DuplexWaitLists.DispatchBoth(MarkClosed());

    /// <summary>Marks the descriptor closed and claims every waiter, for the caller to dispatch (so it can mark the
    /// descriptor closed under a lock that must not be held while waiters are woken). Releases the poller's
    /// registration, which arms nothing more from then on.</summary>
    internal (WaitNode?, WaitNode?) MarkClosed()
    {
        (WaitNode?, WaitNode?) claimed;
        using (_gate.Enter())
        {
            _closed = true;
            claimed = _waiters.ClaimAll(WaitOutcome.Signaled);
        }

        _registration?.Release();
        return claimed;
    }

    void IWaitSource.Detach(WaitNode node)
    {
        using (_gate.Enter())
        {
            _waiters.Remove(node);
        }
    }

    private Enlistment EnlistCore(WaitNode node, bool read, bool rearm)
    {
        using (_gate.Enter())
        {
            if (_closed)
            {
                return Enlistment.Closed;
            }

            ref bool pending = ref read ? ref _readReady : ref _writeReady;
            if (pending)
            {
                pending = false;
                return Enlistment.Ready;
            }

            if (rearm)
            {
                node.Rearm();
            }

            (read ? _waiters.Readers : _waiters.Writers).Append(node);
        }

        // After linking: the request's completion (on any thread) must find the node to claim. Outside the gate: a
        // request that fails at once is reported through OnReady, which takes the gate.
        _registration?.Arm(read);
        return Enlistment.Waiting;
    }
}
