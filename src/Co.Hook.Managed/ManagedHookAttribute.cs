namespace Co.Hook.Managed;

/// <summary>
/// Declares a managed hook on its replacement — the one place a detoured method is written down: calls to
/// <paramref name="method"/> of <paramref name="type"/> run the replacement, whose parameters are the target's (the
/// instance first, unless <see cref="Static"/>), and which reaches the original code through its generated
/// <c>{Replacement}Original</c> function pointer.
/// </summary>
/// <remarks>Co.Hook.Generator turns each declaration into that function pointer, the target's reflection lookup (its
/// parameter types are the replacement's), its Status name ("Socket.Receive(Span&lt;byte&gt;, SocketFlags, out
/// SocketError)"), its <see cref="ManagedHookId"/> counter, and a row of <see cref="ManagedHookTable"/>.</remarks>
/// <param name="type">The type declaring the target.</param>
/// <param name="method">The target's name (public or not).</param>
[AttributeUsage(AttributeTargets.Method)]
internal sealed class ManagedHookAttribute(Type type, string method) : Attribute
{
    /// <summary>The type declaring the target.</summary>
    public Type Type { get; } = type;

    /// <summary>The target's name.</summary>
    public string Method { get; } = method;

    /// <summary>Whether the target is static (then the replacement has no instance parameter).</summary>
    public bool Static { get; set; }

    /// <summary>Appended to the Status name in parentheses: which public calls reach a private target.</summary>
    public string? Note { get; set; }
}
