using System.Collections.ObjectModel;
using System.Runtime.InteropServices;
using Co.Hook;
using Co.Hook.Gates;
using Co.Hook.Handlers;

namespace Co;

/// <summary>
/// The hook layer's entry point: <see cref="Enable"/> detours the libc calls through which blocking socket code —
/// managed (<c>System.Net.Sockets.Socket</c>'s synchronous methods) or native (a C library called through P/Invoke) —
/// would block a scheduler thread, so that inside a coroutine only the coroutine waits. Outside coroutines every call
/// behaves exactly as libc's own.
/// </summary>
/// <remarks>
/// Hooked so far: recvmsg, recv, recvfrom, sendmsg, send, sendto, accept4, connect, poll, getaddrinfo (run on the thread
/// pool while the coroutine parks); and sleep, usleep, nanosleep, clock_nanosleep when called from outside the
/// runtime's own modules. Enable before sockets are in use. A function
/// whose detour cannot be installed safely stays unhooked; <see cref="Status"/> says which and why.
/// </remarks>
public static unsafe class Hooks
{
    private static readonly Lock s_lock = new();
    private static readonly Dictionary<string, string> s_status = [];
    private static readonly List<NativeDetour> s_detours = [];

    /// <summary>Whether <see cref="Enable"/> has run.</summary>
    public static bool IsEnabled { get; private set; }

    /// <summary>Each hookable function and its state: "hooked", or why it is not.</summary>
    public static IReadOnlyDictionary<string, string> Status
    {
        get
        {
            lock (s_lock)
            {
                return new ReadOnlyDictionary<string, string>(new Dictionary<string, string>(s_status));
            }
        }
    }

    /// <summary>Installs the hooks. Idempotent and thread-safe; never throws for a hook it cannot install (see
    /// <see cref="Status"/>).</summary>
    public static void Enable()
    {
        lock (s_lock)
        {
            if (IsEnabled)
            {
                return;
            }

            IsEnabled = true;
            if (!RuntimeInformation.IsOSPlatform(OSPlatform.Linux) || RuntimeInformation.ProcessArchitecture != Architecture.X64)
            {
                s_status["*"] = "not hooked: the native hook layer supports x64 Linux only";
                return;
            }

            nint libc = NativeLibrary.Load("libc.so.6");
            Install(libc, "recvmsg", (nint)(delegate* unmanaged<int, void*, int, nint>)&SocketHandlers.RecvMsg,
                original => SocketHandlers.RecvMsgOriginal = (delegate* unmanaged<int, void*, int, nint>)original);
            Install(libc, "recv", (nint)(delegate* unmanaged<int, void*, nint, int, nint>)&SocketHandlers.Recv,
                original => SocketHandlers.RecvOriginal = (delegate* unmanaged<int, void*, nint, int, nint>)original);
            Install(libc, "recvfrom", (nint)(delegate* unmanaged<int, void*, nint, int, void*, int*, nint>)&SocketHandlers.RecvFrom,
                original => SocketHandlers.RecvFromOriginal = (delegate* unmanaged<int, void*, nint, int, void*, int*, nint>)original);
            Install(libc, "sendmsg", (nint)(delegate* unmanaged<int, void*, int, nint>)&SocketHandlers.SendMsg,
                original => SocketHandlers.SendMsgOriginal = (delegate* unmanaged<int, void*, int, nint>)original);
            Install(libc, "send", (nint)(delegate* unmanaged<int, void*, nint, int, nint>)&SocketHandlers.Send,
                original => SocketHandlers.SendOriginal = (delegate* unmanaged<int, void*, nint, int, nint>)original);
            Install(libc, "sendto", (nint)(delegate* unmanaged<int, void*, nint, int, void*, int, nint>)&SocketHandlers.SendTo,
                original => SocketHandlers.SendToOriginal = (delegate* unmanaged<int, void*, nint, int, void*, int, nint>)original);
            Install(libc, "accept4", (nint)(delegate* unmanaged<int, void*, int*, int, int>)&SocketHandlers.Accept4,
                original => SocketHandlers.Accept4Original = (delegate* unmanaged<int, void*, int*, int, int>)original);
            Install(libc, "connect", (nint)(delegate* unmanaged<int, void*, int, int>)&SocketHandlers.Connect,
                original => SocketHandlers.ConnectOriginal = (delegate* unmanaged<int, void*, int, int>)original);

            Install(libc, "poll", (nint)(delegate* unmanaged<PollHandlers.PollFd*, nuint, int, int>)&PollHandlers.Poll,
                original => PollHandlers.PollOriginal = (delegate* unmanaged<PollHandlers.PollFd*, nuint, int, int>)original);
            Install(libc, "getaddrinfo", (nint)(delegate* unmanaged<byte*, byte*, void*, void**, int>)&ResolverHandlers.GetAddrInfo,
                original => ResolverHandlers.GetAddrInfoOriginal = (delegate* unmanaged<byte*, byte*, void*, void**, int>)original);

            List<(ulong Start, ulong End)> runtimeCode = RuntimeModules.Ranges();
            Install(libc, "sleep", (nint)(delegate* unmanaged<uint, uint>)&SleepHandlers.Sleep, _ => { }, runtimeCode);
            Install(libc, "usleep", (nint)(delegate* unmanaged<uint, int>)&SleepHandlers.USleep, _ => { }, runtimeCode);
            Install(libc, "nanosleep", (nint)(delegate* unmanaged<long*, long*, int>)&SleepHandlers.NanoSleep,
                original => SleepHandlers.NanoSleepOriginal = (delegate* unmanaged<long*, long*, int>)original, runtimeCode);
            Install(libc, "clock_nanosleep", (nint)(delegate* unmanaged<int, int, long*, long*, int>)&SleepHandlers.ClockNanoSleep,
                original => SleepHandlers.ClockNanoSleepOriginal = (delegate* unmanaged<int, int, long*, long*, int>)original, runtimeCode);
        }
    }

    /// <summary>Detours <paramref name="name"/> through a gate to <paramref name="handler"/>; the original is published
    /// (<paramref name="publishOriginal"/>) before the jump is written, so a diverted call always finds it.</summary>
    private static void Install(nint libc, string name, nint handler, Action<nint> publishOriginal, List<(ulong Start, ulong End)>? excludedCallers = null)
    {
        if (!NativeLibrary.TryGetExport(libc, name, out nint target))
        {
            s_status[name] = "not hooked: libc does not export it";
            return;
        }

        bool installed = NativeDetour.TryInstall(
            target,
            handler,
            GateBuilder.Capacity,
            (entry, trampoline) =>
            {
                publishOriginal(trampoline);
                return GateBuilder.Build(entry, handler, trampoline, excludedCallers);
            },
            out NativeDetour? detour,
            out string? reason);
        if (installed)
        {
            s_detours.Add(detour!);
            s_status[name] = "hooked";
        }
        else
        {
            s_status[name] = "not hooked: " + reason;
        }
    }
}
