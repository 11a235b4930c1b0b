using Iced.Intel;

namespace Co.Hook.Detours;

/// <summary>Collects the bytes Iced's encoders write, for copying into executable memory afterwards.</summary>
internal sealed class ByteCodeWriter : CodeWriter
{
    private readonly List<byte> _bytes = [];

    public override void WriteByte(byte value) => _bytes.Add(value);

    public byte[] ToArray() => _bytes.ToArray();
}
