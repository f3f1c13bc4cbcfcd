namespace Haven.Adapters.Fencing.Snmp;

/// <summary>
/// Encodes and decodes SNMPv3 messages (RFC 3412 section 6, USM parameters of RFC 3414 section 2.4)
/// in BER, as strictly as <see cref="SnmpCodec"/>: anything malformed raises
/// <see cref="SnmpDecodeException"/> and nothing else. Authentication and privacy are applied by
/// <see cref="UsmSession"/>; the codec only moves bytes.
/// </summary>
public static class SnmpV3Codec
{
    /// <summary>The smallest msgMaxSize an engine may announce (RFC 3412).</summary>
    public const int MinMaxSize = 484;

    /// <summary>Longest engine id, user name, context name (RFC 3411 SnmpEngineID, SnmpAdminString).</summary>
    public const int MaxIdentifierLength = 32;

    /// <summary>Longest authentication or privacy parameters the decoder accepts.</summary>
    public const int MaxParameterLength = 64;

    public static byte[] Encode(SnmpV3Message message) => Encode(message, out _);

    /// <summary>Encodes; <paramref name="authOffset"/> is where msgAuthenticationParameters' content starts (for the HMAC).</summary>
    internal static byte[] Encode(SnmpV3Message message, out int authOffset)
    {
        ArgumentNullException.ThrowIfNull(message);
        var s = message.Security;
        Check(message.MessageId >= 0, "msgID must not be negative");
        Check(message.MaxSize >= MinMaxSize, $"msgMaxSize must be at least {MinMaxSize}");
        Check(s.EngineBoots >= 0 && s.EngineTime >= 0, "engine boots and time must not be negative");
        Check(s.EngineId.Length <= MaxIdentifierLength && s.UserNameBytes.Length <= MaxIdentifierLength, $"engine id and user name have at most {MaxIdentifierLength} bytes");
        Check(s.AuthParameters.Length <= MaxParameterLength && s.PrivParameters.Length <= MaxParameterLength, $"auth and priv parameters have at most {MaxParameterLength} bytes");
        Check((message.Flags & (SnmpV3Flags.Auth | SnmpV3Flags.Priv)) != SnmpV3Flags.Priv, "msgFlags priv without auth is not allowed");
        Check(message.IsEncrypted == message.Flags.HasFlag(SnmpV3Flags.Priv), "an encrypted scoped PDU goes with the priv flag, a plaintext one without it");

        var writer = new BerWriter();
        writer.Begin(SnmpTag.Sequence);
        writer.WriteSigned(SnmpTag.Integer, (int)SnmpVersion.V3);
        writer.Begin(SnmpTag.Sequence);
        writer.WriteSigned(SnmpTag.Integer, message.MessageId);
        writer.WriteSigned(SnmpTag.Integer, message.MaxSize);
        writer.WritePrimitive(SnmpTag.OctetString, [(byte)message.Flags]);
        writer.WriteSigned(SnmpTag.Integer, message.SecurityModel);
        writer.End();
        writer.Begin(SnmpTag.OctetString);
        writer.Begin(SnmpTag.Sequence);
        writer.WritePrimitive(SnmpTag.OctetString, s.EngineId);
        writer.WriteSigned(SnmpTag.Integer, s.EngineBoots);
        writer.WriteSigned(SnmpTag.Integer, s.EngineTime);
        writer.WritePrimitive(SnmpTag.OctetString, s.UserNameBytes);
        writer.WritePrimitive(SnmpTag.OctetString, s.AuthParameters);
        writer.WritePrimitive(SnmpTag.OctetString, s.PrivParameters);
        writer.End();
        writer.End();
        if (message.ScopedPdu is { } scoped)
        {
            WriteScopedPdu(writer, scoped);
        }
        else
        {
            writer.WritePrimitive(SnmpTag.OctetString, message.EncryptedPdu);
        }

        writer.End();
        var bytes = writer.ToArray();
        if (bytes.Length > SnmpCodec.MaxMessageSize)
        {
            throw new ArgumentException($"the encoded message has {bytes.Length} bytes, more than a datagram holds ({SnmpCodec.MaxMessageSize})", nameof(message));
        }

        Decode(bytes, out authOffset);
        return bytes;

        static void Check(bool ok, string error)
        {
            if (!ok)
            {
                throw new ArgumentException(error, nameof(message));
            }
        }
    }

