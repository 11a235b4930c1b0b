using System.Collections.Generic;
using System.Linq;
using System.Text;
using Microsoft.CodeAnalysis;

namespace Co.Hook.Generator
{
    /// <summary>
    /// Turns each <c>[ManagedHook(typeof(T), "Method", …)]</c> on a replacement method of the managed hook layer into
    /// everything else the hook needs, so that its signature is written once — the replacement's own parameters (the
    /// target's, with the instance first for an instance method):
    /// <list type="bullet">
    /// <item>the <c>{Replacement}Original</c> field: a managed function pointer of that signature, through which the
    /// replacement calls the original code with no indirection;</item>
    /// <item>the target's reflection lookup (its parameter types, from the replacement's) and its Status name,
    /// "Type.Method(parameter types)" plus the declaration's note;</item>
    /// <item>a member of the <c>ManagedHookId</c> enum (the per-method diversion counter) named as the replacement;</item>
    /// <item>a row of <c>ManagedHookTable.Declarations</c> holding all of the above.</item>
    /// </list>
    /// </summary>
    [Generator]
    public sealed class ManagedHookGenerator : IIncrementalGenerator
    {
        private const string AttributeName = "Co.Hook.Managed.ManagedHookAttribute";
        private const string CoreLibTypeAttributeName = "Co.Hook.Managed.CoreLibTypeAttribute";

        /// <inheritdoc/>
        public void Initialize(IncrementalGeneratorInitializationContext context)
        {
            IncrementalValuesProvider<ManagedHookRow> rows = context.SyntaxProvider.ForAttributeWithMetadataName(
                AttributeName,
                static (node, _) => true,
                static (attributed, _) => Row(attributed));
            context.RegisterSourceOutput(rows.Collect(), static (output, all) => Emit(output, all.ToList()));
        }

        private static ManagedHookRow Row(GeneratorAttributeSyntaxContext attributed)
        {
            var replacement = (IMethodSymbol)attributed.TargetSymbol;
            AttributeData attribute = attributed.Attributes[0];
            var targetType = (INamedTypeSymbol)attribute.ConstructorArguments[0].Value!;
            string targetMethod = (string)attribute.ConstructorArguments[1].Value!;
            bool isStatic = false;
            string? note = null;
            foreach (KeyValuePair<string, TypedConstant> named in attribute.NamedArguments)
            {
                if (named.Key == "Static")
                {
                    isStatic = (bool)named.Value.Value!;
                }
                else if (named.Key == "Note")
                {
                    note = (string?)named.Value.Value;
                }
            }

            IEnumerable<IParameterSymbol> targetParameters = replacement.Parameters.Skip(isStatic ? 0 : 1);
            string lookup = string.Join(", ", targetParameters.Select(p =>
                (CoreLibTypeOf(p) is { } coreLibType
                    ? $"(typeof(object).Assembly.GetType(\"{coreLibType}\") ?? typeof(void))"
                    : $"typeof({p.Type.ToDisplayString(TypeNames.Plain)})")
                + (p.RefKind == RefKind.None ? "" : ".MakeByRefType()")));
            string name = $"{targetType.Name}.{targetMethod}({string.Join(", ", targetParameters.Select(p => TypeNames.RefPrefix(p) + (CoreLibTypeOf(p) is { } coreLibType ? ShortName(coreLibType) : p.Type.ToDisplayString(TypeNames.Short))))})"
                + (note is null ? "" : $" ({note})");
            string pointer = "delegate*<"
                + string.Join(", ", replacement.Parameters.Select(p => TypeNames.RefPrefix(p) + p.Type.ToDisplayString(TypeNames.Annotated)).Concat(new[] { replacement.ReturnType.ToDisplayString(TypeNames.Annotated) }))
                + ">";
            INamedTypeSymbol owner = replacement.ContainingType;
            string order = GeneratedCode.SourceOrder(attributed.TargetNode);
            return new ManagedHookRow(order, name, targetType.ToDisplayString(TypeNames.Plain), targetMethod, isStatic, lookup,
                owner.ContainingNamespace.ToDisplayString(), TypeNames.PartialClassHeader(owner), owner.ToDisplayString(TypeNames.Plain), replacement.Name, pointer);
        }

