using Haven.Adapters.Fencing.Snmp;

namespace Haven.Adapters.Tests.Fencing.Snmp;

/// <summary>The SNMPv3 envelope: round trips, and the malformed shapes the decoder names.</summary>
public sealed class SnmpV3CodecTests
{
    internal static readonly byte[] Engine = Convert.FromHexString("80001F888062DC7F4C15465C51");
    private static readonly Oid Name = Oid.Parse(".1.3.6.1.2.1.1.1.0");

    internal static SnmpV3Message Plain(SnmpPduType type = SnmpPduType.GetRequest, SnmpV3Flags flags = SnmpV3Flags.Auth | SnmpV3Flags.Reportable) =>
        new(42, 65507, flags, new UsmSecurityParameters(Engine, 3, 1000, "haven", new byte[12], []),
            new ScopedPdu(Engine, [], new SnmpPdu(type, 7, 0, 0, [VarBind.Null(Name)])));

    internal static SnmpV3Message Encrypted() =>
        new(43, 65507, SnmpV3Flags.Auth | SnmpV3Flags.Priv | SnmpV3Flags.Reportable,
            new UsmSecurityParameters(Engine, 3, 1000, "haven", new byte[12], new byte[8]), Convert.FromHexString("00112233445566778899"));

    [Fact]
    public void EncodeDecode_PlaintextMessage_RoundTrips()
    {
        var message = Plain();
        Assert.Equal(message, SnmpV3Codec.Decode(SnmpV3Codec.Encode(message)));
    }

    [Fact]
    public void EncodeDecode_EncryptedMessage_RoundTrips()
    {
        var decoded = SnmpV3Codec.Decode(SnmpV3Codec.Encode(Encrypted()));
        Assert.True(decoded.IsEncrypted);
        Assert.Null(decoded.ScopedPdu);
        Assert.Equal("00112233445566778899", Convert.ToHexString(decoded.EncryptedPdu));
        Assert.Equal(Encrypted(), decoded);
    }

    [Fact]
    public void Encode_AuthOffset_PointsAtTheTwelveZeroDigestBytes()
    {
        var bytes = SnmpV3Codec.Encode(Plain(), out var offset);
        Assert.Equal(new byte[12], bytes[offset..(offset + 12)]);
        Assert.Equal(0x0C, bytes[offset - 1]); // the OCTET STRING's length
        Assert.Equal(0x04, bytes[offset - 2]);
    }

    [Fact]
    public void Decode_CommunityMessage_IsRejectedNamingTheVersion()
    {
        var v2c = SnmpCodec.Encode(new SnmpMessage(SnmpVersion.V2c, "public", new SnmpPdu(SnmpPduType.GetRequest, 1, 0, 0, [VarBind.Null(Name)])));
        var error = Assert.Throws<SnmpDecodeException>(() => SnmpV3Codec.Decode(v2c));
        Assert.Contains("expected SNMP version 3, found 1", error.Reason, StringComparison.Ordinal);
        Assert.False(SnmpV3Codec.IsV3(v2c));
        Assert.True(SnmpV3Codec.IsV3(SnmpV3Codec.Encode(Plain())));
    }

    [Fact]
    public void Encode_PrivWithoutAuth_IsRefused() =>
        Assert.Throws<ArgumentException>(() => SnmpV3Codec.Encode(new SnmpV3Message(1, 65507, SnmpV3Flags.Priv,
            new UsmSecurityParameters(Engine, 0, 0, "u", [], new byte[8]), [1, 2, 3])));

    [Theory]
    [InlineData("flags", "msgFlags asks for privacy without authentication")]
    [InlineData("flagsLength", "msgFlags has 2 bytes")]
    [InlineData("engine", "msgAuthoritativeEngineID has 3 bytes")]
    [InlineData("model", "security model 2 is not supported")]
    [InlineData("maxSize", "msgMaxSize 100 is out of range")]
    [InlineData("plainButPriv", "msgFlags says encrypted")]
    public void Decode_Malformed_NamesTheProblem(string what, string expected)
    {
        var bytes = what switch
        {
            "flags" => Patch(SnmpV3Codec.Encode(Plain(flags: SnmpV3Flags.None)), [0x04, 0x01, 0x00], [0x04, 0x01, 0x02]),
            "flagsLength" => Hand(flags: [0x04, 0x02, 0x01, 0x00]),
            "engine" => Hand(engine: [0x04, 0x03, 0x01, 0x02, 0x03]),
            "model" => Hand(model: 2),
            "maxSize" => Hand(maxSize: 100),
            _ => Patch(SnmpV3Codec.Encode(Plain()), [0x04, 0x01, 0x05], [0x04, 0x01, 0x07]),
        };
        var error = Assert.Throws<SnmpDecodeException>(() => SnmpV3Codec.Decode(bytes));
        Assert.Contains(expected, error.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void DecodeScopedPdu_TrailingBytes_AreRejected()
    {
        var scoped = SnmpV3Codec.EncodeScopedPdu(Plain().ScopedPdu!);
        Assert.Equal(Plain().ScopedPdu, SnmpV3Codec.DecodeScopedPdu(scoped));
        Assert.Throws<SnmpDecodeException>(() => SnmpV3Codec.DecodeScopedPdu([.. scoped, 0x00]));
    }

    private static byte[] Patch(byte[] bytes, byte[] find, byte[] replace)
    {
        var at = bytes.AsSpan().IndexOf(find);
        Assert.True(at >= 0, "pattern not found");
        replace.CopyTo(bytes, at);
        return bytes;
    }

    /// <summary>A message built by hand from parts, so that each part can be wrong.</summary>
    private static byte[] Hand(byte[]? flags = null, byte[]? engine = null, int model = 3, int maxSize = 65507)
    {
        static byte[] Tlv(byte tag, params byte[][] parts)
        {
            var content = parts.SelectMany(p => p).ToArray();
            return content.Length < 128 ? [tag, (byte)content.Length, .. content] : [tag, 0x81, (byte)content.Length, .. content];
        }

        static byte[] Int(int value) => value switch
        {
            < 128 => [0x02, 0x01, (byte)value],
            < 32768 => [0x02, 0x02, (byte)(value >> 8), (byte)value],
            _ => [0x02, 0x03, (byte)(value >> 16), (byte)(value >> 8), (byte)value],
        };

        var header = Tlv(0x30, Int(1), Int(maxSize), flags ?? [0x04, 0x01, 0x04], Int(model));
        var usm = Tlv(0x30, engine ?? [0x04, 0x00], Int(0), Int(0), [0x04, 0x00], [0x04, 0x00], [0x04, 0x00]);
        var pdu = Tlv(0xA0, Int(1), Int(0), Int(0), Tlv(0x30));
        var scoped = Tlv(0x30, [0x04, 0x00], [0x04, 0x00], pdu);
        return Tlv(0x30, Int(3), header, Tlv(0x04, usm), scoped);
    }
}