    /// <summary>The BER of a scoped PDU alone: what AES encrypts.</summary>
    public static byte[] EncodeScopedPdu(ScopedPdu scoped)
    {
        ArgumentNullException.ThrowIfNull(scoped);
        var writer = new BerWriter();
        WriteScopedPdu(writer, scoped);
        return writer.ToArray();
    }

    public static SnmpV3Message Decode(ReadOnlySpan<byte> datagram) => Decode(datagram, out _);

    /// <summary>True when <paramref name="datagram"/> looks like an SNMPv3 message (SEQUENCE, INTEGER 3); never throws.</summary>
    public static bool IsV3(ReadOnlySpan<byte> datagram)
    {
        try
        {
            var top = new BerReader(datagram);
            var message = top.ReadConstructed(SnmpTag.Sequence, "the message SEQUENCE");
            var version = message.ReadPrimitive(SnmpTag.Integer, "the version");
            return version.Length == 1 && version[0] == 3;
        }
        catch (SnmpDecodeException)
        {
            return false;
        }
    }

    /// <summary>Decodes; <paramref name="authOffset"/> is where msgAuthenticationParameters' content starts.</summary>
    internal static SnmpV3Message Decode(ReadOnlySpan<byte> datagram, out int authOffset)
    {
        if (datagram.Length > SnmpCodec.MaxMessageSize)
        {
            throw new SnmpDecodeException(SnmpCodec.MaxMessageSize, $"datagram of {datagram.Length} bytes is larger than {SnmpCodec.MaxMessageSize}");
        }

        var top = new BerReader(datagram);
        var message = top.ReadConstructed(SnmpTag.Sequence, "the message SEQUENCE");
        top.ExpectEnd("the message");
        var versionAt = message.Position;
        var version = ReadInt(ref message, "the version", 0);
        if (version != (int)SnmpVersion.V3)
        {
            throw new SnmpDecodeException(versionAt, $"expected SNMP version 3, found {version}");
        }

        var header = message.ReadConstructed(SnmpTag.Sequence, "the msgGlobalData SEQUENCE");
        var messageId = ReadInt(ref header, "msgID", 0);
        var maxSize = ReadInt(ref header, "msgMaxSize", MinMaxSize);
        var flagsAt = header.Position;
        var flagBytes = header.ReadPrimitive(SnmpTag.OctetString, "msgFlags OCTET STRING");
        if (flagBytes.Length != 1)
        {
            throw new SnmpDecodeException(flagsAt, $"msgFlags has {flagBytes.Length} bytes, expected 1");
        }

        var flags = (SnmpV3Flags)flagBytes[0];
        if ((flags & (SnmpV3Flags.Auth | SnmpV3Flags.Priv)) == SnmpV3Flags.Priv)
        {
            throw new SnmpDecodeException(flagsAt, "msgFlags asks for privacy without authentication");
        }

        var modelAt = header.Position;
        var model = ReadInt(ref header, "msgSecurityModel", 1);
        header.ExpectEnd("msgSecurityModel");
        if (model != SnmpV3Message.UsmSecurityModel)
        {
            throw new SnmpDecodeException(modelAt, $"security model {model} is not supported (only 3 = USM)");
        }

        var securityElement = message.Read("msgSecurityParameters");
        if (securityElement.Tag != SnmpTag.OctetString)
        {
            throw new SnmpDecodeException(securityElement.Offset, $"expected msgSecurityParameters OCTET STRING, found tag 0x{securityElement.Tag:X2}");
        }

        var wrapper = message.EnterEncapsulated(securityElement, "msgSecurityParameters");
        var usm = wrapper.ReadConstructed(SnmpTag.Sequence, "the UsmSecurityParameters SEQUENCE");
        wrapper.ExpectEnd("the UsmSecurityParameters");
        var engineAt = usm.Position;
        var engineId = usm.ReadPrimitive(SnmpTag.OctetString, "msgAuthoritativeEngineID");
        if (engineId.Length is > MaxIdentifierLength or (> 0 and < 5))
        {
            throw new SnmpDecodeException(engineAt, $"msgAuthoritativeEngineID has {engineId.Length} bytes (empty, or 5 to {MaxIdentifierLength})");
        }

        var boots = ReadInt(ref usm, "msgAuthoritativeEngineBoots", 0);
        var engineTime = ReadInt(ref usm, "msgAuthoritativeEngineTime", 0);
        var user = ReadLimited(ref usm, "msgUserName", MaxIdentifierLength);
        var authElement = usm.Read("msgAuthenticationParameters");
        if (authElement.Tag != SnmpTag.OctetString || authElement.Length > MaxParameterLength)
        {
            throw new SnmpDecodeException(authElement.Offset, $"msgAuthenticationParameters must be an OCTET STRING of at most {MaxParameterLength} bytes");
        }

        var auth = usm.Content(authElement);
        var priv = ReadLimited(ref usm, "msgPrivacyParameters", MaxParameterLength);
        usm.ExpectEnd("msgPrivacyParameters");
        var security = new UsmSecurityParameters(engineId, boots, engineTime, user, auth, priv);

        var dataElement = message.Read("msgData");
        message.ExpectEnd("msgData");
        authOffset = authElement.ContentOffset;
        if (flags.HasFlag(SnmpV3Flags.Priv))
        {
            if (dataElement.Tag != SnmpTag.OctetString)
            {
                throw new SnmpDecodeException(dataElement.Offset, $"msgFlags says encrypted, but msgData has tag 0x{dataElement.Tag:X2} instead of an OCTET STRING");
            }

            return new SnmpV3Message(messageId, maxSize, flags, model, security, null, message.Content(dataElement).ToArray());
        }

        if (dataElement.Tag != SnmpTag.Sequence)
        {
            throw new SnmpDecodeException(dataElement.Offset, $"msgFlags says plaintext, but msgData has tag 0x{dataElement.Tag:X2} instead of a ScopedPDU SEQUENCE");
        }

        var scoped = message.Enter(dataElement, "the ScopedPDU");
        return new SnmpV3Message(messageId, maxSize, flags, model, security, ReadScopedPdu(ref scoped), null);
    }

