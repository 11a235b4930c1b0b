using System.Reflection;

namespace Co.Hook.Managed;

/// <summary>One row of <see cref="ManagedHookTable"/>, generated from a <see cref="ManagedHookAttribute"/>.</summary>
/// <param name="Hook">Its diversion counter.</param>
/// <param name="Name">Its Status name, also its co.hooks.diverted tag.</param>
/// <param name="Target">The detoured method; null when this runtime lacks it.</param>
/// <param name="Replacement">The replacement.</param>
/// <param name="PublishOriginal">Stores the original code's entry point in the replacement's function pointer.</param>
internal sealed record ManagedHookDeclaration(
    ManagedHookId Hook,
    string Name,
    MethodInfo? Target,
    MethodInfo Replacement,
    Action<nint> PublishOriginal);
