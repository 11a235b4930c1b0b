using Co;
using Co.Testing;

/// <summary>
/// Scenarios of the managed hook layer (Co.Hook.Managed): synchronous Socket calls on sockets .NET made non-blocking
/// underneath, Thread.Sleep, detours that must survive tiering, and .NET's own errors kept exactly — one file per
/// area (ManagedScenarios.Receive.cs, ...). This file holds the helpers several areas share.
/// </summary>
internal static partial class ManagedScenarios
{
    private static void RequireHooked(params string[] names)
    {
        foreach (string name in names)
        {
            string state = Hooks.Status.TryGetValue(name, out HookStatus value) ? value.ToString() : "missing";
            Scenarios.Check(value.State == HookState.Hooked, $"{name}: {state}");
        }
    }

    private static void InterlockedMax(ref int target, int value)
    {
        int current;
        while ((current = Volatile.Read(ref target)) < value && Interlocked.CompareExchange(ref target, value, current) != current)
        {
        }
    }
}
