using System.Collections.Immutable;
using System.Net;
using Haven.Adapters.Fencing.Snmp;

namespace Haven.Adapters.Tests.Fencing.Snmp;

/// <summary>Known byte sequences written by hand from X.690 (BER) and RFC 1157 / RFC 3416.</summary>
public sealed class SnmpCodecTests
{
    private static readonly Oid SysDescr = Oid.Parse(".1.3.6.1.2.1.1.1.0");

    // SEQUENCE { INTEGER 0, OCTET STRING "public", GetRequest { 1, 0, 0, SEQUENCE { SEQUENCE { sysDescr.0, NULL } } } }
    private static readonly byte[] GetSysDescrV1 = Hex(
        "30 26 02 01 00 04 06 70 75 62 6c 69 63 a0 19 02 01 01 02 01 00 02 01 00 30 0e 30 0c 06 08 2b 06 01 02 01 01 01 00 05 00");

    [Fact]
    public void Encode_GetRequestV1_MatchesTheHandEncodedBytes()
    {
        var message = Message(SnmpVersion.V1, SnmpPduType.GetRequest, 1, VarBind.Null(SysDescr));
        Assert.Equal(GetSysDescrV1, SnmpCodec.Encode(message));
    }

    [Fact]
    public void Decode_GetRequestV1_ReadsEveryField()
    {
        var message = SnmpCodec.Decode(GetSysDescrV1);
        Assert.Equal(SnmpVersion.V1, message.Version);
        Assert.Equal("public"u8.ToArray(), message.Community.ToArray());
        Assert.Equal(SnmpPduType.GetRequest, message.Pdu.Type);
        Assert.Equal(1, message.Pdu.RequestId);
        Assert.Equal(SnmpErrorStatus.NoError, message.Pdu.Error);
        var binding = Assert.Single(message.Pdu.VarBinds);
        Assert.Equal(SysDescr, binding.Oid);
        Assert.Same(SnmpNull.Instance, binding.Value);
    }

    [Theory]
    [InlineData(0, "02 01 00")]
    [InlineData(127, "02 01 7f")]
    [InlineData(128, "02 02 00 80")]
    [InlineData(256, "02 02 01 00")]
    [InlineData(-1, "02 01 ff")]
    [InlineData(-128, "02 01 80")]
    [InlineData(-129, "02 02 ff 7f")]
    [InlineData(int.MaxValue, "02 04 7f ff ff ff")]
    [InlineData(int.MinValue, "02 04 80 00 00 00")]
    public void Integer_KnownValue_EncodesMinimallyAndRoundTrips(int value, string hex)
    {
        var encoded = EncodeValue(new SnmpInteger(value));
        Assert.Equal(Hex(hex), encoded);
        Assert.Equal(new SnmpInteger(value), DecodeValue(encoded));
    }

    public static TheoryData<SnmpValue, string> KnownValues => new()
    {
        { new SnmpOctetString("BladeCenter"), "04 0b 42 6c 61 64 65 43 65 6e 74 65 72" },
        { new SnmpOctetString(ReadOnlySpan<byte>.Empty), "04 00" },
        { SnmpNull.Instance, "05 00" },
        { new SnmpObjectIdentifier(Oid.Parse(".1.3.6.1.4.1.2.3.51.2.22.1.6.1.1.7")), "06 0f 2b 06 01 04 01 02 03 33 02 16 01 06 01 01 07" },
        { new SnmpObjectIdentifier(Oid.Parse("2.999.3")), "06 03 88 37 03" },
        { new SnmpObjectIdentifier(Oid.Parse("1.3.4294967295")), "06 06 2b 8f ff ff ff 7f" },
        { new SnmpIpAddress(IPAddress.Parse("192.0.2.10")), "40 04 c0 00 02 0a" },
        { new SnmpCounter32(0), "41 01 00" },
        { new SnmpCounter32(uint.MaxValue), "41 05 00 ff ff ff ff" },
        { new SnmpGauge32(128), "42 02 00 80" },
        { new SnmpTimeTicks(360000), "43 03 05 7e 40" },
        { new SnmpCounter64(ulong.MaxValue), "46 09 00 ff ff ff ff ff ff ff ff" },
        { new SnmpCounter64(1), "46 01 01" },
        { new SnmpOpaque([0x9f, 0x78, 0x04]), "44 03 9f 78 04" },
        { SnmpException.NoSuchObject, "80 00" },
        { SnmpException.NoSuchInstance, "81 00" },
        { SnmpException.EndOfMibView, "82 00" },
    };

