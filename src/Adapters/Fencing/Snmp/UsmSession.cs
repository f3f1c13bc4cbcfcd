using System.Collections.Immutable;
using System.Security.Cryptography;
using System.Text;

namespace Haven.Adapters.Fencing.Snmp;

/// <summary>
/// An SNMPv3 user (RFC 3414): name, authentication protocol and password, privacy protocol and
/// password. Authentication is required (authNoPriv or authPriv). The passwords are secrets: they
/// never appear in <see cref="ToString"/> or in any message.
/// </summary>
public sealed record SnmpUsmCredentials
{
    /// <summary>The shortest password net-snmp accepts (RFC 3414 recommends at least 8 characters).</summary>
    public const int MinPasswordLength = 8;

    public SnmpUsmCredentials(string userName, string authPassword, UsmAuthProtocol auth = UsmAuthProtocol.Sha1, string? privPassword = null, UsmPrivProtocol priv = UsmPrivProtocol.Aes128)
    {
        ArgumentNullException.ThrowIfNull(userName);
        ArgumentNullException.ThrowIfNull(authPassword);
        var nameBytes = Encoding.UTF8.GetByteCount(userName);
        if (nameBytes is 0 or > SnmpV3Codec.MaxIdentifierLength)
        {
            throw new ArgumentException($"an SNMPv3 user name has 1 to {SnmpV3Codec.MaxIdentifierLength} bytes, found {nameBytes}", nameof(userName));
        }

        if (authPassword.Length < MinPasswordLength)
        {
            throw new ArgumentException($"the SNMPv3 auth password of user {userName} is shorter than {MinPasswordLength} characters", nameof(authPassword));
        }

        if (priv != UsmPrivProtocol.None && (privPassword is null || privPassword.Length < MinPasswordLength))
        {
            throw new ArgumentException($"the SNMPv3 priv password of user {userName} is missing or shorter than {MinPasswordLength} characters", nameof(privPassword));
        }

        UserName = userName;
        AuthPassword = authPassword;
        Auth = auth;
        Priv = priv;
        PrivPassword = priv == UsmPrivProtocol.None ? null : privPassword;
    }

    public string UserName { get; }

    public UsmAuthProtocol Auth { get; }

    public string AuthPassword { get; }

    public UsmPrivProtocol Priv { get; }

    public string? PrivPassword { get; }

    /// <summary>contextName of the scoped PDUs; "" (the default context) unless set.</summary>
    public string ContextName { get; init; } = "";

    public override string ToString() =>
        $"SnmpUsmCredentials {{ User = {UserName}, Auth = {Auth}, Priv = {Priv}, passwords hidden }}";
}

/// <summary>What <see cref="UsmSession.Unwrap"/> made of a datagram.</summary>
internal enum UsmInboundKind
{
    /// <summary>Malformed, for another request, user or engine, or not authentic: ignore it.</summary>
    Dropped,

    /// <summary>Authentic and decrypted, or an unauthenticated Report (which can only cause a failure).</summary>
    Accepted,

    /// <summary>Authentic, but its encrypted PDU could not be decrypted into a scoped PDU.</summary>
    DecryptionFailed,
}

/// <summary>One received message after the security checks.</summary>
internal sealed record UsmInbound(UsmInboundKind Kind, string? Problem, SnmpV3Message? Message, SnmpPdu? Pdu, bool Authenticated)
{
    public static UsmInbound Drop(string problem) => new(UsmInboundKind.Dropped, problem, null, null, false);
}

/// <summary>
/// The non-authoritative side of USM for one user and one agent: the authoritative engine's id, boots
/// and time as last learnt (time runs on by the local clock), the localized keys, and the 64-bit
/// salt counter. <see cref="Wrap"/> protects an outgoing PDU; <see cref="Unwrap"/> checks, authenticates
/// and decrypts an incoming message without ever throwing for bad input. Not thread-safe: the client
/// uses it one request at a time.
/// </summary>
internal sealed class UsmSession
{
    /// <summary>RFC 3414 section 3.2 step 7b: an authentic message more than 150 s older is outside the time window.</summary>
    public const int TimeWindowSeconds = 150;

    private readonly SnmpUsmCredentials credentials;
    private readonly TimeProvider time;
    private readonly byte[] authKey;
    private readonly byte[]? privKey;
    private readonly byte[] userName;
    private byte[] localAuth = [];
    private byte[] localPriv = [];
    private long syncedAt;
    private ulong salt;

