using System.Collections.ObjectModel;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Co.Hook;
using Co.Hook.Managed;

namespace Co;

/// <summary>
/// The hooks' entry point: <see cref="Enable"/> detours the libc calls through which blocking socket code — managed
/// (<c>System.Net.Sockets.Socket</c>'s synchronous methods) or native (a C library called through P/Invoke) — would
/// block a scheduler thread, and the .NET methods that wait inside the runtime, so that inside a coroutine only the
/// coroutine waits. Outside coroutines every call behaves exactly as it would unhooked.
/// </summary>
/// <remarks>
/// <para>Diverted in coroutine code: the recv and send families, read/write/readv/writev/close on sockets, accept,
/// accept4, connect, poll, ppoll, select, epoll_wait, name resolution (getaddrinfo, getnameinfo, gethostbyname*,
/// gethostbyaddr*: run on the thread pool while the coroutine parks), and sleep, usleep, nanosleep, clock_nanosleep
/// when called from outside the runtime's own modules (the native layer); Socket's synchronous funnels on descriptors
/// .NET made non-blocking, Thread.Sleep, and the blocking waits of Task, SemaphoreSlim and ManualResetEventSlim (the
/// managed layer). socket, socketpair, accept, accept4, dup, dup2, dup3 and close keep the set of known sockets on
/// every thread. docs/HOOKS.md has the whole table.</para>
/// <para>A function whose detour cannot be installed safely stays unhooked; <see cref="Status"/> says which and
/// why. Enable early, before other threads are busy in the functions it patches.</para>
/// </remarks>
public static class Hooks
{
    /// <summary>The <see cref="Status"/> key of an entry about the whole hook set (nothing hooked, and why).</summary>
    private const string Everything = "*";

    /// <summary>The <see cref="Status"/> entry of the managed layer as a whole, present only when it failed to enable.</summary>
    private const string ManagedLayerEntry = "Co.Hook.Managed";

    private static readonly Lock s_lock = new();
    private static readonly Dictionary<string, HookStatus> s_status = [];

    /// <summary>Whether the hooks are enabled (<see cref="Enable"/> ran, <see cref="Disable"/> did not since).</summary>
    public static bool IsEnabled { get; private set; }

    /// <summary>Each function and method of the hook set, by name ("recv", "Thread.Sleep(int)"), and its state:
    /// <see cref="HookState.Hooked"/>, <see cref="HookState.NotNeeded"/> or <see cref="HookState.NotHooked"/> with the
    /// reason. Each entry's text is "hooked", "not needed: why" or "not hooked: why"; a "*" entry says why nothing is
    /// hooked.</summary>
    public static IReadOnlyDictionary<string, HookStatus> Status
    {
        get
        {
            lock (s_lock)
            {
                return new ReadOnlyDictionary<string, HookStatus>(new Dictionary<string, HookStatus>(s_status));
            }
        }
    }

    /// <summary>Installs the hooks, the native layer first. Idempotent and thread-safe; never throws for a hook it
    /// cannot install, nor when a dependency of the hooks is missing from the application (then nothing is hooked:
    /// see <see cref="Status"/>).</summary>
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
                s_status[Everything] = HookStatus.NotHooked(Everything, "the native hook layer supports x64 Linux only");
                return;
            }

            try
            {
                EnableNative();
                EnableManagedOrSayWhy();
            }
            catch (Exception exception) when (exception is FileNotFoundException or FileLoadException or BadImageFormatException)
            {
                // A dependency (Iced, a layer's assembly) is missing from the application, as with a startup hook whose
                // folder was copied incompletely: fail closed — take back what was installed, say why.
                RemoveAll();
                s_status.Clear();
                s_status[Everything] = HookStatus.NotHooked(Everything, $"a dependency could not be loaded ({exception.Message})");
            }
        }
    }

    /// <summary>Takes every hook out again: each function's original bytes are written back, and calls behave as
    /// unhooked everywhere. Coroutines already inside a handler finish their call normally. Idempotent and
    /// thread-safe; <see cref="Enable"/> may be called again later (it reuses the code it generated the first
    /// time).</summary>
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
                s_status[name] = HookStatus.NotHooked(name, "disabled");
            }

            IsEnabled = false;
        }
    }

    // Each layer in a method of its own, not inlined: an assembly missing from the application fails the call inside
    // Enable's try, where it is caught, rather than the compilation of Enable itself.
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void EnableNative() => NativeLayer.Enable(s_status);

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void EnableManaged() => ManagedLayer.Enable(s_status);

    /// <summary>
    /// Enables the managed layer; if it fails past its own checks (a reflection lookup, the JIT guard, the canary
    /// throwing rather than refusing), it takes back what it installed and says why under <see cref="ManagedLayerEntry"/>,
    /// and the native layer stays on: the layers are independent. A missing assembly is left to Enable's fail-closed
    /// path, which takes everything back.
    /// </summary>
    private static void EnableManagedOrSayWhy()
    {
        try
        {
            EnableManaged();
        }
        catch (Exception exception) when (exception is not (FileNotFoundException or FileLoadException or BadImageFormatException))
        {
            TryRemove(DisableManaged);
            s_status[ManagedLayerEntry] = HookStatus.NotHooked(
                ManagedLayerEntry, $"the layer failed to enable: {exception.GetType().Name}: {exception.Message}");
        }
    }

    /// <summary>Disables the managed layer, then the native one; under <see cref="s_lock"/>. A layer whose assembly
    /// never loaded has nothing to take out.</summary>
    private static void RemoveAll()
    {
        TryRemove(DisableManaged);
        TryRemove(DisableNative);
    }

    private static void TryRemove(Action disable)
    {
        try
        {
            disable();
        }
        catch (Exception exception) when (exception is FileNotFoundException or FileLoadException or BadImageFormatException)
        {
            // The layer's assembly is not part of the application: it installed nothing.
        }
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void DisableNative() => NativeLayer.Disable();

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void DisableManaged() => ManagedLayer.Disable();
}