        /// <summary>The type a <c>[CoreLibType("...")]</c> parameter stands for (the target's parameter type, named in
        /// System.Private.CoreLib because the replacement cannot name it), or null.</summary>
        private static string? CoreLibTypeOf(IParameterSymbol parameter) =>
            parameter.GetAttributes().FirstOrDefault(a => a.AttributeClass?.ToDisplayString() == CoreLibTypeAttributeName)?.ConstructorArguments[0].Value as string;

        /// <summary>"WaitHandleWaitSourceMap" for "System.Diagnostics.Tracing.NativeRuntimeEventSource+WaitHandleWaitSourceMap".</summary>
        private static string ShortName(string typeName) => typeName.Substring(typeName.LastIndexOfAny(new[] { '.', '+' }) + 1);

        private static void Emit(SourceProductionContext output, List<ManagedHookRow> rows)
        {
            if (rows.Count == 0)
            {
                return;
            }

            rows.Sort((a, b) => string.CompareOrdinal(a.Order, b.Order));
            var code = new StringBuilder();
            code.AppendLine("// <auto-generated/> by Co.Hook.Generator.ManagedHookGenerator from the [ManagedHook] declarations.");
            code.AppendLine("#nullable enable");
            GeneratedCode.AppendOriginals(code, rows.Select(r => new OriginalField(r.Namespace, r.OwnerHeader, r.OwnerName, r.Replacement, r.Pointer, "code of " + Escape(r.Name))));
            code.AppendLine("namespace Co.Hook.Managed");
            code.AppendLine("{");
            code.AppendLine("    /// <summary>The managed layer's detoured methods, one per [ManagedHook] declaration, named as their replacements");
            code.AppendLine("    /// (the index of their diversion counters).</summary>");
            code.AppendLine("    internal enum ManagedHookId");
            code.AppendLine("    {");
            foreach (ManagedHookRow row in rows)
            {
                code.AppendLine($"        /// <summary>{Escape(row.Name)}.</summary>");
                code.AppendLine($"        {row.Replacement},");
            }

            code.AppendLine("    }");
            code.AppendLine();
            code.AppendLine("    internal static unsafe partial class ManagedHookTable");
            code.AppendLine("    {");
            code.AppendLine("        private const global::System.Reflection.BindingFlags Instance = global::System.Reflection.BindingFlags.Instance | global::System.Reflection.BindingFlags.Public | global::System.Reflection.BindingFlags.NonPublic;");
            code.AppendLine("        private const global::System.Reflection.BindingFlags Static = global::System.Reflection.BindingFlags.Static | global::System.Reflection.BindingFlags.Public | global::System.Reflection.BindingFlags.NonPublic;");
            code.AppendLine();
            code.AppendLine("        /// <summary>Every [ManagedHook] declaration of this assembly, in source order; a target this runtime lacks is null.</summary>");
            code.AppendLine("        public static global::Co.Hook.Managed.ManagedHookDeclaration[] Declarations() =>");
            code.AppendLine("        [");
            foreach (ManagedHookRow row in rows)
            {
                code.AppendLine($"            new(ManagedHookId.{row.Replacement}, \"{row.Name}\",");
                code.AppendLine($"                typeof({row.TargetType}).GetMethod(\"{row.TargetMethod}\", {(row.IsStatic ? "Static" : "Instance")}, [{row.Lookup}]),");
                code.AppendLine($"                typeof({row.OwnerName}).GetMethod(nameof({row.OwnerName}.{row.Replacement}), Static)!,");
                code.AppendLine($"                static original => {row.OwnerName}.{row.Replacement}Original = ({row.Pointer})original),");
            }

            code.AppendLine("        ];");
            code.AppendLine("    }");
            code.AppendLine("}");
            output.AddSource("ManagedHookTable.g.cs", code.ToString());
        }

        private static string Escape(string text) => text.Replace("&", "&amp;").Replace("<", "&lt;").Replace(">", "&gt;");

        /// <summary>One declaration, as text (value equality keeps the generator incremental).</summary>
        private sealed record ManagedHookRow(
            string Order,
            string Name,
            string TargetType,
            string TargetMethod,
            bool IsStatic,
            string Lookup,
            string Namespace,
            string OwnerHeader,
            string OwnerName,
            string Replacement,
            string Pointer);
    }
}