    public UsmSession(SnmpUsmCredentials credentials, TimeProvider time)
    {
        this.credentials = credentials;
        this.time = time;
        userName = Encoding.UTF8.GetBytes(credentials.UserName);
        authKey = UsmCrypto.PasswordToKey(credentials.Auth, Encoding.UTF8.GetBytes(credentials.AuthPassword));
        privKey = credentials.PrivPassword is { } p ? UsmCrypto.PasswordToKey(credentials.Auth, Encoding.UTF8.GetBytes(p)) : null;
        salt = (ulong)Random.Shared.NextInt64();
    }

    public ImmutableArray<byte> EngineId { get; private set; } = [];

    public int EngineBoots { get; private set; }

    /// <summary>The engine time at the last synchronisation.</summary>
    public int SyncedEngineTime { get; private set; }

    public bool Discovered => !EngineId.IsEmpty;

    public SnmpV3Flags SecurityFlags => SnmpV3Flags.Auth | (privKey is null ? SnmpV3Flags.None : SnmpV3Flags.Priv);

    /// <summary>The authoritative engine's time now, by our estimate.</summary>
    public int EstimatedEngineTime => (int)Math.Min(int.MaxValue, SyncedEngineTime + (long)time.GetElapsedTime(syncedAt).TotalSeconds);

    /// <summary>Adopts an engine's id, boots and time (from discovery or an authentic report or response).</summary>
    public void Synchronize(ReadOnlySpan<byte> engineId, int boots, int engineTime)
    {
        if (!engineId.SequenceEqual(EngineId.AsSpan()))
        {
            EngineId = [.. engineId];
            localAuth = UsmCrypto.LocalizeKey(credentials.Auth, authKey, engineId);
            localPriv = privKey is null ? [] : UsmCrypto.LocalizeKey(credentials.Auth, privKey, engineId);
        }

        EngineBoots = boots;
        SyncedEngineTime = engineTime;
        syncedAt = time.GetTimestamp();
    }

    /// <summary>The discovery probe (RFC 3414 section 4): noAuthNoPriv, reportable, empty engine id and user, no bindings.</summary>
    public static byte[] DiscoveryRequest(int messageId, int requestId) =>
        SnmpV3Codec.Encode(new SnmpV3Message(messageId, SnmpCodec.MaxMessageSize, SnmpV3Flags.Reportable, UsmSecurityParameters.Empty,
            new ScopedPdu([], [], new SnmpPdu(SnmpPduType.GetRequest, requestId, 0, 0, []))));

    /// <summary>
    /// Authenticates (and encrypts) <paramref name="pdu"/> for the discovered engine;
    /// <paramref name="authOnly"/> leaves it unencrypted (the client's diagnosis of a silent agent).
    /// </summary>
    public byte[] Wrap(SnmpPdu pdu, int messageId, bool authOnly = false)
    {
        if (!Discovered)
        {
            throw new InvalidOperationException("the authoritative engine has not been discovered yet");
        }

        var boots = EngineBoots;
        var engineTime = EstimatedEngineTime;
        var scoped = new ScopedPdu(EngineId.AsSpan(), Encoding.UTF8.GetBytes(credentials.ContextName), pdu);
        var flags = (authOnly ? SnmpV3Flags.Auth : SecurityFlags) | SnmpV3Flags.Reportable;
        byte[] zeroDigest = new byte[UsmCrypto.DigestLength];
        SnmpV3Message message;
        if (!flags.HasFlag(SnmpV3Flags.Priv))
        {
            message = new SnmpV3Message(messageId, SnmpCodec.MaxMessageSize, flags,
                new UsmSecurityParameters(EngineId.AsSpan(), boots, engineTime, userName, zeroDigest, []), scoped);
        }
        else
        {
            var saltBytes = new byte[UsmCrypto.SaltLength];
            System.Buffers.Binary.BinaryPrimitives.WriteUInt64BigEndian(saltBytes, salt++);
            var encrypted = UsmCrypto.AesCfbEncrypt(localPriv, UsmCrypto.AesIv(boots, engineTime, saltBytes), SnmpV3Codec.EncodeScopedPdu(scoped));
            message = new SnmpV3Message(messageId, SnmpCodec.MaxMessageSize, flags,
                new UsmSecurityParameters(EngineId.AsSpan(), boots, engineTime, userName, zeroDigest, saltBytes), encrypted);
        }

        var bytes = SnmpV3Codec.Encode(message, out var authOffset);
        UsmCrypto.Digest(credentials.Auth, localAuth, bytes).CopyTo(bytes.AsSpan(authOffset));
        return bytes;
    }

