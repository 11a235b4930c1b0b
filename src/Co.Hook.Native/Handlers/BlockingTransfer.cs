using System.Runtime.InteropServices;
using Co.Net;
using Co.Scheduling;

namespace Co.Hook.Handlers;

/// <summary>
/// The common body of the data-transfer handlers (recv/send families, read/write, readv/writev): a call that would
/// block becomes non-blocking attempts (MSG_DONTWAIT) separated by waits on the runtime's poller — the runtime's
/// <see cref="ReadinessLoop"/>, with errno as the edge's convention — so only the coroutine waits; every other call goes
/// to the original as is. Generic over the call so each handler's arguments travel in a struct, without allocation.
/// </summary>
internal static class BlockingTransfer
{
    /// <summary>MSG_DONTWAIT: this one call does not block.</summary>
    public const int MsgDontwait = 0x40;

    /// <summary>MSG_WAITALL: a receive that promises the whole buffer.</summary>
    public const int MsgWaitall = 0x100;

    /// <summary>
    /// Runs <paramref name="call"/> for a caller who may block: the original as is when the caller asked for
    /// MSG_DONTWAIT or MSG_WAITALL (a non-blocking attempt could return less than the blocking receive promises; such a
    /// receive still blocks its thread — see docs/HOOKS.md); otherwise attempts alternating with waits until one is
    /// final.
    /// </summary>
    public static nint Run<TCall>(int fd, int flags, bool read, TCall call)
        where TCall : struct, IHookedCall
    {
        using BlockingCall.Scope scope = BlockingCall.Enter();
        if (!Attemptable(fd, flags))
        {
            return call.Invoke(0, 0);
        }

        var attempt = new DivertedAttempt<TCall>(fd, flags, read, call);
        IoResult result = ReadinessLoop.Run(fd, read, ref attempt, attempt.Attempt(), verifyRegistration: true);
        return result.IsDone ? (nint)result.Value : BlockingCall.FailWith(result);
    }

    /// <summary>
    /// As <see cref="Run"/> for a send of <paramref name="length"/> bytes that, like a blocking send or write, sends the
    /// whole buffer — continuing after a partial send once the socket is writable again — unless an error comes first,
    /// in which case what was sent is reported (and errno is kept for a later call to see, as the kernel does).
    /// </summary>
    public static nint SendFully<TCall>(int fd, int flags, nint length, TCall call)
        where TCall : struct, IHookedCall
    {
        using BlockingCall.Scope scope = BlockingCall.Enter();
        if (!Attemptable(fd, flags))
        {
            return call.Invoke(0, 0);
        }

        var attempt = new FullSendAttempt<TCall>(fd, flags, length, call);
        IoResult result = ReadinessLoop.Run(fd, read: false, ref attempt, attempt.Attempt(), verifyRegistration: true);
        if (result.IsDone)
        {
            return (nint)result.Value;
        }

        nint failed = BlockingCall.FailWith(result);
        return attempt.Sent > 0 ? attempt.Sent : failed;
    }

    /// <summary>Whether the call is diverted at all (see <see cref="Run"/>).</summary>
    private static bool Attemptable(int fd, int flags) => (flags & (MsgDontwait | MsgWaitall)) == 0 && fd >= 0;

    /// <summary>A failed attempt, from the errno the original left: would block, or failed with it (kept exactly, and
    /// set again at the edge, whatever ran in between).</summary>
    private static IoResult Failure() => IoResult.FromError(Marshal.GetLastSystemError());

    /// <summary>One MSG_DONTWAIT attempt of the caller's call. On a socket the caller made non-blocking, EAGAIN is
    /// final, exactly as the caller's own call would have returned; on one it left blocking, the loop waits for
    /// readiness (within SO_RCVTIMEO/SO_SNDTIMEO) and attempts again.</summary>
    private struct DivertedAttempt<TCall>(int fd, int flags, bool read, TCall call) : IReadinessAttempt
        where TCall : struct, IHookedCall
    {
        private long _deadline;

        public IoResult Attempt()
        {
            nint result = call.Invoke(MsgDontwait, 0);
            return result >= 0 ? IoResult.Done(result) : Failure();
        }

        public readonly bool WaitsWhenBlocked() => BlockingCall.WouldBlock(fd, flags);

        public long Deadline() => BlockingCall.SocketDeadline(fd, read, ref _deadline);
    }

    /// <summary>MSG_DONTWAIT attempts of a send that goes on after partial sends (<see cref="SendFully"/>): one that
    /// sent part of the buffer continues at once while the socket is known to be blocking, and ends with what was sent
    /// on a socket the caller made non-blocking (the fcntl is paid once, only after a partial send or EAGAIN).</summary>
    private struct FullSendAttempt<TCall>(int fd, int flags, nint length, TCall call) : IReadinessAttempt
        where TCall : struct, IHookedCall
    {
        private long _deadline;
        private bool _blocking;

        /// <summary>The bytes sent so far.</summary>
        public nint Sent { get; private set; }

        public IoResult Attempt()
        {
            while (true)
            {
                nint result = call.Invoke(MsgDontwait, Sent);
                if (result < 0)
                {
                    return Failure();
                }

                Sent += result;
                if (Sent == length || !(_blocking || (_blocking = BlockingCall.WouldBlock(fd, flags))))
                {
                    return IoResult.Done(Sent);
                }
            }
        }

        public bool WaitsWhenBlocked()
        {
            bool waits = BlockingCall.WouldBlock(fd, flags);
            _blocking |= waits;
            return waits;
        }

        public long Deadline() => BlockingCall.SocketDeadline(fd, read: false, ref _deadline);
    }
}

/// <summary>One call of a hooked function: with extra flags (MSG_DONTWAIT) or'd into its own, and for sends continued
/// after <c>offset</c> bytes already sent.</summary>
internal interface IHookedCall
{
    /// <summary>Makes the call once. <paramref name="extraFlags"/> 0 means "as the caller made it".</summary>
    nint Invoke(int extraFlags, nint offset);
}
