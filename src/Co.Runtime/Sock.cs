using System.Net.Sockets;
using System.Runtime.InteropServices;
using Co.Net;
using Co.Platform;
using Co.Scheduling;
using Co.Waiting;

namespace Co;

/// <summary>
/// co's coroutineized socket API (<c>co::socket</c>, <c>co::recv</c>, ...), one function for each, in .NET casing.
/// </summary>
/// <remarks>
/// <para>Results follow co: -1 on error or timeout with the error code in <see cref="Error"/> (errno values on Linux,
/// Winsock's WSA codes on Windows: docs/API.md lists both),
/// <see cref="Coroutine.TimedOut"/> true after a timeout; <c>Recv</c> returns 0 when the peer closed. I/O failures are
/// never exceptions; misuse is (a waiting call outside a coroutine, bad arguments).</para>
/// <para>"Blocking" calls suspend the calling coroutine, not its scheduler: sockets are non-blocking underneath, and a
/// call that would block waits for readiness on the scheduler's poller. Sync forms are for sync coroutines (and for
/// synchronous code inside async ones, which then parks that thread); async forms, returning <see cref="ValueTask"/>,
/// are for async coroutines. Timeouts are in milliseconds, -1 for none, and cover the whole call.</para>
/// <para>Descriptors are <see cref="nint"/>: a Linux file descriptor or a Windows SOCKET. Close sockets that coroutines
/// wait on with <see cref="Close"/>: it releases the poller registration and wakes any waiter with EBADF (Windows:
/// WSAENOTSOCK). On Windows, sockets given to these calls must be non-blocking, as <see cref="Socket"/> and
/// <see cref="Accept(nint)"/> make them (Winsock has no per-call "don't wait" flag; <see cref="SetNonblock"/> makes
/// another socket so).</para>
/// </remarks>
public static partial class Sock
{
    [ThreadStatic]
    private static int t_lastError;

    /// <summary>Creates a socket exactly as the native call does (the platform's numbers: AF_INET6 is 10 on Linux and
    /// 23 on Windows), but non-blocking and not inherited by child processes (close-on-exec).</summary>
    /// <returns>The descriptor, or -1 (see <see cref="Error"/>).</returns>
    public static nint Socket(int domain, int type, int protocol)
    {
        int error = CurrentPlatform.Sockets.Socket(domain, type, protocol, out int fd);
        if (error != 0)
        {
            return FailAnywhere(error);
        }

        PollDescriptorTable.Instance.ForgetStale(fd);
        return fd;
    }

    /// <summary>Creates a non-blocking TCP socket.</summary>
    /// <param name="family"><see cref="AddressFamily.InterNetwork"/> or <see cref="AddressFamily.InterNetworkV6"/>.</param>
    /// <exception cref="ArgumentOutOfRangeException">Another address family.</exception>
    public static nint TcpSocket(AddressFamily family = AddressFamily.InterNetwork) =>
        Socket(NativeFamily(family), StreamType, 0);

    /// <summary>Creates a non-blocking UDP socket.</summary>
    /// <param name="family"><see cref="AddressFamily.InterNetwork"/> or <see cref="AddressFamily.InterNetworkV6"/>.</param>
    /// <exception cref="ArgumentOutOfRangeException">Another address family.</exception>
    public static nint UdpSocket(AddressFamily family = AddressFamily.InterNetwork) =>
        Socket(NativeFamily(family), DatagramType, 0);

    /// <summary>Binds <paramref name="fd"/> to <paramref name="address"/>.</summary>
    /// <returns>0, or -1 (see <see cref="Error"/>).</returns>
    /// <exception cref="ArgumentNullException"><paramref name="address"/> is null.</exception>
    public static int Bind(nint fd, System.Net.IPEndPoint address)
    {
        ArgumentNullException.ThrowIfNull(address);
        if (!ToInt(fd, out int descriptor))
        {
            return FailAnywhere(SocketCodes.BadDescriptor);
        }

        Span<byte> sockaddr = stackalloc byte[SocketAddressCodec.MaxLength];
        int length = SocketAddressCodec.Write(address, sockaddr);
        return Outcome(CurrentPlatform.Sockets.Bind(descriptor, sockaddr[..length]));
    }

    /// <summary>Listens on <paramref name="fd"/>.</summary>
    /// <returns>0, or -1 (see <see cref="Error"/>).</returns>
    public static int Listen(nint fd, int backlog = 1024)
    {
        if (!ToInt(fd, out int descriptor))
        {
            return FailAnywhere(SocketCodes.BadDescriptor);
        }

        return Outcome(CurrentPlatform.Sockets.Listen(descriptor, backlog));
    }

    /// <summary>Closes the socket. With <paramref name="ms"/> &gt; 0, first sleeps that long (co's delayed close).
    /// Coroutines still waiting on the socket wake with -1 and EBADF (Windows: WSAENOTSOCK). EINTR is handled: the
    /// descriptor is closed.</summary>
    /// <returns>0, or -1 (see <see cref="Error"/>).</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="ms"/> is negative.</exception>
    public static int Close(nint fd, int ms = 0)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(ms);
        if (ms > 0)
        {
            Coroutine.Sleep(ms);
        }

