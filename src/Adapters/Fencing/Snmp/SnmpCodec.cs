using System.Collections.Immutable;
using System.Net;

namespace Haven.Adapters.Fencing.Snmp;

/// <summary>
/// Encodes and decodes SNMP v1/v2c messages (RFC 1157, RFC 3416) in BER (X.690). Decoding is strict:
/// anything malformed — lengths beyond the buffer, indefinite lengths, integers longer or wider than
/// their type or not minimally encoded, bad OID encodings, unknown tags, trailing bytes, nesting too
/// deep — raises <see cref="SnmpDecodeException"/> with the offset and the reason, and nothing else.
/// </summary>
public static class SnmpCodec
{
    /// <summary>The largest datagram the codec accepts or produces (the UDP payload limit).</summary>
    public const int MaxMessageSize = 65507;

    public static byte[] Encode(SnmpMessage message)
    {
        ArgumentNullException.ThrowIfNull(message);
        var pdu = message.Pdu;
        if (message.Version is not (SnmpVersion.V1 or SnmpVersion.V2c))
        {
            throw new ArgumentException($"{message.Version} messages are encoded by {nameof(SnmpV3Codec)}", nameof(message));
        }

        CheckPduType(message.Version, (byte)pdu.Type, -1, error => new ArgumentException(error, nameof(message)));
        var writer = new BerWriter();
        writer.Begin(SnmpTag.Sequence);
        writer.WriteSigned(SnmpTag.Integer, (int)message.Version);
        writer.WritePrimitive(SnmpTag.OctetString, message.Community);
        WritePdu(writer, pdu, message.Version);
        writer.End();
        var bytes = writer.ToArray();
        return bytes.Length <= MaxMessageSize
            ? bytes
            : throw new ArgumentException($"the encoded message has {bytes.Length} bytes, more than a datagram holds ({MaxMessageSize})", nameof(message));
    }

    /// <summary>Writes a PDU (tag, request-id, error-status, error-index, bindings); v3 uses the v2c rules.</summary>
    internal static void WritePdu(BerWriter writer, SnmpPdu pdu, SnmpVersion version)
    {
        writer.Begin((byte)pdu.Type);
        writer.WriteSigned(SnmpTag.Integer, pdu.RequestId);
        writer.WriteSigned(SnmpTag.Integer, pdu.ErrorStatus);
        writer.WriteSigned(SnmpTag.Integer, pdu.ErrorIndex);
        writer.Begin(SnmpTag.Sequence);
        foreach (var binding in pdu.VarBinds)
        {
            if (version == SnmpVersion.V1 && binding.Value is SnmpCounter64 or SnmpException)
            {
                throw new ArgumentException($"{binding.Value} cannot be sent in an SNMPv1 message ({binding.Oid})", nameof(pdu));
            }

            writer.Begin(SnmpTag.Sequence);
            writer.WriteOid(SnmpTag.ObjectIdentifier, binding.Oid);
            WriteValue(writer, binding.Value);
            writer.End();
        }

        writer.End();
        writer.End();
    }

    public static SnmpMessage Decode(ReadOnlySpan<byte> datagram)
    {
        if (datagram.Length > MaxMessageSize)
        {
            throw new SnmpDecodeException(MaxMessageSize, $"datagram of {datagram.Length} bytes is larger than {MaxMessageSize}");
        }

        var top = new BerReader(datagram);
        var message = top.ReadConstructed(SnmpTag.Sequence, "the message SEQUENCE");
        top.ExpectEnd("the message");

        var versionAt = message.Position;
        var versionNumber = ReadInt32(ref message, "the version");
        if (versionNumber is not (0 or 1))
        {
            throw new SnmpDecodeException(versionAt, $"unsupported SNMP version {versionNumber} (only 0 = v1 and 1 = v2c)");
        }

        var version = (SnmpVersion)versionNumber;
        var community = message.ReadPrimitive(SnmpTag.OctetString, "the community OCTET STRING");
        var pdu = ReadPdu(ref message, version);
        message.ExpectEnd("the PDU");
        return new SnmpMessage(version, community, pdu);
    }

