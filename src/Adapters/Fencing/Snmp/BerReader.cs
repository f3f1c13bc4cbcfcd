namespace Haven.Adapters.Fencing.Snmp;

/// <summary>
/// A strict reader of definite-length BER over one buffer. Offsets are absolute in the buffer, so a
/// <see cref="SnmpDecodeException"/> points at the offending byte. Rejects indefinite lengths, the
/// high tag number form, lengths beyond the enclosing element and nesting deeper than the limit.
/// </summary>
internal ref struct BerReader
{
    public const int DefaultMaxDepth = 8;

    private readonly ReadOnlySpan<byte> data;
    private readonly int end;
    private readonly int depth;
    private readonly int maxDepth;
    private int position;

    public BerReader(ReadOnlySpan<byte> data, int maxDepth = DefaultMaxDepth)
        : this(data, 0, data.Length, 0, maxDepth)
    {
    }

    private BerReader(ReadOnlySpan<byte> data, int start, int end, int depth, int maxDepth)
    {
        this.data = data;
        position = start;
        this.end = end;
        this.depth = depth;
        this.maxDepth = maxDepth;
    }

    public readonly bool HasMore => position < end;

    public readonly int Position => position;

    /// <summary>The next element's tag without consuming it.</summary>
    public readonly byte PeekTag(string what)
    {
        if (position >= end)
        {
            throw new SnmpDecodeException(position, $"expected {what}, found the end of the enclosing element");
        }

        return data[position];
    }

    /// <summary>Reads one element's header; returns its tag and content, and moves past it.</summary>
    public Element Read(string what)
    {
        var at = position;
        var tag = PeekTag(what);
        if ((tag & 0x1F) == 0x1F)
        {
            throw new SnmpDecodeException(at, $"tag 0x{tag:X2} of {what} uses the high tag number form, which SNMP never uses");
        }

        position++;
        if (position >= end)
        {
            throw new SnmpDecodeException(position, $"{what} has a tag but no length");
        }

        var first = data[position++];
        int length;
        if (first < 0x80)
        {
            length = first;
        }
        else if (first == 0x80)
        {
            throw new SnmpDecodeException(position - 1, $"{what} has an indefinite length, which SNMP forbids");
        }
        else
        {
            var count = first & 0x7F;
            if (count > 4)
            {
                throw new SnmpDecodeException(position - 1, $"length of {what} has {count} length octets (at most 4)");
            }

            if (position + count > end)
            {
                throw new SnmpDecodeException(position, $"length of {what} is cut off ({count} octets announced, {end - position} left)");
            }

            long value = 0;
            for (var i = 0; i < count; i++)
            {
                value = (value << 8) | data[position++];
            }

            if (value > int.MaxValue)
            {
                throw new SnmpDecodeException(position - count - 1, $"length {value} of {what} is too large");
            }

            length = (int)value;
        }

        if (length > end - position)
        {
            throw new SnmpDecodeException(at, $"{what} announces {length} content bytes but only {end - position} remain");
        }

        var element = new Element(tag, at, position, length);
        position += length;
        return element;
    }

    /// <summary>Reads a primitive element with exactly <paramref name="tag"/>; returns its content.</summary>
    public ReadOnlySpan<byte> ReadPrimitive(byte tag, string what)
    {
        var element = Read(what);
        if (element.Tag != tag)
        {
            throw new SnmpDecodeException(element.Offset, $"expected {what} (tag 0x{tag:X2}), found tag 0x{element.Tag:X2}");
        }

        return Content(element);
    }

    /// <summary>Reads a constructed element with <paramref name="tag"/>; returns a reader over its content.</summary>
    public BerReader ReadConstructed(byte tag, string what)
    {
        var element = Read(what);
        if (element.Tag != tag)
        {
            throw new SnmpDecodeException(element.Offset, $"expected {what} (tag 0x{tag:X2}), found tag 0x{element.Tag:X2}");
        }

        return Enter(element, what);
    }

    /// <summary>A reader over the content of a constructed element already read.</summary>
    public readonly BerReader Enter(Element element, string what)
    {
        if ((element.Tag & 0x20) == 0)
        {
            throw new SnmpDecodeException(element.Offset, $"{what} (tag 0x{element.Tag:X2}) is not a constructed element");
        }

        if (depth + 1 > maxDepth)
        {
            throw new SnmpDecodeException(element.Offset, $"{what} is nested deeper than {maxDepth} levels");
        }

        return new BerReader(data, element.ContentOffset, element.ContentOffset + element.Length, depth + 1, maxDepth);
    }

    /// <summary>
    /// A reader over the content of a primitive OCTET STRING that itself holds BER (v3's
    /// msgSecurityParameters); offsets stay absolute in the datagram.
    /// </summary>
    public readonly BerReader EnterEncapsulated(Element element, string what)
    {
        if (depth + 1 > maxDepth)
        {
            throw new SnmpDecodeException(element.Offset, $"{what} is nested deeper than {maxDepth} levels");
        }

        return new BerReader(data, element.ContentOffset, element.ContentOffset + element.Length, depth + 1, maxDepth);
    }

    public readonly ReadOnlySpan<byte> Content(Element element) => data.Slice(element.ContentOffset, element.Length);

    /// <summary>Throws unless every byte of this element has been read.</summary>
    public readonly void ExpectEnd(string what)
    {
        if (position < end)
        {
            throw new SnmpDecodeException(position, $"{end - position} unexpected bytes after {what}");
        }
    }

    /// <summary>One element: tag, where it starts, where its content starts and how long it is.</summary>
    public readonly record struct Element(byte Tag, int Offset, int ContentOffset, int Length);
}