        if (!ToInt(fd, out int descriptor))
        {
            return FailAnywhere(SocketCodes.BadDescriptor);
        }

        return PollDescriptorTable.Instance.ForgetAndClose(descriptor, static fd => CurrentPlatform.Sockets.Close(fd), out int error) == 0
            ? 0
            : FailAnywhere(error);
    }

    /// <summary>Shuts down part of a connection: <c>'r'</c> reading, <c>'w'</c> writing, <c>'b'</c> both (co's default).</summary>
    /// <returns>0, or -1 (see <see cref="Error"/>).</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="how"/> is not 'r', 'w' or 'b'.</exception>
    public static int Shutdown(nint fd, char how = 'b')
    {
        int mode = how switch
        {
            'r' => 0,
            'w' => 1,
            'b' => 2,
            _ => throw new ArgumentOutOfRangeException(nameof(how), how, "Use 'r' (read), 'w' (write) or 'b' (both)."),
        };
        if (!ToInt(fd, out int descriptor))
        {
            return FailAnywhere(SocketCodes.BadDescriptor);
        }

        return Outcome(CurrentPlatform.Sockets.Shutdown(descriptor, mode));
    }

    /// <summary>The last error code of the current coroutine (or, outside coroutines, thread): co's <c>error()</c>.</summary>
    public static int Error() => Worker.Current?.Running is { } coroutine ? coroutine.LastError : t_lastError;

    /// <summary>Sets the current error code (co's <c>set_last_error</c>).</summary>
    public static void SetLastError(int error)
    {
        if (Worker.Current?.Running is { } coroutine)
        {
            coroutine.LastError = error;
        }
        else
        {
            t_lastError = error;
        }
    }

    /// <summary>The message of error code <paramref name="error"/> (co's <c>strerror</c>): strerror's text on Linux,
    /// the system's message for a WSA code on Windows; thread-safe.</summary>
    public static string StrError(int error) => Marshal.GetPInvokeErrorMessage(error);

    /// <summary>The message of the current error code: <c>StrError(Error())</c>.</summary>
    public static string StrError() => StrError(Error());

    /// <summary>The current coroutine's worker, checking that a waiting call runs in a coroutine and its timeout is valid.</summary>
    internal static Worker RequireCoroutineWorker(string member, int ms, out CoroutineBase coroutine)
    {
        coroutine = Coroutine.RequireCoroutine("Sock." + member);
        Waits.ValidateTimeout(ms, nameof(ms));
        return Worker.Current!;
    }

    internal static long DeadlineOf(int ms) => ms < 0 ? long.MaxValue : Clock.DeadlineAfter(ms);

    /// <summary>Narrows a descriptor; false for values no descriptor can have (negative, such as INVALID_SOCKET, or
    /// beyond 32 bits, which neither a Linux descriptor nor a Windows handle reaches).</summary>
    internal static bool ToInt(nint fd, out int descriptor)
    {
        descriptor = (int)fd;
        return fd >= 0 && fd <= int.MaxValue;
    }

    /// <summary>Records a successful I/O call on <paramref name="coroutine"/> (clears co::timeout) and returns its value.</summary>
    internal static T Succeed<T>(CoroutineBase coroutine, T value)
    {
        coroutine.TimedOut = false;
        return value;
    }

    /// <summary>Records a failed I/O call on <paramref name="coroutine"/> and returns -1.</summary>
    internal static int Fail(CoroutineBase coroutine, int error)
    {
        coroutine.LastError = error;
        coroutine.TimedOut = error == SocketCodes.TimedOut;
        return -1;
    }

    /// <summary>The edge of <see cref="ReadinessLoop"/> for co's calls: records <paramref name="result"/> on
    /// <paramref name="coroutine"/> and returns its value, or -1 with errno (ETIMEDOUT for a passed deadline).</summary>
    internal static int Finish(CoroutineBase coroutine, IoResult result) =>
        result.IsDone ? Succeed(coroutine, (int)result.Value) : FailWith(coroutine, result);

    /// <summary>As <see cref="Fail"/> for a result that is not done.</summary>
    internal static int FailWith(CoroutineBase coroutine, IoResult result) => Fail(coroutine, result.ErrorCode(timedOut: SocketCodes.TimedOut));

    /// <summary>0 for a platform call that returned 0, else records its error as <see cref="FailAnywhere"/> does.</summary>
    private static int Outcome(int error) => error == 0 ? 0 : FailAnywhere(error);

    /// <summary>Records a failure of a call that may run anywhere (coroutine or plain thread) and returns -1.</summary>
    private static int FailAnywhere(int error)
    {
        SetLastError(error);
        return -1;
    }

    /// <summary>SOCK_STREAM and SOCK_DGRAM: the same numbers on Linux and Windows.</summary>
    private const int StreamType = 1;
    private const int DatagramType = 2;

    private static int NativeFamily(AddressFamily family) => family switch
    {
        AddressFamily.InterNetwork => SocketCodes.InterNetwork,
        AddressFamily.InterNetworkV6 => SocketCodes.InterNetworkV6,
        _ => throw new ArgumentOutOfRangeException(nameof(family), family, "Use InterNetwork or InterNetworkV6."),
    };
}