    /// <summary>Reads one PDU element and checks it strictly; v3 uses the v2c rules.</summary>
    internal static SnmpPdu ReadPdu(ref BerReader message, SnmpVersion version)
    {
        var pduElement = message.Read("the PDU");
        CheckPduType(version, pduElement.Tag, pduElement.Offset, error => new SnmpDecodeException(pduElement.Offset, error));
        var pdu = message.Enter(pduElement, "the PDU");

        var requestId = ReadInt32(ref pdu, "the request-id");
        var statusAt = pdu.Position;
        var errorStatus = ReadInt32(ref pdu, "the error-status");
        var indexAt = pdu.Position;
        var errorIndex = ReadInt32(ref pdu, "the error-index");
        var type = (SnmpPduType)pduElement.Tag;
        if (type == SnmpPduType.GetBulkRequest)
        {
            if (errorStatus < 0 || errorIndex < 0)
            {
                throw new SnmpDecodeException(errorStatus < 0 ? statusAt : indexAt, "non-repeaters and max-repetitions must not be negative");
            }
        }
        else
        {
            var maxStatus = version == SnmpVersion.V1 ? (int)SnmpErrorStatus.GenErr : (int)SnmpErrorStatus.InconsistentName;
            if (errorStatus < 0 || errorStatus > maxStatus)
            {
                throw new SnmpDecodeException(statusAt, $"error-status {errorStatus} is not defined for {version} (0..{maxStatus})");
            }

            if (errorIndex < 0)
            {
                throw new SnmpDecodeException(indexAt, $"error-index {errorIndex} is negative");
            }
        }

        var list = pdu.ReadConstructed(SnmpTag.Sequence, "the variable-bindings SEQUENCE");
        pdu.ExpectEnd("the variable-bindings");
        var bindings = ImmutableArray.CreateBuilder<VarBind>();
        while (list.HasMore)
        {
            var binding = list.ReadConstructed(SnmpTag.Sequence, "a variable binding SEQUENCE");
            var oidElement = binding.Read("the name of a variable binding");
            if (oidElement.Tag != SnmpTag.ObjectIdentifier)
            {
                throw new SnmpDecodeException(oidElement.Offset, $"expected the name OBJECT IDENTIFIER of a variable binding, found tag 0x{oidElement.Tag:X2}");
            }

            var oid = DecodeOid(binding.Content(oidElement), oidElement.ContentOffset);
            var value = ReadValue(ref binding, version);
            binding.ExpectEnd("the value of a variable binding");
            bindings.Add(new VarBind(oid, value));
        }

        if (errorIndex > bindings.Count && type != SnmpPduType.GetBulkRequest)
        {
            throw new SnmpDecodeException(indexAt, $"error-index {errorIndex} points past the {bindings.Count} variable bindings");
        }

        return new SnmpPdu(type, requestId, errorStatus, errorIndex, bindings.ToImmutable());
    }

    private static void CheckPduType<TException>(SnmpVersion version, byte tag, int offset, Func<string, TException> error)
        where TException : Exception
    {
        var known = tag is >= 0xA0 and <= 0xA3 or >= 0xA5 and <= 0xA8;
        if (!known)
        {
            throw error(tag == 0xA4
                ? "the SNMPv1 Trap PDU (tag 0xA4) is not supported"
                : $"unknown PDU type tag 0x{tag:X2}");
        }

        if (version == SnmpVersion.V1 && tag >= 0xA5)
        {
            throw error($"PDU {(SnmpPduType)tag} (tag 0x{tag:X2}) does not exist in SNMPv1");
        }

        _ = offset;
    }

