using System.Diagnostics;
using System.Runtime.InteropServices;

namespace Co.Platform.Windows;

/// <summary>
/// One socket's registration with an <see cref="IocpPoller"/>: two AFD poll requests (<see cref="AfdPoll.Request"/>),
/// one per direction, each outstanding at most once.
/// </summary>
/// <remarks>
/// <para>State (<see cref="_state"/>, changed by compare-and-swap from any thread): per direction <b>idle</b> or
/// <b>armed</b> (a request is outstanding), and once <b>released</b> (the descriptor was forgotten). Transitions:
/// <list type="bullet">
/// <item>idle → armed: <see cref="Arm"/>, by the waiter that finds the direction idle; it then issues the request.</item>
/// <item>armed → idle: <see cref="Complete"/>, when the request's completion packet is dequeued, before the readiness
/// is delivered — so a waiter that links itself after the delivery finds the direction idle and arms it again; or at
/// once when issuing fails (no packet will come).</item>
/// <item>→ released: <see cref="Release"/>; nothing is armed from then on.</item>
/// </list>
/// The native block is freed by whichever transition reaches "released with nothing armed" — the release, or the last
/// outstanding request's completion (closing the socket completes its requests with AFD's local-close event) — and by
/// that one only. A poller that is disposed with requests outstanding leaves their blocks: the driver may still write
/// to them.</para>
/// </remarks>
internal sealed unsafe class AfdPollRegistration : IPollRegistration
{
    private const int ReadArmed = 1;
    private const int WriteArmed = 2;
    private const int Released = 4;

    private readonly IocpPoller _poller;
    private readonly nint _socket;

    /// <summary>The two requests (read, then write), in native memory owned by this registration until freed.</summary>
    private readonly AfdPoll.Request* _requests;

    /// <summary>Keeps this object reachable from the requests (their <see cref="AfdPoll.Request.Owner"/>) until freed.</summary>
    private GCHandle _self;

    private int _state;

    internal AfdPollRegistration(IocpPoller poller, nint socket, ulong token)
    {
        _poller = poller;
        _socket = socket;
        Token = token;
        _self = GCHandle.Alloc(this);
        _requests = (AfdPoll.Request*)NativeMemory.AllocZeroed(2, (nuint)sizeof(AfdPoll.Request));
        for (int i = 0; i < 2; i++)
        {
            _requests[i].Owner = GCHandle.ToIntPtr(_self);
            _requests[i].IsRead = i == 0 ? 1 : 0;
        }
    }

    /// <summary>The token its readiness is reported with.</summary>
    internal ulong Token { get; }

    public void Arm(bool read)
    {
        int bit = read ? ReadArmed : WriteArmed;
        int state = Volatile.Read(ref _state);
        while ((state & (bit | Released)) == 0)
        {
            int seen = Interlocked.CompareExchange(ref _state, state | bit, state);
            if (seen == state)
            {
                Issue(read);
                return;
            }

            state = seen;
        }
    }

    public void Release()
    {
        int state = Volatile.Read(ref _state);
        while (true)
        {
            Debug.Assert((state & Released) == 0, "a registration is released once, by its descriptor's close");
            int seen = Interlocked.CompareExchange(ref _state, state | Released, state);
            if (seen == state)
            {
                break;
            }

            state = seen;
        }

        if (state == 0)
        {
            Free();
        }
    }

    /// <summary>
    /// The registration and direction of a dequeued request, whose direction turns idle; frees the block if the
    /// registration was released and this was its last outstanding request (its <see cref="Token"/> is still
    /// reported: a released registration's token is stale and the sink drops it).
    /// </summary>
    internal static AfdPollRegistration Complete(AfdPoll.Request* request, out bool read, out uint events)
    {
        var registration = (AfdPollRegistration)GCHandle.FromIntPtr(request->Owner).Target!;
        read = request->IsRead != 0;
        // The status is an NTSTATUS in the low half of the IO_STATUS_BLOCK's pointer-sized union: negative on failure
        // (the request cancelled, say), when the socket's state is unknown and its waiters must retry to learn it.
        events = (int)request->Status >= 0 && request->HandleCount == 1 ? request->Events : AfdPoll.HangUpEvents;
        registration.Disarm(read ? ReadArmed : WriteArmed);
        return registration;
    }

    private void Issue(bool read)
    {
        AfdPoll.Request* request = &_requests[read ? 0 : 1];
        request->Socket = _socket;
        request->Events = read ? AfdPoll.ReadEvents : AfdPoll.WriteEvents;
        int status = AfdPoll.Issue(_poller.Helper, request);
        if (status != 0 && status != AfdPoll.StatusPending)
        {
            // No packet will come (the socket is gone, say): the direction is idle again, and its waiters are told it
            // is ready so that their retry meets the real error.
            ulong token = Token;
            Disarm(read ? ReadArmed : WriteArmed);
            _poller.Deliver(token, read, AfdPoll.HangUpEvents);
        }
    }

    private void Disarm(int bit)
    {
        int state = Volatile.Read(ref _state);
        while (true)
        {
            if ((state & bit) == 0)
            {
                throw new InvalidOperationException("runtime: completion of an AFD poll request that was not armed");
            }

            int seen = Interlocked.CompareExchange(ref _state, state & ~bit, state);
            if (seen == state)
            {
                break;
            }

            state = seen;
        }

        if ((state & ~bit) == Released)
        {
            Free();
        }
    }

    private void Free()
    {
        NativeMemory.Free(_requests);
        _self.Free();
    }
}
