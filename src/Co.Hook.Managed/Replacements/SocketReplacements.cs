using System.Collections;
using System.Net;
using System.Net.Sockets;
using Co.Hook.Handlers;
using Co.Hook.Managed.Engine;
using Co.Scheduling;

namespace Co.Hook.Managed.Replacements;

/// <summary>
/// The replacements of <see cref="Socket"/>'s synchronous funnels — the methods every synchronous overload reaches.
/// In coroutine code, on a socket the caller left blocking but .NET made non-blocking underneath (where the original
/// would wait inside the runtime), each first parks the coroutine until the socket is ready (<see cref="SocketWaits"/>),
/// then calls the original, which completes at once. On a descriptor still blocking underneath the original runs as is:
/// its libc call is the native layer's to divert. Everywhere else it is the original call. A ReceiveTimeout/SendTimeout that passes during the wait gives what .NET gives: SocketError.TimedOut from the
/// overloads that report an error code, a SocketException (TimedOut) from those that throw.
/// </summary>
/// <remarks>Each replacement has the target's parameters with the socket first (the instance argument), so the
/// detour's jump lands here with the caller's registers as they are. The originals are the detours' trampolines, set at
/// install; they are called inside <see cref="JitGuard.EnterOriginal"/> so that an OSR compile of the original's own
/// loop is let through.</remarks>
internal static unsafe partial class SocketReplacements
{
    private const int MaxSelectStepMs = 16;

    [ManagedHook(typeof(Socket), nameof(Socket.Receive))]
    internal static int ReceiveArray(Socket socket, byte[] buffer, int offset, int size, SocketFlags flags, out SocketError errorCode)
    {
        if (buffer is not null && Waited(socket, read: true, ManagedHookId.ReceiveArray) == SocketError.TimedOut)
        {
            errorCode = SocketError.TimedOut;
            return 0;
        }

        using JitGuard.OriginalScope original = JitGuard.EnterOriginal();
        return ReceiveArrayOriginal(socket, buffer!, offset, size, flags, out errorCode);
    }

    [ManagedHook(typeof(Socket), nameof(Socket.Receive))]
    internal static int ReceiveSpan(Socket socket, Span<byte> buffer, SocketFlags flags, out SocketError errorCode)
    {
        if (Waited(socket, read: true, ManagedHookId.ReceiveSpan) == SocketError.TimedOut)
        {
            errorCode = SocketError.TimedOut;
            return 0;
        }

        using JitGuard.OriginalScope original = JitGuard.EnterOriginal();
        return ReceiveSpanOriginal(socket, buffer, flags, out errorCode);
    }

    [ManagedHook(typeof(Socket), nameof(Socket.Receive))]
    internal static int ReceiveList(Socket socket, IList<ArraySegment<byte>> buffers, SocketFlags flags, out SocketError errorCode)
    {
        if (buffers is not null && Waited(socket, read: true, ManagedHookId.ReceiveList) == SocketError.TimedOut)
        {
            errorCode = SocketError.TimedOut;
            return 0;
        }

        using JitGuard.OriginalScope original = JitGuard.EnterOriginal();
        return ReceiveListOriginal(socket, buffers!, flags, out errorCode);
    }

    [ManagedHook(typeof(Socket), nameof(Socket.Send))]
    internal static int SendArray(Socket socket, byte[] buffer, int offset, int size, SocketFlags flags, out SocketError errorCode)
    {
        if (buffer is not null && Waited(socket, read: false, ManagedHookId.SendArray) == SocketError.TimedOut)
        {
            errorCode = SocketError.TimedOut;
            return 0;
        }

        using JitGuard.OriginalScope original = JitGuard.EnterOriginal();
        return SendArrayOriginal(socket, buffer!, offset, size, flags, out errorCode);
    }

    [ManagedHook(typeof(Socket), nameof(Socket.Send))]
    internal static int SendSpan(Socket socket, ReadOnlySpan<byte> buffer, SocketFlags flags, out SocketError errorCode)
    {
        if (Waited(socket, read: false, ManagedHookId.SendSpan) == SocketError.TimedOut)
        {
            errorCode = SocketError.TimedOut;
            return 0;
        }

        using JitGuard.OriginalScope original = JitGuard.EnterOriginal();
        return SendSpanOriginal(socket, buffer, flags, out errorCode);
    }

    [ManagedHook(typeof(Socket), nameof(Socket.Send))]
    internal static int SendList(Socket socket, IList<ArraySegment<byte>> buffers, SocketFlags flags, out SocketError errorCode)
    {
        if (buffers is not null && Waited(socket, read: false, ManagedHookId.SendList) == SocketError.TimedOut)
        {
            errorCode = SocketError.TimedOut;
            return 0;
        }

        using JitGuard.OriginalScope original = JitGuard.EnterOriginal();
        return SendListOriginal(socket, buffers!, flags, out errorCode);
    }

