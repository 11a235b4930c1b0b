using System.Runtime.InteropServices;
using Co.Platform.Linux;

namespace Co.Hook.Handlers;

/// <summary>
/// The common body of the data-transfer handlers (recv/send families, read/write, readv/writev): a call that would
/// block becomes non-blocking attempts (MSG_DONTWAIT) separated by waits on the runtime's poller, so only the coroutine
/// waits; every other call goes to the original as is. Generic over the call so each handler's arguments travel in a
/// struct, without allocation.
/// </summary>
internal static class Diversion
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

        long deadline = 0;
        while (true)
        {
            nint result = call.Invoke(MsgDontwait, 0);
            if (Finished(result, fd, flags, read, ref deadline))
            {
                return result;
            }
        }
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

        long deadline = 0;
        nint sent = 0;
        bool blocking = false;
        while (true)
        {
            nint result = call.Invoke(MsgDontwait, sent);
            if (result >= 0)
            {
                sent += result;
                if (sent == length || !(blocking || (blocking = BlockingCall.WouldBlock(fd, flags))))
                {
                    return sent;
                }

                continue;
            }

            if (Finished(result, fd, flags, read: false, ref deadline))
            {
                return sent > 0 ? sent : result;
            }

            blocking = true;
        }
    }

    /// <summary>Whether the call is diverted at all (see <see cref="Run"/>).</summary>
    private static bool Attemptable(int fd, int flags) => (flags & (MsgDontwait | MsgWaitall)) == 0 && fd >= 0;

    /// <summary>True when <paramref name="result"/> is final (errno left as the original set it, or the wait's error);
    /// false when the attempt met EAGAIN on a socket the caller left blocking and readiness came: retry. On a socket
    /// the caller made non-blocking, EAGAIN is final, exactly as the caller's own call would have returned.</summary>
    private static bool Finished(nint result, int fd, int flags, bool read, ref long deadline)
    {
        if (result >= 0)
        {
            return true;
        }

        int errno = Marshal.GetLastSystemError();
        if (errno != Errno.EAGAIN || !BlockingCall.WouldBlock(fd, flags))
        {
            Marshal.SetLastSystemError(errno);
            return true;
        }

        int wait = BlockingCall.WaitReady(fd, read, ref deadline);
        if (wait != 0)
        {
            Marshal.SetLastSystemError(wait);
            return true;
        }

        return false;
    }
}

/// <summary>One call of a hooked function: with extra flags (MSG_DONTWAIT) or'd into its own, and for sends continued
/// after <c>offset</c> bytes already sent.</summary>
internal interface IHookedCall
{
    /// <summary>Makes the call once. <paramref name="extraFlags"/> 0 means "as the caller made it".</summary>
    nint Invoke(int extraFlags, nint offset);
}
