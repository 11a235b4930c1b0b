namespace Co.Hook.Managed;

/// <summary>
/// On a parameter of a <see cref="ManagedHookAttribute"/> replacement: the target's parameter has the type
/// <paramref name="typeName"/> of System.Private.CoreLib, which the replacement cannot name (internal, nested), so it
/// declares a type of the same size and representation instead (an enum's underlying integer type). The generator looks
/// the target up with the named type; a runtime without it leaves the hook off as a method this runtime lacks.
/// </summary>
/// <param name="typeName">The type's full name, nested types after '+'.</param>
[AttributeUsage(AttributeTargets.Parameter)]
internal sealed class CoreLibTypeAttribute(string typeName) : Attribute
{
    /// <summary>The type's full name.</summary>
    public string TypeName { get; } = typeName;
}