    [ManagedHook(typeof(Socket), nameof(Socket.ReceiveFrom))]
    internal static int ReceiveFromArray(Socket socket, byte[] buffer, int offset, int size, SocketFlags flags, ref EndPoint remoteEP)
    {
        ThrowIfTimedOut(!IsNull(buffer) && !IsNull(remoteEP) ? Waited(socket, read: true, ManagedHookId.ReceiveFromArray) : SocketError.Success);
        using JitGuard.OriginalScope original = JitGuard.EnterOriginal();
        return ReceiveFromArrayOriginal(socket, buffer!, offset, size, flags, ref remoteEP);
    }

    [ManagedHook(typeof(Socket), nameof(Socket.ReceiveFrom))]
    internal static int ReceiveFromSpan(Socket socket, Span<byte> buffer, SocketFlags flags, ref EndPoint remoteEP)
    {
        ThrowIfTimedOut(!IsNull(remoteEP) ? Waited(socket, read: true, ManagedHookId.ReceiveFromSpan) : SocketError.Success);
        using JitGuard.OriginalScope original = JitGuard.EnterOriginal();
        return ReceiveFromSpanOriginal(socket, buffer, flags, ref remoteEP);
    }

    [ManagedHook(typeof(Socket), nameof(Socket.ReceiveFrom))]
    internal static int ReceiveFromAddress(Socket socket, Span<byte> buffer, SocketFlags flags, SocketAddress receivedAddress)
    {
        ThrowIfTimedOut(receivedAddress is not null ? Waited(socket, read: true, ManagedHookId.ReceiveFromAddress) : SocketError.Success);
        using JitGuard.OriginalScope original = JitGuard.EnterOriginal();
        return ReceiveFromAddressOriginal(socket, buffer, flags, receivedAddress!);
    }

    [ManagedHook(typeof(Socket), nameof(Socket.SendTo))]
    internal static int SendToArray(Socket socket, byte[] buffer, int offset, int size, SocketFlags flags, EndPoint remoteEP)
    {
        ThrowIfTimedOut(buffer is not null && remoteEP is not null ? Waited(socket, read: false, ManagedHookId.SendToArray) : SocketError.Success);
        using JitGuard.OriginalScope original = JitGuard.EnterOriginal();
        return SendToArrayOriginal(socket, buffer!, offset, size, flags, remoteEP!);
    }

    [ManagedHook(typeof(Socket), nameof(Socket.SendTo))]
    internal static int SendToSpan(Socket socket, ReadOnlySpan<byte> buffer, SocketFlags flags, EndPoint remoteEP)
    {
        ThrowIfTimedOut(remoteEP is not null ? Waited(socket, read: false, ManagedHookId.SendToSpan) : SocketError.Success);
        using JitGuard.OriginalScope original = JitGuard.EnterOriginal();
        return SendToSpanOriginal(socket, buffer, flags, remoteEP!);
    }

    [ManagedHook(typeof(Socket), nameof(Socket.SendTo))]
    internal static int SendToAddress(Socket socket, ReadOnlySpan<byte> buffer, SocketFlags flags, SocketAddress socketAddress)
    {
        ThrowIfTimedOut(socketAddress is not null ? Waited(socket, read: false, ManagedHookId.SendToAddress) : SocketError.Success);
        using JitGuard.OriginalScope original = JitGuard.EnterOriginal();
        return SendToAddressOriginal(socket, buffer, flags, socketAddress!);
    }

    /// <summary>Accept: a listener .NET made non-blocking underneath would wait inside the runtime; the coroutine
    /// waits for a connection instead (no timeout, as Accept has none), then the original accepts it.</summary>
    [ManagedHook(typeof(Socket), nameof(Socket.Accept))]
    internal static Socket Accept(Socket socket)
    {
        if (SocketWaits.Diverts(socket))
        {
            ManagedDivertCounters.Record(ManagedHookId.Accept);
            if (!SocketWaits.BlockingUnderneath(socket))
            {
                SocketWaits.WaitReady(socket, read: true, timed: false); // else libc's accept4 is diverted below
            }
        }

        using JitGuard.OriginalScope original = JitGuard.EnterOriginal();
        return AcceptOriginal(socket);
    }

    /// <summary>
    /// Connect: on a descriptor that is blocking underneath, the original's libc connect is diverted by the native
    /// layer. One that .NET made non-blocking would wait inside the runtime, so the coroutine runs .NET's own
    /// asynchronous connect and parks until it completes; its exceptions are the synchronous connect's.
    /// </summary>
    [ManagedHook(typeof(Socket), nameof(Socket.Connect))]
    internal static void Connect(Socket socket, EndPoint remoteEP)
    {
        if (remoteEP is not null && SocketWaits.Diverts(socket) && !SocketWaits.BlockingUnderneath(socket))
        {
            ManagedDivertCounters.Record(ManagedHookId.Connect);
            Task connecting = socket.ConnectAsync(remoteEP);
            ForeignWait.UntilDone(connecting);
            connecting.GetAwaiter().GetResult();
            return;
        }

        using JitGuard.OriginalScope original = JitGuard.EnterOriginal();
        ConnectOriginal(socket, remoteEP!);
    }

