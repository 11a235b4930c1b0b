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
/// <para>Diverted in coroutine code: the recv and send families, read/write/readv/writev/close on sockets, accept,
/// accept4, connect, poll, ppoll, select, epoll_wait, name resolution (getaddrinfo, getnameinfo, gethostbyname*,
/// gethostbyaddr*: run on the thread pool while the coroutine parks), and sleep, usleep, nanosleep, clock_nanosleep
/// when called from outside the runtime's own modules. socket, socketpair, accept, accept4, dup, dup2, dup3 and close
/// keep the set of known sockets on every thread. docs/HOOKS.md has the whole table.</para>
/// <para>A function whose detour cannot be installed safely stays unhooked; <see cref="Status"/> says which and
/// why. Enable early, before other threads are busy in the functions it patches.</para>
/// </remarks>
public static unsafe class Hooks
{
    /// <summary>The <see cref="Status"/> value of an installed hook.</summary>
    public const string Hooked = "hooked";

    private const string NotNeededPrefix = "not needed: ";

    /// <summary>Functions the design does not have to hook, and why (see docs/HOOKS.md).</summary>
    private static readonly (string Name, string Why)[] s_notNeeded =
    [
        ("fcntl", "the hooks never change a socket's mode: its O_NONBLOCK, set by fcntl or ioctl, is read from the kernel when a call is about to wait"),
        ("ioctl", "as fcntl: FIONBIO sets the kernel's O_NONBLOCK, which the handlers read"),
        ("setsockopt", "SO_RCVTIMEO/SO_SNDTIMEO are read from the kernel when a call is about to wait (no clamp)"),
        ("shutdown", "the kernel reports a shutdown to the poller: waiting coroutines wake and their retry sees it"),
    ];

    /// <summary>The assemblies of further hook layers, loaded (if present) on Enable; each registers itself from its
    /// module initializer with <see cref="Register"/>.</summary>
    private static readonly string[] s_layerAssemblies = ["Co.Hook.Managed"];

    private static readonly Lock s_lock = new();
    private static readonly List<IHookLayer> s_layers = [];
    private static readonly Dictionary<string, string> s_status = [];
    private static readonly List<NativeDetour> s_detours = [];
    private static List<(ulong Start, ulong End)>? s_runtimeCode;

    /// <summary>Whether the hooks are enabled (<see cref="Enable"/> ran, <see cref="Disable"/> did not since).</summary>
    public static bool IsEnabled { get; private set; }

    /// <summary>Each function of the hook set and its state: <see cref="Hooked"/>, "not needed: why", or
    /// "not hooked: why".</summary>
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

    /// <summary>Installs the hooks. Idempotent and thread-safe; never throws for a hook it cannot install, nor when a
    /// dependency of the detour engine is missing (then nothing is hooked: see <see cref="Status"/>).</summary>
    public static void Enable()
    {
        lock (s_lock)
        {
            if (IsEnabled)
            {
                return;
            }

            IsEnabled = true;
            s_status.Clear();
            if (!RuntimeInformation.IsOSPlatform(OSPlatform.Linux) || RuntimeInformation.ProcessArchitecture != Architecture.X64)
            {
                s_status["*"] = "not hooked: the native hook layer supports x64 Linux only";
                return;
            }

            try
            {
                nint libc = NativeLibrary.Load("libc.so.6");
                InstallTracking(libc);
                SocketBitmap.Rebuild(); // after the tracking gates: sockets made from now on are seen by them
                InstallTransfers(libc);
                InstallWaits(libc);
                InstallResolvers(libc);
                InstallSleeps(libc);
                foreach ((string name, string why) in s_notNeeded)
                {
                    s_status[name] = NotNeededPrefix + why;
                }

                EnableLayers();
            }
            catch (Exception exception) when (exception is FileNotFoundException or FileLoadException or BadImageFormatException)
            {
                // A dependency of the detour engine (Iced) is missing from the application, as with a startup hook
                // whose folder was copied incompletely: fail closed — take back what was installed, say why.
                RemoveAll();
                s_status.Clear();
                s_status["*"] = $"not hooked: a dependency could not be loaded ({exception.Message})";
            }
        }
    }

    /// <summary>Adds a hook layer (called by the layer's module initializer); idempotent.</summary>
    internal static void Register(IHookLayer layer)
    {
        lock (s_lock)
        {
            if (!s_layers.Any(known => known.GetType() == layer.GetType()))
            {
                s_layers.Add(layer);
            }
        }
    }

