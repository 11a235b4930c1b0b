using System.Net.Sockets;
using Co.Hook.Gates;
using Co.Hook.Managed.Engine;
using Co.Hook.Managed.Replacements;

namespace Co.Hook.Managed;

/// <summary>
/// The managed hook layer: one detour per <see cref="ManagedHookAttribute"/> declaration (<see cref="ManagedHookTable"/>)
/// — <see cref="Socket"/>'s synchronous funnels, <see cref="Thread.Sleep(int)"/>, the blocking waits of tasks, slim
/// primitives, monitors, wait handles and <see cref="Thread.Join()"/> — which the native layer cannot see once .NET waits inside the runtime (a socket it made non-blocking, a
/// futex sleep). Enabled and disabled by <c>Co.Hooks</c>, under its lock, after the native layer.
/// </summary>
/// <remarks>Before any detour: the runtime must be .NET 10, the MethodDesc layout the engine writes must check out,
/// Socket's private members must exist, the JIT guard must install, and a canary detour of a method of this assembly
/// must divert and reach its original. Any failure leaves every managed detour off, each with the reason in its
/// <see cref="HookStatus"/>.</remarks>
internal static class ManagedLayer
{
    private const int KnownRuntimeMajor = 10;

    /// <summary>The declarations, with their targets looked up by reflection once; their diversion counts are
    /// published on co.hooks.diverted from the first Enable on.</summary>
    private static readonly Lazy<ManagedHookDeclaration[]> s_declarations = new(() =>
    {
        ManagedHookDeclaration[] declarations = ManagedHookTable.Declarations();
        foreach (ManagedHookDeclaration declaration in declarations)
        {
            NativeDivertCounters.AddSource(() => (declaration.Name, ManagedDivertCounters.CountOf(declaration.Hook)));
        }

        return declarations;
    });

    /// <summary>Hooks that are correct only together: a coroutine parked by the Monitor.Wait replacements is woken only
    /// by the Pulse replacements, and an interrupt reaches it only through the Interrupt replacement. If one of a group
    /// cannot be installed, the others are taken out again (fail closed: the waits stay the runtime's).</summary>
    private static readonly ManagedHookId[][] s_allOrNothing =
    [
        [ManagedHookId.MonitorWait, ManagedHookId.MonitorWaitInfinite, ManagedHookId.MonitorPulse, ManagedHookId.MonitorPulseAll, ManagedHookId.Interrupt],
    ];

    /// <summary>Hooks that only make wake-ups prompt: without them a parked wait-handle wait notices a signal on its next
    /// retry (within 50 ms), so one that cannot be installed is reported as not needed, with the reason, rather than as
    /// a hook missing (the code of <c>EventWaitHandle.Set(SafeWaitHandle)</c> straddles an 8-byte word under
    /// <c>DOTNET_TieredCompilation=0</c>).</summary>
    private static readonly ManagedHookId[] s_promptnessOnly = [ManagedHookId.EventSet, ManagedHookId.SemaphoreRelease, ManagedHookId.MutexRelease];

    private static readonly Dictionary<ManagedHookId, ManagedDetour> s_detours = [];

    /// <summary>Whether the self-check (<see cref="SelfCheckFailure"/>) has passed in this process. What it checks — the
    /// runtime's version, the MethodDesc layout, Socket's private members, the JIT guard, a canary detour — cannot
    /// change within a process, so once it passes, enabling again after <c>Disable</c> does not redo it (the canary
    /// alone is a detour installed, called and removed). A failure is not remembered: the next Enable checks again.
    /// Written under Co.Hooks' lock, as every Enable runs.</summary>
    private static bool s_selfCheckPassed;

    /// <summary>How many times the self-check has run in this process (for the tests: a repeated Enable must not
    /// redo it).</summary>
    internal static int SelfChecksRun { get; private set; }

    /// <summary>Installs every declared detour it can, recording each in <paramref name="status"/> (hooked, or why not).</summary>
    public static void Enable(IDictionary<string, HookStatus> status)
    {
        ManagedHookDeclaration[] declarations = s_declarations.Value;
        if (!s_selfCheckPassed && SelfCheckFailure() is { } failure)
        {
            foreach (ManagedHookDeclaration declaration in declarations)
            {
                status[declaration.Name] = HookStatus.NotHooked(declaration.Name, failure);
            }

            return;
        }

        s_selfCheckPassed = true;
        foreach (ManagedHookDeclaration declaration in declarations)
        {
            HookStatus installed = Install(declaration);
            status[declaration.Name] = installed.State == HookState.NotHooked && s_promptnessOnly.Contains(declaration.Hook)
                ? HookStatus.NotNeeded(declaration.Name, "waits notice the signal on their next retry, within 50 ms, without it; not installed: " + installed.Reason)
                : installed;
        }

        foreach (ManagedHookId[] group in s_allOrNothing)
        {
            TakeOutIfIncomplete(group, declarations, status);
        }
    }

    /// <summary>If a member of <paramref name="group"/> is not hooked, takes the others out, each with the reason.</summary>
    private static void TakeOutIfIncomplete(ManagedHookId[] group, ManagedHookDeclaration[] declarations, IDictionary<string, HookStatus> status)
    {
        ManagedHookDeclaration[] members = declarations.Where(d => group.Contains(d.Hook)).ToArray();
        if (members.FirstOrDefault(d => !s_detours.ContainsKey(d.Hook)) is not { } missing)
        {
            return;
        }

        foreach (ManagedHookDeclaration member in members)
        {
            if (s_detours.Remove(member.Hook, out ManagedDetour? detour))
            {
                detour.Dispose();
                status[member.Name] = HookStatus.NotHooked(member.Name, $"works only with {missing.Name}, which is not hooked ({status[missing.Name].Reason})");
            }
        }
    }

    /// <summary>Takes every managed detour out.</summary>
    public static void Disable()
    {
        foreach (ManagedDetour detour in s_detours.Values)
        {
            detour.Dispose();
        }

        s_detours.Clear();
    }

    /// <summary>A hook the next Enable treats as one that cannot be installed (for the tests of the all-or-nothing
    /// groups, whose members install everywhere the tests run).</summary>
    internal static ManagedHookId? RefusedForTesting { get; set; }

    private static HookStatus Install(ManagedHookDeclaration declaration)
    {
        if (declaration.Target is null)
        {
            return HookStatus.NotHooked(declaration.Name, "the method does not exist in this runtime");
        }

        if (declaration.Hook == RefusedForTesting)
        {
            return HookStatus.NotHooked(declaration.Name, "refused for a test");
        }

        if (!ManagedDetour.TryInstall(declaration.Target, declaration.Replacement, declaration.PublishOriginal, out ManagedDetour? detour, out string? reason))
        {
            return HookStatus.NotHooked(declaration.Name, reason);
        }

        s_detours.Add(declaration.Hook, detour);
        return HookStatus.Hooked(declaration.Name);
    }

    /// <summary>Null when the engine may run here, else why not.</summary>
    private static string? SelfCheckFailure()
    {
        SelfChecksRun++;
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
}
