using System.Runtime.InteropServices;
using Co.Hook.Gates;

namespace Co.Hook;

/// <summary>
/// The native hook layer: one gate per <see cref="NativeHookAttribute"/> declaration (<see cref="NativeHookTable"/>),
/// detouring the libc calls through which blocking socket code — managed or native — would block a scheduler thread.
/// Enabled and disabled by <c>Co.Hooks</c>, under its lock.
/// </summary>
/// <remarks>Gates that keep the socket bitmap are installed first, then the bitmap is rebuilt from the descriptors
/// already open, then the rest: from then on every socket made on any thread is seen.</remarks>
internal static class NativeLayer
{
    /// <summary>Functions the design does not have to hook, and why (see docs/HOOKS.md).</summary>
    private static readonly (string Name, string Why)[] s_notNeeded =
    [
        ("fcntl", "the hooks never change a socket's mode: its O_NONBLOCK, set by fcntl or ioctl, is read from the kernel when a call is about to wait"),
        ("ioctl", "as fcntl: FIONBIO sets the kernel's O_NONBLOCK, which the handlers read"),
        ("setsockopt", "SO_RCVTIMEO/SO_SNDTIMEO are read from the kernel when a call is about to wait (no clamp)"),
        ("shutdown", "the kernel reports a shutdown to the poller: waiting coroutines wake and their retry sees it"),
    ];

    private static readonly NativeHookDeclaration[] s_declarations = NativeHookTable.Declarations();
    private static readonly List<NativeDetour> s_detours = [];
    private static List<(ulong Start, ulong End)>? s_runtimeCode;

    /// <summary>Installs every declared hook it can, recording each in <paramref name="status"/> (hooked, or why not),
    /// and the functions that need no hook. Throws only when the detour engine cannot be loaded (Iced missing).</summary>
    public static void Enable(IDictionary<string, HookStatus> status)
    {
        var libraries = new Dictionary<string, nint>();
        foreach (NativeHookDeclaration declaration in s_declarations.Where(d => d.Bookkeeping != Bookkeeping.None))
        {
            status[declaration.Function] = Install(declaration, libraries);
        }

        SocketBitmap.Rebuild(); // after the tracking gates: sockets made from now on are seen by them
        foreach (NativeHookDeclaration declaration in s_declarations.Where(d => d.Bookkeeping == Bookkeeping.None))
        {
            status[declaration.Function] = Install(declaration, libraries);
        }

        foreach ((string name, string why) in s_notNeeded)
        {
            status[name] = HookStatus.NotNeeded(name, why);
        }
    }

    /// <summary>Takes every native detour out: each function's original bytes are written back.</summary>
    public static void Disable()
    {
        foreach (NativeDetour detour in s_detours)
        {
            detour.Dispose();
        }

        s_detours.Clear();
    }

    /// <summary>Detours the declared function through its gate; the original is published before the jump is
    /// written, so a diverted call always finds it.</summary>
    private static HookStatus Install(NativeHookDeclaration declaration, Dictionary<string, nint> libraries)
    {
        string name = declaration.Function;
        if (!libraries.TryGetValue(declaration.Library, out nint library))
        {
            libraries[declaration.Library] = library = NativeLibrary.TryLoad(declaration.Library, out nint loaded) ? loaded : 0;
        }

        if (library == 0)
        {
            return HookStatus.NotHooked(name, $"{declaration.Library} could not be loaded");
        }

        if (!NativeLibrary.TryGetExport(library, name, out nint target))
        {
            return HookStatus.NotHooked(name, $"{declaration.Library} does not export it");
        }

        var plan = new GatePlan(
            declaration.Handler,
            OnlyTrackedSockets: declaration.Gate == NativeGate.TrackedSocketsOnly,
            Bookkeeping: declaration.Bookkeeping,
            ExcludedCallers: declaration.Gate == NativeGate.CallersOutsideRuntime ? s_runtimeCode ??= RuntimeModules.Ranges() : null);
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
                    declaration.PublishOriginal?.Invoke(trampoline);
                    return GateBuilder.Build(entry, trampoline, plan.Handler != 0 ? plan with { Counter = NativeDivertCounters.For(name) } : plan);
                },
                out detour,
                out reason);
        }
        catch (Exception exception) when (exception is ArgumentException or InvalidOperationException)
        {
            (installed, detour, reason) = (false, null, "the gate could not be generated: " + exception.Message);
        }

        if (!installed)
        {
            return HookStatus.NotHooked(name, reason!);
        }

        s_detours.Add(detour!);
        return HookStatus.Hooked(name);
    }
}