    /// <summary>Loads the layer assemblies the application ships (their module initializers register them), then
    /// enables every registered layer; a layer that fails says so in <see cref="Status"/> and the others go on.</summary>
    private static void EnableLayers()
    {
        foreach (string name in s_layerAssemblies)
        {
            try
            {
                System.Reflection.Assembly layer = System.Reflection.Assembly.Load(name);
                System.Runtime.CompilerServices.RuntimeHelpers.RunModuleConstructor(layer.ManifestModule.ModuleHandle);
            }
            catch (Exception exception) when (exception is FileNotFoundException or FileLoadException or BadImageFormatException)
            {
                s_status[name] = "not hooked: the layer's assembly is not part of the application";
            }
        }

        foreach (IHookLayer layer in s_layers.ToList())
        {
            try
            {
                layer.Enable(s_status);
            }
            catch (Exception exception)
            {
                s_status[layer.GetType().Name] = $"not hooked: the layer failed to enable: {exception.GetType().Name}: {exception.Message}";
            }
        }
    }

    /// <summary>Takes every hook out again: each function's original bytes are written back, and calls behave as
    /// libc's everywhere. Coroutines already inside a handler finish their call normally. Idempotent and thread-safe;
    /// <see cref="Enable"/> may be called again later (it reuses the code it generated the first time).</summary>
    public static void Disable()
    {
        lock (s_lock)
        {
            if (!IsEnabled)
            {
                return;
            }

            RemoveAll();
            foreach (string name in s_status.Keys.ToList())
            {
                s_status[name] = "not hooked: disabled";
            }

            IsEnabled = false;
        }
    }

    /// <summary>Disables every layer and removes every native detour; under <see cref="s_lock"/>.</summary>
    private static void RemoveAll()
    {
        foreach (IHookLayer layer in s_layers)
        {
            layer.Disable();
        }

        foreach (NativeDetour detour in s_detours)
        {
            detour.Dispose();
        }

        s_detours.Clear();
    }

    /// <summary>The functions that create, duplicate and close descriptors: they keep <see cref="SocketBitmap"/>
    /// current on every thread; accept, accept4 and close also divert in coroutine code.</summary>
    private static void InstallTracking(nint libc)
    {
        Install(libc, "socket", new GatePlan(0, Bookkeeping: Bookkeeping.TrackResult), _ => { });
        Install(libc, "socketpair", new GatePlan(0, Bookkeeping: Bookkeeping.TrackPair), _ => { });
        Install(libc, "dup", new GatePlan(0, Bookkeeping: Bookkeeping.CopyToResult), _ => { });
        Install(libc, "dup2", new GatePlan(0, Bookkeeping: Bookkeeping.CopyToArgument1), _ => { });
        Install(libc, "dup3", new GatePlan(0, Bookkeeping: Bookkeeping.CopyToArgument1), _ => { });
        Install(libc, "accept", new GatePlan((nint)(delegate* unmanaged<int, void*, int*, int>)&ConnectionHandlers.Accept, Bookkeeping: Bookkeeping.TrackResult),
            original => ConnectionHandlers.AcceptOriginal = (delegate* unmanaged<int, void*, int*, int>)original);
        Install(libc, "accept4", new GatePlan((nint)(delegate* unmanaged<int, void*, int*, int, int>)&ConnectionHandlers.Accept4, Bookkeeping: Bookkeeping.TrackResult),
            original => ConnectionHandlers.Accept4Original = (delegate* unmanaged<int, void*, int*, int, int>)original);
        Install(libc, "close", new GatePlan((nint)(delegate* unmanaged<int, int>)&ConnectionHandlers.Close, Bookkeeping: Bookkeeping.UntrackArgument0),
            original => ConnectionHandlers.CloseOriginal = (delegate* unmanaged<int, int>)original);
    }