    private static void WriteValue(BerWriter writer, SnmpValue value)
    {
        switch (value)
        {
            case SnmpInteger i: writer.WriteSigned(SnmpTag.Integer, i.Value); break;
            case SnmpOctetString s: writer.WritePrimitive(SnmpTag.OctetString, s.Bytes); break;
            case SnmpNull: writer.WritePrimitive(SnmpTag.Null, []); break;
            case SnmpObjectIdentifier o: writer.WriteOid(SnmpTag.ObjectIdentifier, o.Value); break;
            case SnmpIpAddress a: writer.WritePrimitive(SnmpTag.IpAddress, a.Address.GetAddressBytes()); break;
            case SnmpCounter32 c: writer.WriteUnsigned(SnmpTag.Counter32, c.Value); break;
            case SnmpGauge32 g: writer.WriteUnsigned(SnmpTag.Gauge32, g.Value); break;
            case SnmpTimeTicks t: writer.WriteUnsigned(SnmpTag.TimeTicks, t.Value); break;
            case SnmpCounter64 c: writer.WriteUnsigned(SnmpTag.Counter64, c.Value); break;
            case SnmpOpaque o: writer.WritePrimitive(SnmpTag.Opaque, o.Bytes); break;
            case SnmpException e: writer.WritePrimitive(e.Tag, []); break;
            default: throw new ArgumentException($"cannot encode value {value}", nameof(value));
        }
    }

    private static SnmpValue ReadValue(ref BerReader reader, SnmpVersion version)
    {
        var element = reader.Read("the value of a variable binding");
        var content = reader.Content(element);
        var at = element.ContentOffset;
        switch (element.Tag)
        {
            case SnmpTag.Integer:
                return new SnmpInteger((int)DecodeSigned(content, at, 4, "an INTEGER (Integer32)"));
            case SnmpTag.OctetString:
                return new SnmpOctetString(content);
            case SnmpTag.Null:
                ExpectEmpty(content, at, "NULL");
                return SnmpNull.Instance;
            case SnmpTag.ObjectIdentifier:
                return new SnmpObjectIdentifier(DecodeOid(content, at));
            case SnmpTag.IpAddress:
                return content.Length == 4
                    ? new SnmpIpAddress(new IPAddress(content))
                    : throw new SnmpDecodeException(element.Offset, $"an IpAddress has 4 bytes, found {content.Length}");
            case SnmpTag.Counter32:
                return new SnmpCounter32((uint)DecodeUnsigned(content, at, 4, "a Counter32"));
            case SnmpTag.Gauge32:
                return new SnmpGauge32((uint)DecodeUnsigned(content, at, 4, "a Gauge32"));
            case SnmpTag.TimeTicks:
                return new SnmpTimeTicks((uint)DecodeUnsigned(content, at, 4, "a TimeTicks"));
            case SnmpTag.Opaque:
                return new SnmpOpaque(content);
            case SnmpTag.Counter64 when version != SnmpVersion.V1:
                return new SnmpCounter64(DecodeUnsigned(content, at, 8, "a Counter64"));
            case SnmpTag.NoSuchObject or SnmpTag.NoSuchInstance or SnmpTag.EndOfMibView when version != SnmpVersion.V1:
                ExpectEmpty(content, at, "an exception value");
                return element.Tag switch
                {
                    SnmpTag.NoSuchObject => SnmpException.NoSuchObject,
                    SnmpTag.NoSuchInstance => SnmpException.NoSuchInstance,
                    _ => SnmpException.EndOfMibView,
                };
            case SnmpTag.Counter64 or SnmpTag.NoSuchObject or SnmpTag.NoSuchInstance or SnmpTag.EndOfMibView:
                throw new SnmpDecodeException(element.Offset, $"value tag 0x{element.Tag:X2} does not exist in SNMPv1");
            default:
                throw new SnmpDecodeException(element.Offset, $"unknown or unsupported value tag 0x{element.Tag:X2}");
        }
    }

    private static void ExpectEmpty(ReadOnlySpan<byte> content, int at, string what)
    {
        if (content.Length != 0)
        {
            throw new SnmpDecodeException(at, $"{what} must have no content, found {content.Length} bytes");
        }
    }

