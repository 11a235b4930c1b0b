using Co.Scheduling;
using Co.Waiting;

namespace Co.Net;

/// <summary>
/// The one "attempt → would block → wait for readiness → attempt again" loop, for every blocking-looking socket call:
/// co's Sock calls (synchronous and asynchronous), the libc hook handlers and the managed socket replacements. Each
/// caller supplies its attempt (<see cref="IReadinessAttempt"/>) and converts the <see cref="IoResult"/> at its edge.
/// </summary>
/// <remarks>
/// <para>One decision (<see cref="IsFinal"/>): an attempt that would block is retried after a wait for readiness unless
/// its caller does not wait (a socket the user made non-blocking); anything else ends the call. Two drivers: the
/// synchronous one (<see cref="Run"/>) parks the coroutine's thread in each wait; the asynchronous one starts a wait
/// (<see cref="Begin"/>) whose readiness claim retries on the scheduler's holder (<see cref="TryFinishAfterWake"/>) and
/// re-arms the same wait (deadline, cancellation) until the attempt is final, so an await costs one continuation.</para>
/// <para>Readiness is edge-triggered (see <see cref="PollDescriptor"/>): an edge that arrives between the attempt's
/// EAGAIN and the wait's registration is kept as pending and the wait returns at once, so no edge is lost.</para>
/// </remarks>
internal static class ReadinessLoop
{
    /// <summary>Whether <paramref name="result"/> ends the call, or the caller waits for readiness and attempts again.</summary>
    internal static bool IsFinal<TAttempt>(ref TAttempt attempt, IoResult result)
        where TAttempt : IReadinessAttempt, allows ref struct =>
        result.Status != IoStatus.WouldBlock || !attempt.WaitsWhenBlocked();

    /// <summary>
    /// The synchronous loop, from the result of a first attempt (<paramref name="first"/>: the caller's own attempt,
    /// or <see cref="IoResult.WouldBlock"/> to start with a wait): parks the calling coroutine until <paramref name="fd"/>
    /// is ready for <paramref name="read"/> (else write) between attempts. Ends with the final attempt's result, or the
    /// wait's TimedOut, Closed or Failed (the descriptor cannot be polled). Callers that cannot vouch that every close
    /// of the descriptor went through the runtime pass <paramref name="verifyRegistration"/>.
    /// </summary>
    internal static IoResult Run<TAttempt>(int fd, bool read, ref TAttempt attempt, IoResult first, bool verifyRegistration = false)
        where TAttempt : IReadinessAttempt, allows ref struct
    {
        IoResult result = first;
        while (!IsFinal(ref attempt, result))
        {
            // The worker is read only here, so a call that never waits pays nothing for the loop.
            IoResult wait = IoWaits.WaitReady(Worker.Current!, fd, read, attempt.Deadline(), verifyRegistration);
            if (!wait.IsDone)
            {
                return wait;
            }

            result = attempt.Attempt();
        }

        return result;
    }

    /// <summary>
    /// The asynchronous loop's start, after the caller's first attempt gave <paramref name="first"/>: a final result is
    /// returned as is (<paramref name="node"/> null); otherwise a wait for readiness starts, on behalf of
    /// <paramref name="owner"/>, whose node (to await) retries <paramref name="operation"/> when woken. Returns
    /// <see cref="IoResult.WouldBlock"/> with the node, or the failure to register the descriptor.
    /// </summary>
    internal static IoResult Begin(
        Worker worker,
        CoroutineBase owner,
        int fd,
        bool read,
        IoResult first,
        IoOperation.OperationKind operation,
        Memory<byte> buffer,
        int done,
        int timeoutMs,
        CancellationToken cancellationToken,
        out AsyncWaitNode? node)
    {
        // co's asynchronous calls always wait when an attempt would block: IsFinal with WaitsWhenBlocked() true.
        if (first.Status != IoStatus.WouldBlock)
        {
            node = null;
            return first;
        }

        node = IoWaits.BeginWait(worker, owner, fd, read, operation, buffer, done, timeoutMs, cancellationToken, out IoResult failure);
        return node is null ? failure : first;
    }

    /// <summary>
    /// The asynchronous loop's step after a readiness claim of <paramref name="node"/>, on the holder: attempts until
    /// final (true, <paramref name="result"/> set) or until the attempt would block and the node is re-armed for the next
    /// edge (false). A descriptor closed through the runtime ends it as <see cref="IoResult.Closed"/>.
    /// </summary>
    internal static bool TryFinishAfterWake<TAttempt>(ref TAttempt attempt, PollDescriptor descriptor, AsyncWaitNode node, bool read, out IoResult result)
        where TAttempt : IReadinessAttempt, allows ref struct
    {
        while (true)
        {
            if (descriptor.IsClosed)
            {
                result = IoResult.Closed;
                return true;
            }

            result = attempt.Attempt();
            if (IsFinal(ref attempt, result))
            {
                return true;
            }

            switch (descriptor.Reenlist(node, read))
            {
                case PollDescriptor.Enlistment.Waiting:
                    return false;
                case PollDescriptor.Enlistment.Closed:
                    result = IoResult.Closed;
                    return true;
            }
        }
    }
}
