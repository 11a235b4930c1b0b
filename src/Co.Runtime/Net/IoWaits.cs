using Co.Scheduling;
using Co.Waiting;

namespace Co.Net;

/// <summary>Waiting for socket readiness, the waits of <see cref="ReadinessLoop"/> and <see cref="IoEvent"/>. Both
/// forms register the descriptor on first use and never again (see <see cref="PollDescriptorTable"/>).</summary>
internal static class IoWaits
{
    /// <summary>
    /// Parks the calling coroutine's thread until <paramref name="fd"/> is ready for <paramref name="read"/> (else
    /// write), or <paramref name="deadline"/> passes. Returns Done when the caller should attempt again, TimedOut,
    /// Closed (closed through the runtime while waiting), or Failed with why the descriptor cannot be polled. Callers
    /// that cannot vouch that every close of the descriptor went through Sock.Close pass
    /// <paramref name="verifyRegistration"/>.
    /// </summary>
    internal static IoResult WaitReady(Worker worker, int fd, bool read, long deadline, bool verifyRegistration = false)
    {
        PollDescriptor? descriptor = verifyRegistration
            ? PollDescriptorTable.Instance.GetOrRegisterVerified(fd, worker.Scheduler, out int error)
            : PollDescriptorTable.Instance.GetOrRegister(fd, worker.Scheduler, out error);
        if (descriptor is null)
        {
            return IoResult.Failed(error);
        }

        WaitNode node = Waits.SyncNode(worker);
        node.Arm(descriptor);
        switch (descriptor.Enlist(node, read))
        {
            case PollDescriptor.Enlistment.Ready:
                return IoResult.Done(0);
            case PollDescriptor.Enlistment.Closed:
                return IoResult.Closed;
        }

        // A zero (or spent) timeout still consumed a pending edge above; now Block times out at once.
        if (Waits.Block(node, Clock.MsUntil(deadline)) == WaitOutcome.TimedOut)
        {
            return IoResult.TimedOut;
        }

        return descriptor.IsClosed ? IoResult.Closed : IoResult.Done(0);
    }

    /// <summary>
    /// Starts an asynchronous wait for readiness of <paramref name="fd"/> on behalf of <paramref name="owner"/>; when
    /// ready, <paramref name="operation"/> is retried on the holder before the awaiter resumes (the node's kept
    /// <see cref="IoOperation"/>, see <see cref="ReadinessLoop.TryFinishAfterWake"/>). Returns the node to await, or
    /// null with <paramref name="failure"/> when the descriptor cannot be polled. A zero timeout still takes a pending
    /// edge; without one the wait times out at the next timer check.
    /// </summary>
    internal static AsyncWaitNode? BeginWait(
        Worker worker,
        CoroutineBase owner,
        int fd,
        bool read,
        IoOperation.OperationKind operation,
        Memory<byte> buffer,
        int done,
        int timeoutMs,
        CancellationToken cancellationToken,
        out IoResult failure)
    {
        PollDescriptor? descriptor = PollDescriptorTable.Instance.GetOrRegister(fd, worker.Scheduler, out int error);
        if (descriptor is null)
        {
            failure = IoResult.Failed(error);
            return null;
        }

        failure = default;
        AsyncWaitNode node = worker.Scheduler.RentAsyncNode(owner);
        node.ArmAsync(descriptor);
        PollDescriptor.Enlistment enlistment = descriptor.Enlist(node, read);
        IoOperation io = IoOperation.KeptBy(node);
        io.Start(operation, read, descriptor, buffer, done);
        node.StartExtension(io);
        node.StartLimits(timeoutMs, cancellationToken);
        if (enlistment != PollDescriptor.Enlistment.Waiting)
        {
            // A pending edge (or the close): complete the wait ourselves; its retry runs on the holder like any other.
            node.Complete(WaitOutcome.Signaled);
        }

        return node;
    }
}