    /// <summary>
    /// Decodes and checks one datagram: malformed, unauthentic, for another user or engine, outside
    /// the time window, or a plaintext Response to an authenticated request is dropped; an authentic
    /// message updates boots and time (RFC 3414 3.2 step 7) and is decrypted. Never throws.
    /// </summary>
    public UsmInbound Unwrap(ReadOnlySpan<byte> datagram, bool allowPlaintext = false)
    {
        SnmpV3Message message;
        int authOffset;
        try
        {
            message = SnmpV3Codec.Decode(datagram, out authOffset);
        }
        catch (SnmpDecodeException e)
        {
            return UsmInbound.Drop($"dropped a malformed datagram: {e.Reason}");
        }

        var security = message.Security;
        if (!message.Flags.HasFlag(SnmpV3Flags.Auth))
        {
            // Only Reports may come unauthenticated (discovery, unknown user, wrong digest …).
            return message.ScopedPdu is { Pdu.Type: SnmpPduType.Report } plain
                ? new UsmInbound(UsmInboundKind.Accepted, null, message, plain.Pdu, false)
                : UsmInbound.Drop($"dropped an unauthenticated {message.ScopedPdu?.Pdu.Type.ToString() ?? "message"}");
        }

        if (!Discovered || !security.EngineId.SequenceEqual(EngineId.AsSpan()) || !security.UserNameBytes.SequenceEqual(userName))
        {
            return UsmInbound.Drop("dropped an authenticated message for another engine or user");
        }

        if (security.AuthParameters.Length != UsmCrypto.DigestLength)
        {
            return UsmInbound.Drop($"dropped a message with {security.AuthParameters.Length} bytes of authentication parameters");
        }

        var copy = datagram.ToArray();
        copy.AsSpan(authOffset, UsmCrypto.DigestLength).Clear();
        if (!CryptographicOperations.FixedTimeEquals(UsmCrypto.Digest(credentials.Auth, localAuth, copy), security.AuthParameters))
        {
            return UsmInbound.Drop("dropped a message whose digest does not match (not authentic)");
        }

        if (message.ScopedPdu is { } scoped)
        {
            if (scoped.Pdu.Type == SnmpPduType.Report)
            {
                // An authentic report (notInTimeWindow above all) carries the engine's current boots
                // and time; it is not itself subject to the window, the client resynchronises from it.
                return new UsmInbound(UsmInboundKind.Accepted, null, message, scoped.Pdu, true);
            }

            if (privKey is not null && !allowPlaintext)
            {
                return UsmInbound.Drop($"dropped an unencrypted {scoped.Pdu.Type} to an encrypted request");
            }
        }

        if (!InTimeWindow(security.EngineBoots, security.EngineTime))
        {
            return UsmInbound.Drop($"dropped an authentic message outside the time window (boots {security.EngineBoots}, time {security.EngineTime})");
        }

        if (message.ScopedPdu is { } clear)
        {
            return new UsmInbound(UsmInboundKind.Accepted, null, message, clear.Pdu, true);
        }

        if (privKey is null || security.PrivParameters.Length != UsmCrypto.SaltLength)
        {
            return new UsmInbound(UsmInboundKind.DecryptionFailed, $"{security.PrivParameters.Length} bytes of privacy parameters (expected an {UsmCrypto.SaltLength}-byte salt)", message, null, true);
        }

        try
        {
            var plaintext = UsmCrypto.AesCfbDecrypt(localPriv, UsmCrypto.AesIv(security.EngineBoots, security.EngineTime, security.PrivParameters), message.EncryptedPdu);
            return new UsmInbound(UsmInboundKind.Accepted, null, message, SnmpV3Codec.DecodeScopedPdu(plaintext).Pdu, true);
        }
        catch (SnmpDecodeException e)
        {
            return new UsmInbound(UsmInboundKind.DecryptionFailed, $"the decrypted PDU is malformed: {e.Reason}", message, null, true);
        }
    }

    /// <summary>RFC 3414 3.2 step 7b: adopt newer boots/time; refuse older than the window.</summary>
    private bool InTimeWindow(int boots, int engineTime)
    {
        var estimate = EstimatedEngineTime;
        if (boots > EngineBoots || (boots == EngineBoots && engineTime > estimate))
        {
            Synchronize(EngineId.AsSpan(), boots, engineTime);
            return boots != int.MaxValue;
        }

        return boots == EngineBoots && boots != int.MaxValue && engineTime >= estimate - TimeWindowSeconds;
    }
}
