using Co.Hook.Gates;

namespace Co.Hook;

/// <summary>
/// Declares a native hook — the one place a hooked function is written down, as co's <c>_CO_DEF_SYS_API(recv)</c>.
/// On an <c>[UnmanagedCallersOnly]</c> handler: calls to <paramref name="function"/> of <paramref name="library"/>
/// that its gate diverts run the handler, whose parameters are the function's signature. On a class: a gate with no
/// handler, which calls the original and keeps the socket bitmap (<see cref="Bookkeeping"/>).
/// </summary>
/// <remarks>Co.Hook.Generator turns each declaration into the handler's <c>{Handler}Original</c> function pointer and
/// a row of <see cref="NativeHookTable"/>, from which <see cref="NativeLayer"/> installs the gates and reports
/// <see cref="HookStatus"/>. The library is data: another platform's exports are another set of declarations.</remarks>
/// <param name="library">The library that exports the function (<see cref="HookLibraries"/>).</param>
/// <param name="function">The exported function's name, also its Status name.</param>
[AttributeUsage(AttributeTargets.Method | AttributeTargets.Class, AllowMultiple = true)]
internal sealed class NativeHookAttribute(string library, string function) : Attribute
{
    /// <summary>The library that exports the function.</summary>
    public string Library { get; } = library;

    /// <summary>The exported function's name.</summary>
    public string Function { get; } = function;

    /// <summary>Which calls the gate diverts to the handler.</summary>
    public NativeGate Gate { get; set; }

    /// <summary>How the function changes the set of tracked sockets (kept by the gate, on every thread).</summary>
    public Bookkeeping Bookkeeping { get; set; }
}
