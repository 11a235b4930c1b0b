using Co;

namespace ThirdPartyClients.Running;

/// <summary>Turns the hooks on (or not) for a mode, as the very first thing the process does, and says honestly what
/// is in effect — including hooks that a <c>DOTNET_STARTUP_HOOKS</c> set from outside enabled before <c>Main</c>.</summary>
internal static class HookState
{
    /// <summary>Enables the hooks when <paramref name="on"/>; returns whether they are on, and how, for the header.</summary>
    public static (bool Enabled, string How) Apply(bool on)
    {
        bool enabledBeforeMain = Hooks.IsEnabled;
        if (on)
        {
            Hooks.Enable();
        }

        if (!Hooks.IsEnabled)
        {
            return (false, "no hooks (Co.Hooks.Enable() not called, no DOTNET_STARTUP_HOOKS)");
        }

        string how = enabledBeforeMain ? "hooks enabled before Main by DOTNET_STARTUP_HOOKS" : "Co.Hooks.Enable() at start-up";
        IReadOnlyDictionary<string, HookStatus> status = Hooks.Status;
        int hooked = status.Values.Count(entry => entry.State == Co.HookState.Hooked);
        string[] missing = [.. status.Values.Where(entry => entry.State == Co.HookState.NotHooked).Select(entry => entry.Name)];
        string coverage = missing.Length == 0 ? $"{hooked} functions and methods hooked" : $"{hooked} hooked, NOT hooked: {string.Join(", ", missing)}";
        return (true, $"{how}, {coverage}");
    }
}
