namespace Haven.Adapters.Fencing.Snmp;

/// <summary>
/// Writes definite-length BER with minimal lengths and minimal two's-complement integers. A
/// constructed element is opened with <see cref="Begin"/> and its header written by <see cref="End"/>.
/// </summary>
internal sealed class BerWriter
{
    private readonly List<byte> buffer = new(256);
    private readonly Stack<(int Start, byte Tag)> open = new();

    public void Begin(byte tag) => open.Push((buffer.Count, tag));

    public void End()
    {
        var (start, tag) = open.Pop();
        var header = new List<byte>(6) { tag };
        AppendLength(header, buffer.Count - start);
        buffer.InsertRange(start, header);
    }

    public void WritePrimitive(byte tag, ReadOnlySpan<byte> content)
    {
        buffer.Add(tag);
        AppendLength(buffer, content.Length);
        foreach (var b in content)
        {
            buffer.Add(b);
        }
    }

    public void WriteSigned(byte tag, long value) => WritePrimitive(tag, SignedBytes(value));

    public void WriteUnsigned(byte tag, ulong value)
    {
        Span<byte> bytes = stackalloc byte[9];
        for (var i = 8; i >= 1; i--)
        {
            bytes[i] = (byte)value;
            value >>= 8;
        }

        var start = 0;
        while (start < 8 && bytes[start] == 0 && (bytes[start + 1] & 0x80) == 0)
        {
            start++;
        }

        WritePrimitive(tag, bytes[start..]);
    }

    public void WriteOid(byte tag, Oid oid)
    {
        var content = new List<byte>(oid.Length + 4);
        AppendBase128(content, (ulong)oid[0] * 40 + oid[1]);
        for (var i = 2; i < oid.Length; i++)
        {
            AppendBase128(content, oid[i]);
        }

        WritePrimitive(tag, content.ToArray());
    }

    public byte[] ToArray() => open.Count == 0 ? buffer.ToArray() : throw new InvalidOperationException($"{open.Count} constructed elements are still open");

    private static byte[] SignedBytes(long value)
    {
        var bytes = new byte[8];
        for (var i = 7; i >= 0; i--)
        {
            bytes[i] = (byte)value;
            value >>= 8;
        }

        var start = 0;
        while (start < 7 && ((bytes[start] == 0x00 && (bytes[start + 1] & 0x80) == 0) || (bytes[start] == 0xFF && (bytes[start + 1] & 0x80) != 0)))
        {
            start++;
        }

        return bytes[start..];
    }

    private static void AppendLength(List<byte> target, int length)
    {
        if (length < 0x80)
        {
            target.Add((byte)length);
            return;
        }

        var count = length > 0xFFFFFF ? 4 : length > 0xFFFF ? 3 : length > 0xFF ? 2 : 1;
        target.Add((byte)(0x80 | count));
        for (var i = count - 1; i >= 0; i--)
        {
            target.Add((byte)(length >> (8 * i)));
        }
    }

    private static void AppendBase128(List<byte> target, ulong value)
    {
        Span<byte> groups = stackalloc byte[10];
        var n = 0;
        do
        {
            groups[n++] = (byte)(value & 0x7F);
            value >>= 7;
        }
        while (value != 0);

        for (var i = n - 1; i >= 0; i--)
        {
            target.Add((byte)(groups[i] | (i > 0 ? 0x80 : 0)));
        }
    }
}