    /// <summary>Decodes a decrypted scoped PDU. RFC 3826 CFB adds no padding, so nothing may follow it.</summary>
    public static ScopedPdu DecodeScopedPdu(ReadOnlySpan<byte> plaintext)
    {
        var top = new BerReader(plaintext);
        var scoped = top.ReadConstructed(SnmpTag.Sequence, "the ScopedPDU SEQUENCE");
        top.ExpectEnd("the ScopedPDU");
        return ReadScopedPdu(ref scoped);
    }

    private static ScopedPdu ReadScopedPdu(ref BerReader scoped)
    {
        var contextEngineId = ReadLimited(ref scoped, "contextEngineID", MaxIdentifierLength);
        var contextName = ReadLimited(ref scoped, "contextName", MaxIdentifierLength);
        var pdu = SnmpCodec.ReadPdu(ref scoped, SnmpVersion.V3);
        scoped.ExpectEnd("the PDU");
        return new ScopedPdu(contextEngineId, contextName, pdu);
    }

    private static void WriteScopedPdu(BerWriter writer, ScopedPdu scoped)
    {
        if (scoped.ContextEngineId.Length > MaxIdentifierLength || scoped.ContextName.Length > MaxIdentifierLength)
        {
            throw new ArgumentException($"contextEngineID and contextName have at most {MaxIdentifierLength} bytes", nameof(scoped));
        }

        writer.Begin(SnmpTag.Sequence);
        writer.WritePrimitive(SnmpTag.OctetString, scoped.ContextEngineId);
        writer.WritePrimitive(SnmpTag.OctetString, scoped.ContextName);
        SnmpCodec.WritePdu(writer, scoped.Pdu, SnmpVersion.V3);
        writer.End();
    }

    private static ReadOnlySpan<byte> ReadLimited(ref BerReader reader, string what, int max)
    {
        var at = reader.Position;
        var content = reader.ReadPrimitive(SnmpTag.OctetString, $"{what} OCTET STRING");
        return content.Length <= max ? content : throw new SnmpDecodeException(at, $"{what} has {content.Length} bytes (at most {max})");
    }

    private static int ReadInt(ref BerReader reader, string what, int min)
    {
        var element = reader.Read(what);
        if (element.Tag != SnmpTag.Integer)
        {
            throw new SnmpDecodeException(element.Offset, $"expected {what} INTEGER, found tag 0x{element.Tag:X2}");
        }

        var value = SnmpCodec.DecodeSigned(reader.Content(element), element.ContentOffset, 4, $"{what} INTEGER");
        return value >= min ? (int)value : throw new SnmpDecodeException(element.Offset, $"{what} {value} is out of range ({min}..2147483647)");
    }
}
