using System.Collections;
using System.Net;
using System.Net.Sockets;
using System.Reflection;
using System.Runtime.CompilerServices;
using Co.Hook.Managed.Engine;
using Co.Hook.Managed.Replacements;

namespace Co.Hook.Managed;

/// <summary>
/// The managed hook layer: detours of <see cref="Socket"/>'s synchronous funnels and <see cref="Thread.Sleep(int)"/>,
/// which the native layer cannot see once .NET waits inside the runtime (a socket it made non-blocking, a futex
/// sleep). Enabled and disabled by <see cref="Hooks"/>, which loads this assembly by name; it registers itself from
/// its module initializer.
/// </summary>
/// <remarks>Before any detour: the runtime must be .NET 10, the MethodDesc layout the engine writes must check out,
/// Socket's private members must exist, the JIT guard must install, and a canary detour of a method of this assembly
/// must divert and reach its original. Any failure leaves every managed detour off, each with the reason in
/// <see cref="Hooks.Status"/>.</remarks>
internal sealed unsafe class ManagedHooks : IHookLayer
{
    private const int KnownRuntimeMajor = 10;

    /// <summary>The targets, looked up by reflection once (for the counters at registration and every Enable).</summary>
    private static readonly Lazy<Target[]> s_targets = new(Targets);

    private readonly List<ManagedDetour> _detours = [];

    [ModuleInitializer]
    [System.Diagnostics.CodeAnalysis.SuppressMessage("Usage", "CA2255", Justification = "Hooks.Enable loads this assembly by name and runs its module constructor: registering there is what keeps the dependency one way.")]
    internal static void Register()
    {
        Hooks.Register(new ManagedHooks());
        foreach (Target target in s_targets.Value)
        {
            Co.Hook.Gates.DivertCounters.AddSource(() => (target.Name, Diversions.CountOf(target.Hook)));
        }
    }

    public void Enable(IDictionary<string, string> status)
    {
        Target[] targets = s_targets.Value;
        if (SelfCheckFailure() is { } failure)
        {
            foreach (Target target in targets)
            {
                status[target.Name] = "not hooked: " + failure;
            }

            return;
        }

        foreach (Target target in targets)
        {
            if (target.Method is null)
            {
                status[target.Name] = "not hooked: the method does not exist in this runtime";
                continue;
            }

            if (ManagedDetour.TryInstall(target.Method, target.Replacement, target.PublishOriginal, out ManagedDetour? detour, out string? reason))
            {
                _detours.Add(detour);
                status[target.Name] = Hooks.Hooked;
            }
            else
            {
                status[target.Name] = "not hooked: " + reason;
            }
        }
    }

    public void Disable()
    {
        foreach (ManagedDetour detour in _detours)
        {
            detour.Dispose();
        }

        _detours.Clear();
    }

    /// <summary>Null when the engine may run here, else why not.</summary>
    private static string? SelfCheckFailure()
    {
        if (Environment.Version.Major != KnownRuntimeMajor)
        {
            return $"the managed detour engine knows .NET {KnownRuntimeMajor}, not {Environment.Version}";
        }

        if (!MethodDescFlags.LayoutIsKnown(out string? reason) || !SocketWaits.FieldsExist(out reason) || !JitGuard.EnsureInstalled(out reason))
        {
            return reason;
        }

        return Canary.Passes(out reason) ? null : "the canary detour failed: " + reason;
    }

