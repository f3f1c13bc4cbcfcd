using Haven.Adapters.Fencing.Snmp;
using static Haven.Adapters.Tests.Fencing.Snmp.SnmpCodecTests;

namespace Haven.Adapters.Tests.Fencing.Snmp;

/// <summary>Malformed input gets a <see cref="SnmpDecodeException"/> naming the byte and the fault.</summary>
public sealed class SnmpDecodeErrorTests
{
    [Theory]
    [InlineData("", 0, "expected the message SEQUENCE")]
    [InlineData("30", 1, "no length")]
    [InlineData("30 80 00 00", 1, "indefinite length")]
    [InlineData("30 85 00 00 00 00 01", 1, "5 length octets")]
    [InlineData("30 82 01", 2, "cut off")]
    [InlineData("30 84 7f ff ff ff", 0, "only 0 remain")]
    [InlineData("30 27 02 01 00", 0, "announces 39 content bytes")]
    [InlineData("31 00", 0, "expected the message SEQUENCE (tag 0x30), found tag 0x31")]
    [InlineData("3f 01 00", 0, "high tag number form")]
    [InlineData("30 03 02 01 03", 2, "unsupported SNMP version 3")]
    [InlineData("30 07 02 05 01 00 00 00 00", 4, "too large")]
    [InlineData("30 04 02 02 00 01", 4, "not minimally encoded")]
    [InlineData("30 02 02 00", 4, "no content bytes")]
    public void Decode_BrokenEnvelope_ReportsOffsetAndReason(string hex, int offset, string reason)
    {
        var error = Assert.Throws<SnmpDecodeException>(() => SnmpCodec.Decode(Hex(hex)));
        Assert.Equal(offset, error.Offset);
        Assert.Contains(reason, error.Reason, StringComparison.Ordinal);
        Assert.Contains($"at byte {offset}", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("06 00", "OBJECT IDENTIFIER has no content")]
    [InlineData("06 02 2b 81", "cut off")]
    [InlineData("06 03 2b 80 01", "redundant leading 0x80")]
    [InlineData("06 06 2b 90 80 80 80 00", "larger than 32 bits")]
    [InlineData("05 01 00", "NULL must have no content")]
    [InlineData("80 01 00", "exception value must have no content")]
    [InlineData("02 05 01 00 00 00 00", "INTEGER (Integer32) of 5 bytes is too large")]
    [InlineData("02 02 ff 80", "not minimally encoded")]
    [InlineData("41 05 01 00 00 00 00", "larger than 32 bits")]
    [InlineData("41 01 80", "Counter32 is negative")]
    [InlineData("46 0a 00 00 00 00 00 00 00 00 00 01", "too large")]
    [InlineData("40 03 7f 00 01", "IpAddress has 4 bytes")]
    [InlineData("30 00", "unknown or unsupported value tag 0x30")]
    [InlineData("47 00", "unknown or unsupported value tag 0x47")]
    public void Decode_BrokenValue_IsRejected(string valueHex, string reason)
    {
        var error = Assert.Throws<SnmpDecodeException>(() => SnmpCodec.Decode(Wrap(Hex(valueHex))));
        Assert.Contains(reason, error.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Decode_OidArcTooLargeReportsTheSubidentifierOffset()
    {
        var bytes = Wrap(Hex("06 06 2b 90 80 80 80 00"));
        var valueAt = bytes.AsSpan().IndexOf(Hex("06 06 2b 90"));
        var error = Assert.Throws<SnmpDecodeException>(() => SnmpCodec.Decode(bytes));
        Assert.Equal(valueAt + 3, error.Offset);
    }

    [Theory]
    [InlineData("46 01 01", "does not exist in SNMPv1")]
    [InlineData("80 00", "does not exist in SNMPv1")]
    public void Decode_V2OnlyValueInV1_IsRejected(string valueHex, string reason)
    {
        var error = Assert.Throws<SnmpDecodeException>(() => SnmpCodec.Decode(Wrap(Hex(valueHex), version: 0)));
        Assert.Contains(reason, error.Reason, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(0, 0xa5, "does not exist in SNMPv1")]
    [InlineData(1, 0xa4, "Trap PDU")]
    [InlineData(1, 0xa9, "unknown PDU type tag 0xA9")]
    [InlineData(1, 0x30, "unknown PDU type tag 0x30")]
    public void Decode_WrongPduType_IsRejected(byte version, byte tag, string reason)
    {
        var error = Assert.Throws<SnmpDecodeException>(() => SnmpCodec.Decode(Wrap(Hex("05 00"), version, tag)));
        Assert.Contains(reason, error.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Decode_TrailingBytesAfterMessage_AreRejected()
    {
        byte[] bytes = [.. Wrap(Hex("05 00")), 0x00];
        var error = Assert.Throws<SnmpDecodeException>(() => SnmpCodec.Decode(bytes));
        Assert.Equal(bytes.Length - 1, error.Offset);
        Assert.Contains("unexpected bytes after the message", error.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Decode_ExtraElementInVarBind_IsRejected()
    {
        var error = Assert.Throws<SnmpDecodeException>(() => SnmpCodec.Decode(Wrap(Hex("05 00 05 00"))));
        Assert.Contains("after the value of a variable binding", error.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Decode_ErrorStatusOutOfRange_IsRejected()
    {
        var bytes = Wrap(Hex("05 00"));
        var at = bytes.AsSpan().IndexOf(Hex("02 01 01 02 01 00")) + 5; // error-status content
        bytes[at] = 19;
        var error = Assert.Throws<SnmpDecodeException>(() => SnmpCodec.Decode(bytes));
        Assert.Contains("error-status 19 is not defined", error.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Decode_ErrorIndexPastTheBindings_IsRejected()
    {
        var bytes = Wrap(Hex("05 00"));
        var at = bytes.AsSpan().IndexOf(Hex("02 01 01 02 01 00 02 01 00")) + 8; // error-index content
        bytes[at] = 2;
        var error = Assert.Throws<SnmpDecodeException>(() => SnmpCodec.Decode(bytes));
        Assert.Contains("error-index 2 points past the 1 variable bindings", error.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void BerReader_NestingDeeperThanTheLimit_IsRejected()
    {
        var bytes = Hex("30 06 30 04 30 02 30 00");
        var caught = CatchDepth(bytes, maxDepth: 3);
        Assert.NotNull(caught);
        Assert.Equal(6, caught.Offset);
        Assert.Contains("nested deeper than 3 levels", caught.Reason, StringComparison.Ordinal);
        Assert.Null(CatchDepth(bytes, maxDepth: 4));
    }

    private static SnmpDecodeException? CatchDepth(byte[] bytes, int maxDepth)
    {
        try
        {
            var reader = new BerReader(bytes, maxDepth);
            while (true)
            {
                reader = reader.ReadConstructed(0x30, "a SEQUENCE");
                if (!reader.HasMore)
                {
                    return null;
                }
            }
        }
        catch (SnmpDecodeException e)
        {
            return e;
        }
    }
}
