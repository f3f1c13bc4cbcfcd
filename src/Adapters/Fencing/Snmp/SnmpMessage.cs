using System.Collections.Immutable;
using System.Text;

namespace Haven.Adapters.Fencing.Snmp;

/// <summary>The SNMP versions (the value of the message's version field): community-based v1/v2c, and v3 (USM).</summary>
public enum SnmpVersion
{
    V1 = 0,
    V2c = 1,
    V3 = 3,
}

/// <summary>PDU types (their context-specific constructed tags).</summary>
public enum SnmpPduType : byte
{
    GetRequest = 0xA0,
    GetNextRequest = 0xA1,
    Response = 0xA2,
    SetRequest = 0xA3,
    GetBulkRequest = 0xA5,
    InformRequest = 0xA6,
    SnmpV2Trap = 0xA7,
    Report = 0xA8,
}

/// <summary>error-status of a response (RFC 3416 section 3; 0..5 are also v1's).</summary>
public enum SnmpErrorStatus
{
    NoError = 0,
    TooBig = 1,
    NoSuchName = 2,
    BadValue = 3,
    ReadOnly = 4,
    GenErr = 5,
    NoAccess = 6,
    WrongType = 7,
    WrongLength = 8,
    WrongEncoding = 9,
    WrongValue = 10,
    NoCreation = 11,
    InconsistentValue = 12,
    ResourceUnavailable = 13,
    CommitFailed = 14,
    UndoFailed = 15,
    AuthorizationError = 16,
    NotWritable = 17,
    InconsistentName = 18,
}

/// <summary>One variable binding: a name and its value (NULL in GET/GETNEXT requests).</summary>
public sealed record VarBind(Oid Oid, SnmpValue Value)
{
    public static VarBind Null(Oid oid) => new(oid, SnmpNull.Instance);

    public override string ToString() => $"{Oid} = {Value}";
}

/// <summary>
/// A PDU. For GetBulkRequest, <see cref="ErrorStatus"/> and <see cref="ErrorIndex"/> carry
/// non-repeaters and max-repetitions, as on the wire.
/// </summary>
public sealed record SnmpPdu(SnmpPduType Type, int RequestId, int ErrorStatus, int ErrorIndex, ImmutableArray<VarBind> VarBinds)
{
    public SnmpErrorStatus Error => (SnmpErrorStatus)ErrorStatus;

    public bool Equals(SnmpPdu? other) =>
        other is not null && Type == other.Type && RequestId == other.RequestId && ErrorStatus == other.ErrorStatus
        && ErrorIndex == other.ErrorIndex && VarBinds.SequenceEqual(other.VarBinds);

    public override int GetHashCode() => HashCode.Combine(Type, RequestId, ErrorStatus, ErrorIndex, VarBinds.Length);
}

/// <summary>
/// A v1/v2c message: version, community and PDU. The community is a secret: it never appears in
/// <see cref="ToString"/>.
/// </summary>
public sealed record SnmpMessage
{
    private readonly byte[] community;

    public SnmpMessage(SnmpVersion version, ReadOnlySpan<byte> community, SnmpPdu pdu)
    {
        ArgumentNullException.ThrowIfNull(pdu);
        Version = version;
        this.community = community.ToArray();
        Pdu = pdu;
    }

    public SnmpMessage(SnmpVersion version, string community, SnmpPdu pdu)
        : this(version, Encoding.UTF8.GetBytes(community), pdu)
    {
    }

    public SnmpVersion Version { get; }

    public ReadOnlySpan<byte> Community => community;

    public SnmpPdu Pdu { get; }

    public bool Equals(SnmpMessage? other) =>
        other is not null && Version == other.Version && community.AsSpan().SequenceEqual(other.community) && Pdu.Equals(other.Pdu);

    public override int GetHashCode() => HashCode.Combine(Version, Pdu);

    public override string ToString() =>
        $"SnmpMessage {{ Version = {Version}, Community = (hidden), {Pdu.Type} #{Pdu.RequestId}, {Pdu.VarBinds.Length} bindings }}";
}
