namespace Co;

/// <summary>One entry of <c>Co.Hooks.Status</c>: a hooked function or method (<paramref name="Name"/>: the libc
/// function's name, or the managed method's signature), its <paramref name="State"/>, and why
/// (<paramref name="Reason"/>: empty when hooked).</summary>
/// <param name="Name">The function ("recv") or method ("Thread.Sleep(int)"); "*" for the whole hook set.</param>
/// <param name="State">Hooked, not needed, or not hooked.</param>
/// <param name="Reason">Why it is not needed or not hooked; empty when <see cref="HookState.Hooked"/>.</param>
public readonly record struct HookStatus(string Name, HookState State, string Reason)
{
    /// <summary>An installed hook.</summary>
    public static HookStatus Hooked(string name) => new(name, HookState.Hooked, "");

    /// <summary>A function the design does not have to hook, and why.</summary>
    public static HookStatus NotNeeded(string name, string reason) => new(name, HookState.NotNeeded, reason);

    /// <summary>A function or method left unhooked, and why.</summary>
    public static HookStatus NotHooked(string name, string reason) => new(name, HookState.NotHooked, reason);

    /// <summary>"hooked", "not needed: why" or "not hooked: why".</summary>
    public override string ToString() => State switch
    {
        HookState.Hooked => "hooked",
        HookState.NotNeeded => "not needed: " + Reason,
        _ => "not hooked: " + Reason,
    };
}
