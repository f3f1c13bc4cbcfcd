using System.Net;
using System.Text;

namespace Haven.Adapters.Fencing.Snmp;

/// <summary>The BER tags SNMP v1/v2c uses (RFC 1157, RFC 2578, RFC 3416).</summary>
public static class SnmpTag
{
    public const byte Integer = 0x02;
    public const byte OctetString = 0x04;
    public const byte Null = 0x05;
    public const byte ObjectIdentifier = 0x06;
    public const byte Sequence = 0x30;
    public const byte IpAddress = 0x40;
    public const byte Counter32 = 0x41;
    public const byte Gauge32 = 0x42;
    public const byte TimeTicks = 0x43;
    public const byte Opaque = 0x44;
    public const byte Counter64 = 0x46;
    public const byte NoSuchObject = 0x80;
    public const byte NoSuchInstance = 0x81;
    public const byte EndOfMibView = 0x82;
}

/// <summary>The value of a variable binding.</summary>
public abstract record SnmpValue
{
    private protected SnmpValue()
    {
    }

    /// <summary>The BER tag this value is encoded with.</summary>
    public abstract byte Tag { get; }

    /// <summary>True for noSuchObject, noSuchInstance and endOfMibView (v2c exception values).</summary>
    public virtual bool IsException => false;
}

/// <summary>INTEGER / Integer32.</summary>
public sealed record SnmpInteger(int Value) : SnmpValue
{
    public override byte Tag => SnmpTag.Integer;
    public override string ToString() => $"INTEGER {Value}";
}

/// <summary>OCTET STRING: bytes, often text.</summary>
public sealed record SnmpOctetString : SnmpValue
{
    private readonly byte[] bytes;

    public SnmpOctetString(ReadOnlySpan<byte> value) => bytes = value.ToArray();

    public SnmpOctetString(string text)
        : this(Encoding.UTF8.GetBytes(text))
    {
    }

    public override byte Tag => SnmpTag.OctetString;

    public ReadOnlySpan<byte> Bytes => bytes;

    /// <summary>The bytes as UTF-8 text (invalid sequences become U+FFFD).</summary>
    public string Text => Encoding.UTF8.GetString(bytes);

    public bool Equals(SnmpOctetString? other) => other is not null && bytes.AsSpan().SequenceEqual(other.bytes);

    public override int GetHashCode()
    {
        var hash = new HashCode();
        hash.AddBytes(bytes);
        return hash.ToHashCode();
    }

    public override string ToString() => $"STRING \"{Text}\"";
}

/// <summary>NULL: the value of every binding of a GET or GETNEXT request.</summary>
public sealed record SnmpNull : SnmpValue
{
    public static readonly SnmpNull Instance = new();

    private SnmpNull()
    {
    }

    public override byte Tag => SnmpTag.Null;
    public override string ToString() => "NULL";
}

/// <summary>OBJECT IDENTIFIER as a value.</summary>
public sealed record SnmpObjectIdentifier(Oid Value) : SnmpValue
{
    public override byte Tag => SnmpTag.ObjectIdentifier;
    public override string ToString() => $"OID {Value}";
}

/// <summary>IpAddress: four octets, IPv4 only.</summary>
public sealed record SnmpIpAddress : SnmpValue
{
    public SnmpIpAddress(IPAddress address)
    {
        ArgumentNullException.ThrowIfNull(address);
        if (address.AddressFamily != System.Net.Sockets.AddressFamily.InterNetwork)
        {
            throw new ArgumentException($"IpAddress holds IPv4 only, not {address}", nameof(address));
        }

        Address = address;
    }

    public IPAddress Address { get; }
    public override byte Tag => SnmpTag.IpAddress;
    public override string ToString() => $"IpAddress {Address}";
}

/// <summary>Counter32.</summary>
public sealed record SnmpCounter32(uint Value) : SnmpValue
{
    public override byte Tag => SnmpTag.Counter32;
    public override string ToString() => $"Counter32 {Value}";
}

/// <summary>Gauge32 (Unsigned32).</summary>
public sealed record SnmpGauge32(uint Value) : SnmpValue
{
    public override byte Tag => SnmpTag.Gauge32;
    public override string ToString() => $"Gauge32 {Value}";
}

/// <summary>TimeTicks: hundredths of a second.</summary>
public sealed record SnmpTimeTicks(uint Value) : SnmpValue
{
    public override byte Tag => SnmpTag.TimeTicks;
    public override string ToString() => $"Timeticks {Value}";
}

/// <summary>Counter64 (v2c only).</summary>
public sealed record SnmpCounter64(ulong Value) : SnmpValue
{
    public override byte Tag => SnmpTag.Counter64;
    public override string ToString() => $"Counter64 {Value}";
}

/// <summary>Opaque: an arbitrary BER-wrapped octet string, kept as bytes.</summary>
public sealed record SnmpOpaque : SnmpValue
{
    private readonly byte[] bytes;

    public SnmpOpaque(ReadOnlySpan<byte> value) => bytes = value.ToArray();

    public override byte Tag => SnmpTag.Opaque;

    public ReadOnlySpan<byte> Bytes => bytes;

    public bool Equals(SnmpOpaque? other) => other is not null && bytes.AsSpan().SequenceEqual(other.bytes);

    public override int GetHashCode()
    {
        var hash = new HashCode();
        hash.AddBytes(bytes);
        return hash.ToHashCode();
    }

    public override string ToString() => $"Opaque ({bytes.Length} bytes)";
}

/// <summary>The v2c exception values an agent puts in a binding instead of a value.</summary>
public sealed record SnmpException : SnmpValue
{
    public static readonly SnmpException NoSuchObject = new(SnmpTag.NoSuchObject, "noSuchObject");
    public static readonly SnmpException NoSuchInstance = new(SnmpTag.NoSuchInstance, "noSuchInstance");
    public static readonly SnmpException EndOfMibView = new(SnmpTag.EndOfMibView, "endOfMibView");

    private readonly byte tag;

    private SnmpException(byte tag, string name)
    {
        this.tag = tag;
        Name = name;
    }

    public string Name { get; }
    public override byte Tag => tag;
    public override bool IsException => true;
    public override string ToString() => Name;
}
