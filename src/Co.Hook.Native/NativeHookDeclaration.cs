using Co.Hook.Gates;

namespace Co.Hook;

/// <summary>One row of <see cref="NativeHookTable"/>, generated from a <see cref="NativeHookAttribute"/>.</summary>
/// <param name="Library">The library that exports the function.</param>
/// <param name="Function">The function, also its Status name and its diversion counter's tag.</param>
/// <param name="Gate">Which calls the gate diverts.</param>
/// <param name="Bookkeeping">How the gate keeps the socket bitmap.</param>
/// <param name="Handler">The handler's entry point, or 0 for a gate that only keeps the bitmap.</param>
/// <param name="PublishOriginal">Stores the original's entry point in the handler's function pointer; null without a handler.</param>
internal sealed record NativeHookDeclaration(
    string Library,
    string Function,
    NativeGate Gate,
    Bookkeeping Bookkeeping,
    nint Handler,
    Action<nint>? PublishOriginal);