    private static int ReadInt32(ref BerReader reader, string what)
    {
        var element = reader.Read(what);
        if (element.Tag != SnmpTag.Integer)
        {
            throw new SnmpDecodeException(element.Offset, $"expected {what} INTEGER, found tag 0x{element.Tag:X2}");
        }

        return (int)DecodeSigned(reader.Content(element), element.ContentOffset, 4, $"{what} INTEGER");
    }

    /// <summary>A minimal two's-complement integer of at most <paramref name="maxBytes"/> bytes.</summary>
    internal static long DecodeSigned(ReadOnlySpan<byte> content, int at, int maxBytes, string what)
    {
        CheckIntegerBytes(content, at, maxBytes, what);
        long value = (sbyte)content[0];
        for (var i = 1; i < content.Length; i++)
        {
            value = (value << 8) | content[i];
        }

        return value;
    }

    /// <summary>A non-negative minimal integer that fits in <paramref name="maxValueBytes"/> unsigned bytes.</summary>
    internal static ulong DecodeUnsigned(ReadOnlySpan<byte> content, int at, int maxValueBytes, string what)
    {
        // One more byte is allowed for the leading zero that keeps a large value positive.
        CheckIntegerBytes(content, at, maxValueBytes + 1, what);
        if ((content[0] & 0x80) != 0)
        {
            throw new SnmpDecodeException(at, $"{what} is negative");
        }

        if (content.Length == maxValueBytes + 1 && content[0] != 0)
        {
            throw new SnmpDecodeException(at, $"{what} is larger than {maxValueBytes * 8} bits");
        }

        ulong value = 0;
        foreach (var b in content)
        {
            value = (value << 8) | b;
        }

        return value;
    }

    private static void CheckIntegerBytes(ReadOnlySpan<byte> content, int at, int maxBytes, string what)
    {
        if (content.Length == 0)
        {
            throw new SnmpDecodeException(at, $"{what} has no content bytes");
        }

        if (content.Length > maxBytes)
        {
            throw new SnmpDecodeException(at, $"{what} of {content.Length} bytes is too large (at most {maxBytes})");
        }

        if (content.Length > 1 && ((content[0] == 0x00 && (content[1] & 0x80) == 0) || (content[0] == 0xFF && (content[1] & 0x80) != 0)))
        {
            throw new SnmpDecodeException(at, $"{what} is not minimally encoded (redundant leading byte 0x{content[0]:X2})");
        }
    }

    /// <summary>Decodes OID content: base-128 subidentifiers, no 0x80 padding, none cut off, each within 32 bits.</summary>
    internal static Oid DecodeOid(ReadOnlySpan<byte> content, int at)
    {
        if (content.Length == 0)
        {
            throw new SnmpDecodeException(at, "an OBJECT IDENTIFIER has no content bytes");
        }

        var arcs = new List<uint>(content.Length + 1);
        var i = 0;
        var first = true;
        while (i < content.Length)
        {
            var start = i;
            if (content[i] == 0x80)
            {
                throw new SnmpDecodeException(at + i, "OID subidentifier has a redundant leading 0x80 byte");
            }

            ulong value = 0;
            var limit = first ? uint.MaxValue + 80UL : uint.MaxValue;
            while (true)
            {
                if (i >= content.Length)
                {
                    throw new SnmpDecodeException(at + start, "OID subidentifier is cut off (its last byte has the continuation bit set)");
                }

                var b = content[i++];
                value = (value << 7) | (uint)(b & 0x7F);
                if (value > limit)
                {
                    throw new SnmpDecodeException(at + start, "OID subidentifier is larger than 32 bits");
                }

                if ((b & 0x80) == 0)
                {
                    break;
                }
            }

            if (first)
            {
                arcs.Add(value < 40 ? 0u : value < 80 ? 1u : 2u);
                arcs.Add((uint)(value < 80 ? value % 40 : value - 80));
                first = false;
            }
            else
            {
                arcs.Add((uint)value);
            }

            if (arcs.Count > Oid.MaxArcs)
            {
                throw new SnmpDecodeException(at + start, $"OID has more than {Oid.MaxArcs} arcs");
            }
        }

        return Oid.FromValidated([.. arcs]);
    }
}