    /// <summary>Data transfer and connect. read/write/readv/writev pass their gate only for tracked sockets: the
    /// runtime reads and writes its own files and pipes on every thread, and those calls must never be diverted.</summary>
    private static void InstallTransfers(nint libc)
    {
        Install(libc, "recvmsg", new GatePlan((nint)(delegate* unmanaged<int, void*, int, nint>)&SocketHandlers.RecvMsg),
            original => SocketHandlers.RecvMsgOriginal = (delegate* unmanaged<int, void*, int, nint>)original);
        Install(libc, "recv", new GatePlan((nint)(delegate* unmanaged<int, void*, nint, int, nint>)&SocketHandlers.Recv),
            original => SocketHandlers.RecvOriginal = (delegate* unmanaged<int, void*, nint, int, nint>)original);
        Install(libc, "recvfrom", new GatePlan((nint)(delegate* unmanaged<int, void*, nint, int, void*, int*, nint>)&SocketHandlers.RecvFrom),
            original => SocketHandlers.RecvFromOriginal = (delegate* unmanaged<int, void*, nint, int, void*, int*, nint>)original);
        Install(libc, "sendmsg", new GatePlan((nint)(delegate* unmanaged<int, void*, int, nint>)&SocketHandlers.SendMsg),
            original => SocketHandlers.SendMsgOriginal = (delegate* unmanaged<int, void*, int, nint>)original);
        Install(libc, "send", new GatePlan((nint)(delegate* unmanaged<int, void*, nint, int, nint>)&SocketHandlers.Send),
            original => SocketHandlers.SendOriginal = (delegate* unmanaged<int, void*, nint, int, nint>)original);
        Install(libc, "sendto", new GatePlan((nint)(delegate* unmanaged<int, void*, nint, int, void*, int, nint>)&SocketHandlers.SendTo),
            original => SocketHandlers.SendToOriginal = (delegate* unmanaged<int, void*, nint, int, void*, int, nint>)original);
        Install(libc, "connect", new GatePlan((nint)(delegate* unmanaged<int, void*, int, int>)&ConnectionHandlers.Connect),
            original => ConnectionHandlers.ConnectOriginal = (delegate* unmanaged<int, void*, int, int>)original);

        Install(libc, "read", new GatePlan((nint)(delegate* unmanaged<int, void*, nint, nint>)&StreamHandlers.Read, OnlyTrackedSockets: true),
            original => StreamHandlers.ReadOriginal = (delegate* unmanaged<int, void*, nint, nint>)original);
        Install(libc, "write", new GatePlan((nint)(delegate* unmanaged<int, void*, nint, nint>)&StreamHandlers.Write, OnlyTrackedSockets: true),
            original => StreamHandlers.WriteOriginal = (delegate* unmanaged<int, void*, nint, nint>)original);
        Install(libc, "readv", new GatePlan((nint)(delegate* unmanaged<int, void*, int, nint>)&StreamHandlers.Readv, OnlyTrackedSockets: true),
            original => StreamHandlers.ReadvOriginal = (delegate* unmanaged<int, void*, int, nint>)original);
        Install(libc, "writev", new GatePlan((nint)(delegate* unmanaged<int, void*, int, nint>)&StreamHandlers.Writev, OnlyTrackedSockets: true),
            original => StreamHandlers.WritevOriginal = (delegate* unmanaged<int, void*, int, nint>)original);
    }

    private static void InstallWaits(nint libc)
    {
        Install(libc, "poll", new GatePlan((nint)(delegate* unmanaged<PollHandlers.PollFd*, nuint, int, int>)&PollHandlers.Poll),
            original => PollHandlers.PollOriginal = (delegate* unmanaged<PollHandlers.PollFd*, nuint, int, int>)original);
        Install(libc, "ppoll", new GatePlan((nint)(delegate* unmanaged<PollHandlers.PollFd*, nuint, long*, void*, int>)&PollHandlers.Ppoll),
            original => PollHandlers.PpollOriginal = (delegate* unmanaged<PollHandlers.PollFd*, nuint, long*, void*, int>)original);
        Install(libc, "select", new GatePlan((nint)(delegate* unmanaged<int, ulong*, ulong*, ulong*, long*, int>)&PollHandlers.Select),
            original => PollHandlers.SelectOriginal = (delegate* unmanaged<int, ulong*, ulong*, ulong*, long*, int>)original);
        Install(libc, "epoll_wait", new GatePlan((nint)(delegate* unmanaged<int, void*, int, int, int>)&PollHandlers.EpollWait),
            original => PollHandlers.EpollWaitOriginal = (delegate* unmanaged<int, void*, int, int, int>)original);
    }

