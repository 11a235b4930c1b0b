namespace Co.Hook;

/// <summary>
/// A hook layer that <see cref="Hooks"/> enables and disables along with the native one — the managed layer
/// (Co.Hook.Managed) — so that <see cref="Hooks.Enable"/> stays the one entry point while the dependency runs one way:
/// the managed layer depends on this assembly, which finds it by name (see <see cref="Hooks"/>).
/// </summary>
internal interface IHookLayer
{
    /// <summary>Installs the layer's hooks and records each in <paramref name="status"/> ("hooked" or why not).
    /// Must not throw for a hook it cannot install.</summary>
    void Enable(IDictionary<string, string> status);

    /// <summary>Takes the layer's hooks out.</summary>
    void Disable();
}