    [Theory]
    [MemberData(nameof(KnownValues))]
    public void Value_KnownEncoding_EncodesAndDecodesExactly(SnmpValue value, string hex)
    {
        var encoded = EncodeValue(value);
        Assert.Equal(Hex(hex), encoded);
        Assert.Equal(value, DecodeValue(encoded));
    }

    [Fact]
    public void Encode_LongOctetString_UsesTheLongLengthForm()
    {
        var text = new string('x', 200);
        var encoded = EncodeValue(new SnmpOctetString(text));
        Assert.Equal(Hex("04 81 c8"), encoded[..3]);
        Assert.Equal(203, encoded.Length);
        Assert.Equal(text, ((SnmpOctetString)DecodeValue(encoded)).Text);
    }

    [Fact]
    public void Decode_NonMinimalLongFormLength_IsAccepted()
    {
        // net-snmp writes some lengths as 0x82 0x00 0xNN; BER allows it.
        var bytes = Hex("30 82 00 26 02 01 00 04 06 70 75 62 6c 69 63 a0 19 02 01 01 02 01 00 02 01 00 30 0e 30 0c 06 08 2b 06 01 02 01 01 01 00 05 00");
        Assert.Equal(SnmpCodec.Decode(GetSysDescrV1), SnmpCodec.Decode(bytes));
    }

    [Fact]
    public void Response_EveryValueTypeV2c_RoundTrips()
    {
        var bindings = KnownValues.Select((row, i) => new VarBind(SysDescr.Append((uint)i), (SnmpValue)row[0])).ToArray();
        var message = new SnmpMessage(SnmpVersion.V2c, "s3cret", new SnmpPdu(SnmpPduType.Response, -42, 0, 0, [.. bindings]));
        var decoded = SnmpCodec.Decode(SnmpCodec.Encode(message));
        Assert.Equal(message, decoded);
        Assert.Equal(bindings.Length, decoded.Pdu.VarBinds.Length);
    }

    [Theory]
    [InlineData(SnmpPduType.GetNextRequest, 0xa1)]
    [InlineData(SnmpPduType.SetRequest, 0xa3)]
    [InlineData(SnmpPduType.Response, 0xa2)]
    [InlineData(SnmpPduType.Report, 0xa8)]
    [InlineData(SnmpPduType.GetBulkRequest, 0xa5)]
    public void Pdu_EachTypeV2c_CarriesItsTag(SnmpPduType type, byte tag)
    {
        var message = Message(SnmpVersion.V2c, type, 7, new VarBind(SysDescr, new SnmpInteger(2)));
        var bytes = SnmpCodec.Encode(message);
        Assert.Equal(tag, bytes[2 + 3 + 8]); // after the header, version and "public"
        Assert.Equal(message, SnmpCodec.Decode(bytes));
    }

    [Fact]
    public void SetRequest_V1_EncodesIntegerBinding()
    {
        // SEQUENCE { 0, "private", SetRequest { 0x1234, 0, 0, { { .1.3.6.1.4.1.2.3.51.2.22.1.6.1.1.7.3, INTEGER 2 } } } }
        var message = new SnmpMessage(SnmpVersion.V1, "private", new SnmpPdu(SnmpPduType.SetRequest, 0x1234, 0, 0,
            [new VarBind(Oid.Parse(".1.3.6.1.4.1.2.3.51.2.22.1.6.1.1.7.3"), new SnmpInteger(2))]));
        var expected = Hex(
            "30 31 02 01 00 04 07 70 72 69 76 61 74 65 a3 23 02 02 12 34 02 01 00 02 01 00 30 17 30 15 06 10 2b 06 01 04 01 02 03 33 02 16 01 06 01 01 07 03 02 01 02");
        Assert.Equal(expected, SnmpCodec.Encode(message));
    }

