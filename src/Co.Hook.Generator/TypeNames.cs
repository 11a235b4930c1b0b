using Microsoft.CodeAnalysis;

namespace Co.Hook.Generator
{
    /// <summary>How the generated code spells types: fully qualified for code (with or without nullable annotations),
    /// by name only for the Status names people read ("Socket.Receive(Span&lt;byte&gt;, SocketFlags, out SocketError)").</summary>
    internal static class TypeNames
    {
        /// <summary>global::-qualified, keywords for special types, nullable annotations kept (function-pointer types).</summary>
        public static readonly SymbolDisplayFormat Annotated = SymbolDisplayFormat.FullyQualifiedFormat
            .AddMiscellaneousOptions(SymbolDisplayMiscellaneousOptions.IncludeNullableReferenceTypeModifier);

        /// <summary>global::-qualified without nullable annotations (typeof operands).</summary>
        public static readonly SymbolDisplayFormat Plain = SymbolDisplayFormat.FullyQualifiedFormat;

        /// <summary>Type names without namespaces or annotations: "byte[]", "IList&lt;ArraySegment&lt;byte&gt;&gt;".</summary>
        public static readonly SymbolDisplayFormat Short = new SymbolDisplayFormat(
            typeQualificationStyle: SymbolDisplayTypeQualificationStyle.NameOnly,
            genericsOptions: SymbolDisplayGenericsOptions.IncludeTypeParameters,
            miscellaneousOptions: SymbolDisplayMiscellaneousOptions.UseSpecialTypes);

        /// <summary>"ref ", "out ", "in " or "" for a parameter.</summary>
        public static string RefPrefix(IParameterSymbol parameter) => parameter.RefKind switch
        {
            RefKind.Ref => "ref ",
            RefKind.Out => "out ",
            RefKind.In => "in ",
            _ => "",
        };

        /// <summary>The declaration keywords of a top-level type, for the generated part of a partial class.</summary>
        public static string PartialClassHeader(INamedTypeSymbol type) =>
            (type.DeclaredAccessibility == Accessibility.Public ? "public " : "internal ")
            + (type.IsStatic ? "static " : "") + "unsafe partial class " + type.Name;

        /// <summary>The name of an enum member of <paramref name="value"/>'s type holding it, qualified.</summary>
        public static string EnumMember(TypedConstant value)
        {
            foreach (ISymbol member in value.Type!.GetMembers())
            {
                if (member is IFieldSymbol { HasConstantValue: true } field && Equals(field.ConstantValue, value.Value))
                {
                    return value.Type.ToDisplayString(Plain) + "." + field.Name;
                }
            }

            return "(" + value.Type.ToDisplayString(Plain) + ")" + value.Value;
        }
    }
}
