using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Text;
using Microsoft.CodeAnalysis;

namespace Co.Hook.Generator
{
    /// <summary>One generated <c>{Handler}Original</c> field: the function pointer through which a hook's handler
    /// reaches the original code, declared in a partial of the handler's own class.</summary>
    internal sealed class OriginalField
    {
        public OriginalField(string ownerNamespace, string ownerHeader, string ownerName, string handler, string pointer, string what)
        {
            OwnerNamespace = ownerNamespace;
            OwnerHeader = ownerHeader;
            OwnerName = ownerName;
            Handler = handler;
            Pointer = pointer;
            What = what;
        }

        public string OwnerNamespace { get; }

        /// <summary>The partial class header of the owner ("internal static unsafe partial class SocketHandlers").</summary>
        public string OwnerHeader { get; }

        public string OwnerName { get; }

        public string Handler { get; }

        /// <summary>The function-pointer type of the field.</summary>
        public string Pointer { get; }

        /// <summary>What the original is, for the field's summary ("recv", "Socket.Receive(...)").</summary>
        public string What { get; }
    }

    /// <summary>What both generators write the same way.</summary>
    internal static class GeneratedCode
    {
        /// <summary>A key that sorts declarations in source order: file, then position.</summary>
        public static string SourceOrder(SyntaxNode node)
        {
            Location location = node.GetLocation();
            return location.SourceTree?.FilePath + ":" + location.SourceSpan.Start.ToString("D8", CultureInfo.InvariantCulture);
        }

        /// <summary>Appends the <c>{Handler}Original</c> fields, one partial class per owner.</summary>
        public static void AppendOriginals(StringBuilder code, IEnumerable<OriginalField> fields)
        {
            foreach (IGrouping<string, OriginalField> owner in fields.GroupBy(f => f.OwnerName))
            {
                OriginalField first = owner.First();
                code.AppendLine($"namespace {first.OwnerNamespace}");
                code.AppendLine("{");
                code.AppendLine($"    {first.OwnerHeader}");
                code.AppendLine("    {");
                foreach (OriginalField field in owner)
                {
                    if (field != first)
                    {
                        code.AppendLine();
                    }

                    code.AppendLine($"        /// <summary>The original {field.What} (its detour's trampoline), set before the detour's jump is written.</summary>");
                    code.AppendLine($"        internal static {field.Pointer} {field.Handler}Original;");
                }

                code.AppendLine("    }");
                code.AppendLine("}");
                code.AppendLine();
            }
        }
    }
}