    private static void InstallResolvers(nint libc)
    {
        Install(libc, "getaddrinfo", new GatePlan((nint)(delegate* unmanaged<byte*, byte*, void*, void**, int>)&ResolverHandlers.GetAddrInfo),
            original => ResolverHandlers.GetAddrInfoOriginal = (delegate* unmanaged<byte*, byte*, void*, void**, int>)original);
        Install(libc, "getnameinfo", new GatePlan((nint)(delegate* unmanaged<void*, int, byte*, int, byte*, int, int, int>)&ResolverHandlers.GetNameInfo),
            original => ResolverHandlers.GetNameInfoOriginal = (delegate* unmanaged<void*, int, byte*, int, byte*, int, int, int>)original);
        Install(libc, "gethostbyname", new GatePlan((nint)(delegate* unmanaged<byte*, void*>)&ResolverHandlers.GetHostByName),
            original => ResolverHandlers.GetHostByNameOriginal = (delegate* unmanaged<byte*, void*>)original);
        Install(libc, "gethostbyname2", new GatePlan((nint)(delegate* unmanaged<byte*, int, void*>)&ResolverHandlers.GetHostByName2),
            original => ResolverHandlers.GetHostByName2Original = (delegate* unmanaged<byte*, int, void*>)original);
        Install(libc, "gethostbyname_r", new GatePlan((nint)(delegate* unmanaged<byte*, void*, byte*, nint, void**, int*, int>)&ResolverHandlers.GetHostByNameR),
            original => ResolverHandlers.GetHostByNameROriginal = (delegate* unmanaged<byte*, void*, byte*, nint, void**, int*, int>)original);
        Install(libc, "gethostbyname2_r", new GatePlan((nint)(delegate* unmanaged<byte*, int, void*, byte*, nint, void**, int*, int>)&ResolverHandlers.GetHostByName2R),
            original => ResolverHandlers.GetHostByName2ROriginal = (delegate* unmanaged<byte*, int, void*, byte*, nint, void**, int*, int>)original);
        Install(libc, "gethostbyaddr", new GatePlan((nint)(delegate* unmanaged<void*, int, int, void*>)&ResolverHandlers.GetHostByAddr),
            original => ResolverHandlers.GetHostByAddrOriginal = (delegate* unmanaged<void*, int, int, void*>)original);
        Install(libc, "gethostbyaddr_r", new GatePlan((nint)(delegate* unmanaged<void*, int, int, void*, byte*, nint, void**, int*, int>)&ResolverHandlers.GetHostByAddrR),
            original => ResolverHandlers.GetHostByAddrROriginal = (delegate* unmanaged<void*, int, int, void*, byte*, nint, void**, int*, int>)original);
    }

    /// <summary>The sleep family diverts only calls from outside the runtime's own modules (see <see cref="RuntimeModules"/>).</summary>
    private static void InstallSleeps(nint libc)
    {
        s_runtimeCode ??= RuntimeModules.Ranges();
        Install(libc, "sleep", new GatePlan((nint)(delegate* unmanaged<uint, uint>)&SleepHandlers.Sleep, ExcludedCallers: s_runtimeCode), _ => { });
        Install(libc, "usleep", new GatePlan((nint)(delegate* unmanaged<uint, int>)&SleepHandlers.USleep, ExcludedCallers: s_runtimeCode), _ => { });
        Install(libc, "nanosleep", new GatePlan((nint)(delegate* unmanaged<long*, long*, int>)&SleepHandlers.NanoSleep, ExcludedCallers: s_runtimeCode),
            original => SleepHandlers.NanoSleepOriginal = (delegate* unmanaged<long*, long*, int>)original);
        Install(libc, "clock_nanosleep", new GatePlan((nint)(delegate* unmanaged<int, int, long*, long*, int>)&SleepHandlers.ClockNanoSleep, ExcludedCallers: s_runtimeCode),
            original => SleepHandlers.ClockNanoSleepOriginal = (delegate* unmanaged<int, int, long*, long*, int>)original);
    }

    /// <summary>Detours <paramref name="name"/> through the gate <paramref name="plan"/> describes; the original is
    /// published (<paramref name="publishOriginal"/>) before the jump is written, so a diverted call always finds it.</summary>
    private static void Install(nint libc, string name, GatePlan plan, Action<nint> publishOriginal)
    {
        if (!NativeLibrary.TryGetExport(libc, name, out nint target))
        {
            s_status[name] = "not hooked: libc does not export it";
            return;
        }

        NativeDetour? detour;
        string? reason;
        bool installed;
        try
        {
            installed = NativeDetour.TryInstall(
                target,
                plan.Handler != 0 ? plan.Handler : target,
                GateBuilder.Capacity,
                (entry, trampoline) =>
                {
                    publishOriginal(trampoline);
                    return GateBuilder.Build(entry, trampoline, plan.Handler != 0 ? plan with { Counter = DivertCounters.For(name) } : plan);
                },
                out detour,
                out reason);
        }
        catch (Exception exception) when (exception is ArgumentException or InvalidOperationException)
        {
            (installed, detour, reason) = (false, null, "the gate could not be generated: " + exception.Message);
        }

        if (installed)
        {
            s_detours.Add(detour!);
            s_status[name] = Hooked;
        }
        else
        {
            s_status[name] = "not hooked: " + reason;
        }
    }
}