    [Fact]
    public void Encode_Counter64InV1_IsRefused()
    {
        var message = Message(SnmpVersion.V1, SnmpPduType.Response, 1, new VarBind(SysDescr, new SnmpCounter64(5)));
        Assert.Throws<ArgumentException>(() => SnmpCodec.Encode(message));
    }

    [Fact]
    public void Message_ToString_HidesTheCommunity()
    {
        var message = Message(SnmpVersion.V2c, SnmpPduType.GetRequest, 1, VarBind.Null(SysDescr));
        Assert.DoesNotContain("public", message.ToString(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(".1.3.6.1", "1.3.6.1")]
    [InlineData("1.3.6.1", "1.3.6.1")]
    public void Oid_Parse_AcceptsWithOrWithoutLeadingDot(string text, string same)
    {
        Assert.Equal(Oid.Parse(same), Oid.Parse(text));
        Assert.Equal(".1.3.6.1", Oid.Parse(text).ToString());
    }

    [Theory]
    [InlineData("1")]
    [InlineData("3.1")]
    [InlineData("1.40")]
    [InlineData("1..3")]
    [InlineData("1.3.x")]
    [InlineData("1.3.4294967296")]
    public void Oid_Parse_BadText_Throws(string text) => Assert.Throws<FormatException>(() => Oid.Parse(text));

    [Fact]
    public void Oid_CompareTo_OrdersLexicographically()
    {
        Assert.True(Oid.Parse("1.3.6.1.2").CompareTo(Oid.Parse("1.3.6.1.10")) < 0);
        Assert.True(Oid.Parse("1.3.6.1").CompareTo(Oid.Parse("1.3.6.1.0")) < 0);
        Assert.True(Oid.Parse("1.3.6.1.2.1").StartsWith(Oid.Parse("1.3.6.1")));
        Assert.False(Oid.Parse("1.3.6.2").StartsWith(Oid.Parse("1.3.6.1")));
    }

    internal static SnmpMessage Message(SnmpVersion version, SnmpPduType type, int requestId, params VarBind[] bindings) =>
        new(version, "public", new SnmpPdu(type, requestId, 0, 0, [.. bindings]));

    /// <summary>The value's bytes, cut out of a v2c response with one binding on sysDescr.0.</summary>
    internal static byte[] EncodeValue(SnmpValue value)
    {
        var bytes = SnmpCodec.Encode(Message(SnmpVersion.V2c, SnmpPduType.Response, 1, new VarBind(SysDescr, value)));
        var oid = Hex("06 08 2b 06 01 02 01 01 01 00");
        var at = bytes.AsSpan().IndexOf(oid) + oid.Length;
        return bytes[at..];
    }

    /// <summary>Decodes one value by wrapping it in a v2c response on sysDescr.0 (lengths computed here).</summary>
    internal static SnmpValue DecodeValue(byte[] value) => Assert.Single(SnmpCodec.Decode(Wrap(value)).Pdu.VarBinds).Value;

    internal static byte[] Wrap(byte[] value, byte version = 1, byte pduTag = 0xa2)
    {
        byte[] binding = [.. Hex("06 08 2b 06 01 02 01 01 01 00"), .. value];
        byte[] pdu = [.. Hex("02 01 01 02 01 00 02 01 00"), .. Tlv(0x30, Tlv(0x30, binding))];
        byte[] message = [0x02, 0x01, version, .. Tlv(0x04, "public"u8.ToArray()), .. Tlv(pduTag, pdu)];
        return Tlv(0x30, message);
    }

    internal static byte[] Tlv(byte tag, byte[] content) => content.Length switch
    {
        < 0x80 => [tag, (byte)content.Length, .. content],
        < 0x100 => [tag, 0x81, (byte)content.Length, .. content],
        _ => [tag, 0x82, (byte)(content.Length >> 8), (byte)content.Length, .. content],
    };

    internal static byte[] Hex(string text) => Convert.FromHexString(text.Replace(" ", "", StringComparison.Ordinal));
}
