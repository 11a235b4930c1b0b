namespace Co;

/// <summary>Where one function or method of the hook set stands (an entry of <c>Co.Hooks.Status</c>).</summary>
/// <remarks><see cref="NotHooked"/> is the default, so a <c>default(HookStatus)</c> — an entry looked up and not
/// found — never reads as hooked.</remarks>
public enum HookState
{
    /// <summary>It is not hooked (it could not be, or the hooks are disabled); <see cref="HookStatus.Reason"/> says why.</summary>
    NotHooked,

    /// <summary>The design does not have to hook it; <see cref="HookStatus.Reason"/> says why.</summary>
    NotNeeded,

    /// <summary>Its detour is installed: blocking calls in coroutines wait in the coroutine only.</summary>
    Hooked,
}