    /// <summary>Poll: the original with a zero timeout decides; while it says no, the coroutine waits on the poller
    /// (read and write modes) or re-checks after short sleeps (error mode) until the timeout.</summary>
    [ManagedHook(typeof(Socket), nameof(Socket.Poll))]
    internal static bool Poll(Socket socket, int microSeconds, SelectMode mode)
    {
        if (microSeconds == 0 || !BlockingCall.CanDivert())
        {
            using JitGuard.OriginalScope original = JitGuard.EnterOriginal();
            return PollOriginal(socket, microSeconds, mode);
        }

        ManagedDivertCounters.Record(ManagedHookId.Poll);
        long deadline = microSeconds < 0 ? long.MaxValue : Clock.DeadlineAfter((int)Math.Min(((long)microSeconds + 999) / 1000, int.MaxValue));
        for (int step = 1; ; step = Math.Min(step * 2, MaxSelectStepMs))
        {
            using (JitGuard.EnterOriginal())
            {
                if (PollOriginal(socket, 0, mode))
                {
                    return true;
                }
            }

            int remaining = Clock.MsUntil(deadline);
            if (remaining == 0)
            {
                return false;
            }

            if (mode is SelectMode.SelectRead or SelectMode.SelectWrite)
            {
                SocketWaits.WaitReady(socket, mode == SelectMode.SelectRead, deadline);
            }
            else
            {
                Coroutine.Sleep(remaining < 0 ? step : Math.Min(step, remaining));
            }
        }
    }

    /// <summary>Select: the original with a zero timeout on copies of the lists decides; while nothing is ready the
    /// coroutine re-checks after sleeps of 1, 2, 4 … 16 ms until the timeout, when the lists are left empty as .NET
    /// leaves them.</summary>
    [ManagedHook(typeof(Socket), nameof(Socket.Select), Static = true)]
    internal static void Select(IList? checkRead, IList? checkWrite, IList? checkError, int microSeconds)
    {
        if (microSeconds == 0 || microSeconds < -1 || !BlockingCall.CanDivert())
        {
            using JitGuard.OriginalScope original = JitGuard.EnterOriginal();
            SelectOriginal(checkRead, checkWrite, checkError, microSeconds);
            return;
        }

        ManagedDivertCounters.Record(ManagedHookId.Select);
        object?[]? read = Copy(checkRead);
        object?[]? write = Copy(checkWrite);
        object?[]? error = Copy(checkError);
        long deadline = microSeconds < 0 ? long.MaxValue : Clock.DeadlineAfter((int)Math.Min(((long)microSeconds + 999) / 1000, int.MaxValue));
        for (int step = 1; ; step = Math.Min(step * 2, MaxSelectStepMs))
        {
            Restore(checkRead, read);
            Restore(checkWrite, write);
            Restore(checkError, error);
            using (JitGuard.EnterOriginal())
            {
                SelectOriginal(checkRead, checkWrite, checkError, 0);
            }

            int remaining = Clock.MsUntil(deadline);
            if (checkRead?.Count > 0 || checkWrite?.Count > 0 || checkError?.Count > 0 || remaining == 0)
            {
                return;
            }

            Coroutine.Sleep(remaining < 0 ? step : Math.Min(step, remaining));
        }
    }

    /// <summary>Waits, for a diverted call, until the socket is ready; TimedOut if its timeout passed first.</summary>
    /// <remarks>On a descriptor that is blocking underneath the original's libc call is diverted by the native layer
    /// (one attempt, then the poller): waiting here first would only add a poll to every call.</remarks>
    private static SocketError Waited(Socket socket, bool read, ManagedHookId hook)
    {
        if (!SocketWaits.Diverts(socket))
        {
            return SocketError.Success;
        }

        ManagedDivertCounters.Record(hook);
        return SocketWaits.BlockingUnderneath(socket) ? SocketError.Success : SocketWaits.WaitReady(socket, read, timed: true);
    }

    /// <summary>A null test that leaves the compiler's view of the argument alone (it is passed on by reference).</summary>
    private static bool IsNull(object? value) => value is null;

    private static void ThrowIfTimedOut(SocketError error)
    {
        if (error == SocketError.TimedOut)
        {
            throw new SocketException((int)SocketError.TimedOut);
        }
    }

    private static object?[]? Copy(IList? list)
    {
        if (list is null)
        {
            return null;
        }

        var copy = new object?[list.Count];
        list.CopyTo(copy, 0);
        return copy;
    }

    private static void Restore(IList? list, object?[]? copy)
    {
        if (list is null || copy is null)
        {
            return;
        }

        list.Clear();
        foreach (object? item in copy)
        {
            list.Add(item);
        }
    }
}