    /// <summary>The funnels of Socket's synchronous calls (every overload reaches one), Thread.Sleep(int), and the
    /// blocking wait of a task that has not completed.</summary>
    private static Target[] Targets()
    {
        const BindingFlags Instance = BindingFlags.Instance | BindingFlags.Public;
        Type socket = typeof(Socket);
        Type error = typeof(SocketError).MakeByRefType();
        Type endPointRef = typeof(EndPoint).MakeByRefType();
        Type segments = typeof(IList<ArraySegment<byte>>);
        return
        [
            new(ManagedHook.ReceiveArray, "Socket.Receive(byte[], int, int, SocketFlags, out SocketError)", socket.GetMethod(nameof(Socket.Receive), Instance, [typeof(byte[]), typeof(int), typeof(int), typeof(SocketFlags), error]), nameof(SocketReplacements.ReceiveArray),
                original => SocketReplacements.ReceiveArrayOriginal = (delegate*<Socket, byte[], int, int, SocketFlags, out SocketError, int>)original),
            new(ManagedHook.ReceiveSpan, "Socket.Receive(Span<byte>, SocketFlags, out SocketError)", socket.GetMethod(nameof(Socket.Receive), Instance, [typeof(Span<byte>), typeof(SocketFlags), error]), nameof(SocketReplacements.ReceiveSpan),
                original => SocketReplacements.ReceiveSpanOriginal = (delegate*<Socket, Span<byte>, SocketFlags, out SocketError, int>)original),
            new(ManagedHook.ReceiveList, "Socket.Receive(IList<ArraySegment<byte>>, SocketFlags, out SocketError)", socket.GetMethod(nameof(Socket.Receive), Instance, [segments, typeof(SocketFlags), error]), nameof(SocketReplacements.ReceiveList),
                original => SocketReplacements.ReceiveListOriginal = (delegate*<Socket, IList<ArraySegment<byte>>, SocketFlags, out SocketError, int>)original),
            new(ManagedHook.SendArray, "Socket.Send(byte[], int, int, SocketFlags, out SocketError)", socket.GetMethod(nameof(Socket.Send), Instance, [typeof(byte[]), typeof(int), typeof(int), typeof(SocketFlags), error]), nameof(SocketReplacements.SendArray),
                original => SocketReplacements.SendArrayOriginal = (delegate*<Socket, byte[], int, int, SocketFlags, out SocketError, int>)original),
            new(ManagedHook.SendSpan, "Socket.Send(ReadOnlySpan<byte>, SocketFlags, out SocketError)", socket.GetMethod(nameof(Socket.Send), Instance, [typeof(ReadOnlySpan<byte>), typeof(SocketFlags), error]), nameof(SocketReplacements.SendSpan),
                original => SocketReplacements.SendSpanOriginal = (delegate*<Socket, ReadOnlySpan<byte>, SocketFlags, out SocketError, int>)original),
            new(ManagedHook.SendList, "Socket.Send(IList<ArraySegment<byte>>, SocketFlags, out SocketError)", socket.GetMethod(nameof(Socket.Send), Instance, [segments, typeof(SocketFlags), error]), nameof(SocketReplacements.SendList),
                original => SocketReplacements.SendListOriginal = (delegate*<Socket, IList<ArraySegment<byte>>, SocketFlags, out SocketError, int>)original),
            new(ManagedHook.ReceiveFromArray, "Socket.ReceiveFrom(byte[], int, int, SocketFlags, ref EndPoint)", socket.GetMethod(nameof(Socket.ReceiveFrom), Instance, [typeof(byte[]), typeof(int), typeof(int), typeof(SocketFlags), endPointRef]), nameof(SocketReplacements.ReceiveFromArray),
                original => SocketReplacements.ReceiveFromArrayOriginal = (delegate*<Socket, byte[], int, int, SocketFlags, ref EndPoint, int>)original),
            new(ManagedHook.ReceiveFromSpan, "Socket.ReceiveFrom(Span<byte>, SocketFlags, ref EndPoint)", socket.GetMethod(nameof(Socket.ReceiveFrom), Instance, [typeof(Span<byte>), typeof(SocketFlags), endPointRef]), nameof(SocketReplacements.ReceiveFromSpan),
                original => SocketReplacements.ReceiveFromSpanOriginal = (delegate*<Socket, Span<byte>, SocketFlags, ref EndPoint, int>)original),
            new(ManagedHook.ReceiveFromAddress, "Socket.ReceiveFrom(Span<byte>, SocketFlags, SocketAddress)", socket.GetMethod(nameof(Socket.ReceiveFrom), Instance, [typeof(Span<byte>), typeof(SocketFlags), typeof(SocketAddress)]), nameof(SocketReplacements.ReceiveFromAddress),
                original => SocketReplacements.ReceiveFromAddressOriginal = (delegate*<Socket, Span<byte>, SocketFlags, SocketAddress, int>)original),
            new(ManagedHook.SendToArray, "Socket.SendTo(byte[], int, int, SocketFlags, EndPoint)", socket.GetMethod(nameof(Socket.SendTo), Instance, [typeof(byte[]), typeof(int), typeof(int), typeof(SocketFlags), typeof(EndPoint)]), nameof(SocketReplacements.SendToArray),
                original => SocketReplacements.SendToArrayOriginal = (delegate*<Socket, byte[], int, int, SocketFlags, EndPoint, int>)original),
            new(ManagedHook.SendToSpan, "Socket.SendTo(ReadOnlySpan<byte>, SocketFlags, EndPoint)", socket.GetMethod(nameof(Socket.SendTo), Instance, [typeof(ReadOnlySpan<byte>), typeof(SocketFlags), typeof(EndPoint)]), nameof(SocketReplacements.SendToSpan),
                original => SocketReplacements.SendToSpanOriginal = (delegate*<Socket, ReadOnlySpan<byte>, SocketFlags, EndPoint, int>)original),
            new(ManagedHook.SendToAddress, "Socket.SendTo(ReadOnlySpan<byte>, SocketFlags, SocketAddress)", socket.GetMethod(nameof(Socket.SendTo), Instance, [typeof(ReadOnlySpan<byte>), typeof(SocketFlags), typeof(SocketAddress)]), nameof(SocketReplacements.SendToAddress),
                original => SocketReplacements.SendToAddressOriginal = (delegate*<Socket, ReadOnlySpan<byte>, SocketFlags, SocketAddress, int>)original),
            new(ManagedHook.Accept, "Socket.Accept()", socket.GetMethod(nameof(Socket.Accept), Instance, Type.EmptyTypes), nameof(SocketReplacements.Accept),
                original => SocketReplacements.AcceptOriginal = (delegate*<Socket, Socket>)original),
            new(ManagedHook.Connect, "Socket.Connect(EndPoint)", socket.GetMethod(nameof(Socket.Connect), Instance, [typeof(EndPoint)]), nameof(SocketReplacements.Connect),
                original => SocketReplacements.ConnectOriginal = (delegate*<Socket, EndPoint, void>)original),
            new(ManagedHook.Poll, "Socket.Poll(int, SelectMode)", socket.GetMethod(nameof(Socket.Poll), Instance, [typeof(int), typeof(SelectMode)]), nameof(SocketReplacements.Poll),
                original => SocketReplacements.PollOriginal = (delegate*<Socket, int, SelectMode, bool>)original),
            new(ManagedHook.Select, "Socket.Select(IList, IList, IList, int)", socket.GetMethod(nameof(Socket.Select), BindingFlags.Static | BindingFlags.Public, [typeof(IList), typeof(IList), typeof(IList), typeof(int)]), nameof(SocketReplacements.Select),
                original => SocketReplacements.SelectOriginal = (delegate*<IList?, IList?, IList?, int, void>)original),
            new(ManagedHook.TaskWait, "Task.SpinThenBlockingWait(int, CancellationToken) (Task.Wait, .Result, GetAwaiter().GetResult())", typeof(Task).GetMethod("SpinThenBlockingWait", BindingFlags.Instance | BindingFlags.NonPublic, [typeof(int), typeof(CancellationToken)]), nameof(TaskWaitReplacement.SpinThenBlockingWait),
                original => TaskWaitReplacement.SpinThenBlockingWaitOriginal = (delegate*<Task, int, CancellationToken, bool>)original, typeof(TaskWaitReplacement)),
            new(ManagedHook.SemaphoreWait, "SemaphoreSlim.WaitCore(long, CancellationToken) (every SemaphoreSlim.Wait)", typeof(SemaphoreSlim).GetMethod("WaitCore", BindingFlags.Instance | BindingFlags.NonPublic, [typeof(long), typeof(CancellationToken)]), nameof(SyncPrimitiveReplacements.SemaphoreWaitCore),
                original => SyncPrimitiveReplacements.SemaphoreWaitCoreOriginal = (delegate*<SemaphoreSlim, long, CancellationToken, bool>)original, typeof(SyncPrimitiveReplacements)),
            new(ManagedHook.EventWait, "ManualResetEventSlim.Wait(int, CancellationToken) (every ManualResetEventSlim.Wait)", typeof(ManualResetEventSlim).GetMethod(nameof(ManualResetEventSlim.Wait), BindingFlags.Instance | BindingFlags.Public, [typeof(int), typeof(CancellationToken)]), nameof(SyncPrimitiveReplacements.EventWait),
                original => SyncPrimitiveReplacements.EventWaitOriginal = (delegate*<ManualResetEventSlim, int, CancellationToken, bool>)original, typeof(SyncPrimitiveReplacements)),
            new(ManagedHook.Sleep, "Thread.Sleep(int)", typeof(Thread).GetMethod(nameof(Thread.Sleep), BindingFlags.Static | BindingFlags.Public, [typeof(int)]), nameof(SleepReplacement.Sleep),
                original => SleepReplacement.SleepOriginal = (delegate*<int, void>)original, typeof(SleepReplacement)),
        ];
    }

    /// <summary>One detoured method: its counter, its <see cref="Hooks.Status"/> name (also its co.hooks.diverted tag), the method (null if this runtime lacks it),
    /// the replacement's name in <see cref="SocketReplacements"/> (or <paramref name="replacements"/>), and where the
    /// original goes.</summary>
    private sealed class Target(ManagedHook hook, string name, MethodInfo? method, string replacement, Action<nint> publishOriginal, Type? replacements = null)
    {
        public ManagedHook Hook { get; } = hook;

        public string Name { get; } = name;

        public MethodInfo? Method { get; } = method;

        public MethodInfo Replacement { get; } =
            (replacements ?? typeof(SocketReplacements)).GetMethod(replacement, BindingFlags.Static | BindingFlags.NonPublic)
            ?? throw new MissingMethodException(replacement);

        public Action<nint> PublishOriginal { get; } = publishOriginal;
    }
}
