using Co;
using Co.Hook.Managed;
using Co.Testing;

internal static partial class ManagedScenarios
{
    /// <summary>
    /// Enable called again — while enabled, and after a Disable — does not redo the managed layer's self-check (the
    /// version and layout checks, the JIT guard, the canary detour): it runs once per process, and every detour is
    /// back after the re-enable. Prints `RESULT self_checks=N`.
    /// </summary>
    [Scenario("enable-repeated")]
    public static void EnableRepeated()
    {
        Hooks.Enable();
        RequireHooked("Thread.Sleep(int)");
        Hooks.Enable();
        Hooks.Disable();
        Scenarios.Check(Hooks.Status["Thread.Sleep(int)"].State == HookState.NotHooked, "Disable left Thread.Sleep(int) hooked");
        Hooks.Enable();
        Hooks.Enable();
        RequireHooked("Thread.Sleep(int)", "recv");
        Console.Out.WriteLine($"RESULT self_checks={ManagedLayer.SelfChecksRun}");
        Scenarios.Check(ManagedLayer.SelfChecksRun == 1, $"the self-check ran {ManagedLayer.SelfChecksRun} times over four Enable calls");
    }
}
