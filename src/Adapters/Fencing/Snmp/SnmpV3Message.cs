namespace Haven.Adapters.Fencing.Snmp;

/// <summary>msgFlags of an SNMPv3 message (RFC 3412 section 6.4).</summary>
[Flags]
public enum SnmpV3Flags : byte
{
    None = 0,
    Auth = 0x01,
    Priv = 0x02,
    Reportable = 0x04,
}

/// <summary>
/// UsmSecurityParameters (RFC 3414 section 2.4): the authoritative engine's id, boots and time, the
/// user, and the authentication (HMAC digest) and privacy (salt) parameters.
/// </summary>
public sealed record UsmSecurityParameters
{
    public static readonly UsmSecurityParameters Empty = new([], 0, 0, "", [], []);

    private readonly byte[] engineId;
    private readonly byte[] userName;
    private readonly byte[] authParameters;
    private readonly byte[] privParameters;

    public UsmSecurityParameters(ReadOnlySpan<byte> engineId, int engineBoots, int engineTime, ReadOnlySpan<byte> userName, ReadOnlySpan<byte> authParameters, ReadOnlySpan<byte> privParameters)
    {
        this.engineId = engineId.ToArray();
        EngineBoots = engineBoots;
        EngineTime = engineTime;
        this.userName = userName.ToArray();
        this.authParameters = authParameters.ToArray();
        this.privParameters = privParameters.ToArray();
    }

    public UsmSecurityParameters(ReadOnlySpan<byte> engineId, int engineBoots, int engineTime, string userName, ReadOnlySpan<byte> authParameters, ReadOnlySpan<byte> privParameters)
        : this(engineId, engineBoots, engineTime, System.Text.Encoding.UTF8.GetBytes(userName), authParameters, privParameters)
    {
    }

    /// <summary>msgAuthoritativeEngineID; empty in a discovery request.</summary>
    public ReadOnlySpan<byte> EngineId => engineId;

    public int EngineBoots { get; }

    public int EngineTime { get; }

    public ReadOnlySpan<byte> UserNameBytes => userName;

    public string UserName => System.Text.Encoding.UTF8.GetString(userName);

    /// <summary>The truncated HMAC (12 bytes for HMAC-SHA-96 and HMAC-MD5-96); empty without auth.</summary>
    public ReadOnlySpan<byte> AuthParameters => authParameters;

    /// <summary>The AES salt (8 bytes); empty without privacy.</summary>
    public ReadOnlySpan<byte> PrivParameters => privParameters;

    public bool Equals(UsmSecurityParameters? other) =>
        other is not null && EngineBoots == other.EngineBoots && EngineTime == other.EngineTime
        && engineId.AsSpan().SequenceEqual(other.engineId) && userName.AsSpan().SequenceEqual(other.userName)
        && authParameters.AsSpan().SequenceEqual(other.authParameters) && privParameters.AsSpan().SequenceEqual(other.privParameters);

    public override int GetHashCode() => HashCode.Combine(EngineBoots, EngineTime, engineId.Length, userName.Length);

    public override string ToString() =>
        $"Usm {{ Engine = {Convert.ToHexString(engineId)}, Boots = {EngineBoots}, Time = {EngineTime}, User = {UserName}, Auth = {authParameters.Length} bytes, Priv = {privParameters.Length} bytes }}";
}

/// <summary>A ScopedPDU (RFC 3412 section 6.8): the context the PDU applies to, and the PDU.</summary>
public sealed record ScopedPdu
{
    private readonly byte[] contextEngineId;
    private readonly byte[] contextName;

    public ScopedPdu(ReadOnlySpan<byte> contextEngineId, ReadOnlySpan<byte> contextName, SnmpPdu pdu)
    {
        ArgumentNullException.ThrowIfNull(pdu);
        this.contextEngineId = contextEngineId.ToArray();
        this.contextName = contextName.ToArray();
        Pdu = pdu;
    }

    public ReadOnlySpan<byte> ContextEngineId => contextEngineId;

    public ReadOnlySpan<byte> ContextName => contextName;

    public SnmpPdu Pdu { get; }

    public bool Equals(ScopedPdu? other) =>
        other is not null && contextEngineId.AsSpan().SequenceEqual(other.contextEngineId)
        && contextName.AsSpan().SequenceEqual(other.contextName) && Pdu.Equals(other.Pdu);

    public override int GetHashCode() => HashCode.Combine(contextEngineId.Length, contextName.Length, Pdu);
}

/// <summary>
/// An SNMPv3 message (RFC 3412 section 6): header data, the USM security parameters, and either a
/// plaintext <see cref="ScopedPdu"/> or (with <see cref="SnmpV3Flags.Priv"/>) the encrypted one.
/// </summary>
public sealed record SnmpV3Message
{
    /// <summary>The User-based Security Model's number in msgSecurityModel.</summary>
    public const int UsmSecurityModel = 3;

    private readonly byte[]? encryptedPdu;

    public SnmpV3Message(int messageId, int maxSize, SnmpV3Flags flags, UsmSecurityParameters security, ScopedPdu scopedPdu)
        : this(messageId, maxSize, flags, UsmSecurityModel, security, scopedPdu, null)
    {
    }

    public SnmpV3Message(int messageId, int maxSize, SnmpV3Flags flags, UsmSecurityParameters security, ReadOnlySpan<byte> encryptedPdu)
        : this(messageId, maxSize, flags, UsmSecurityModel, security, null, encryptedPdu.ToArray())
    {
    }

    internal SnmpV3Message(int messageId, int maxSize, SnmpV3Flags flags, int securityModel, UsmSecurityParameters security, ScopedPdu? scopedPdu, byte[]? encryptedPdu)
    {
        ArgumentNullException.ThrowIfNull(security);
        if ((scopedPdu is null) == (encryptedPdu is null))
        {
            throw new ArgumentException("an SNMPv3 message carries either a plaintext scoped PDU or an encrypted one");
        }

        MessageId = messageId;
        MaxSize = maxSize;
        Flags = flags;
        SecurityModel = securityModel;
        Security = security;
        ScopedPdu = scopedPdu;
        this.encryptedPdu = encryptedPdu;
    }

    public int MessageId { get; }

    public int MaxSize { get; }

    public SnmpV3Flags Flags { get; }

    public int SecurityModel { get; }

    public UsmSecurityParameters Security { get; }

    /// <summary>The plaintext scoped PDU; null when the message is encrypted.</summary>
    public ScopedPdu? ScopedPdu { get; }

    public bool IsEncrypted => encryptedPdu is not null;

    /// <summary>The encrypted scoped PDU; empty when the message is plaintext.</summary>
    public ReadOnlySpan<byte> EncryptedPdu => encryptedPdu;

    public bool Equals(SnmpV3Message? other) =>
        other is not null && MessageId == other.MessageId && MaxSize == other.MaxSize && Flags == other.Flags
        && SecurityModel == other.SecurityModel && Security.Equals(other.Security) && Equals(ScopedPdu, other.ScopedPdu)
        && (encryptedPdu is null ? other.encryptedPdu is null : other.encryptedPdu is not null && encryptedPdu.AsSpan().SequenceEqual(other.encryptedPdu));

    public override int GetHashCode() => HashCode.Combine(MessageId, Flags, Security, ScopedPdu);

    public override string ToString() =>
        $"SnmpV3Message {{ Id = {MessageId}, Flags = {Flags}, {Security}, "
        + (ScopedPdu is { } s ? $"{s.Pdu.Type} #{s.Pdu.RequestId}, {s.Pdu.VarBinds.Length} bindings" : $"encrypted {encryptedPdu!.Length} bytes") + " }";
}
