using System.Buffers.Binary;
using System.Security.Cryptography;

namespace Haven.Adapters.Fencing.Snmp;

/// <summary>USM authentication protocols (RFC 3414): HMAC-SHA-96 (the default) and HMAC-MD5-96.</summary>
public enum UsmAuthProtocol
{
    Sha1,
    Md5,
}

/// <summary>USM privacy protocols: none (authNoPriv) or AES-128 in CFB mode (RFC 3826).</summary>
public enum UsmPrivProtocol
{
    None,
    Aes128,
}

/// <summary>
/// The cryptography of the User-based Security Model: password-to-key (RFC 3414 A.2: the password
/// repeated over 1 MiB, hashed), key localisation (H(Ku | engineID | Ku)), the 96-bit truncated HMAC
/// over the whole message, and AES-128-CFB with the IV of RFC 3826 section 3.1.2.1.
/// </summary>
public static class UsmCrypto
{
    /// <summary>Length of msgAuthenticationParameters for HMAC-SHA-96 and HMAC-MD5-96.</summary>
    public const int DigestLength = 12;

    /// <summary>Length of msgPrivacyParameters (the salt) for AES.</summary>
    public const int SaltLength = 8;

    public const int AesKeyLength = 16;

    private const int ExpansionLength = 1024 * 1024;

    /// <summary>Ku: the password repeated to 1,048,576 bytes and hashed with the protocol's hash.</summary>
    public static byte[] PasswordToKey(UsmAuthProtocol protocol, ReadOnlySpan<byte> password)
    {
        if (password.IsEmpty)
        {
            throw new ArgumentException("a USM password must not be empty", nameof(password));
        }

        using var hash = IncrementalHash.CreateHash(HashName(protocol));
        Span<byte> chunk = stackalloc byte[64];
        var index = 0;
        for (var count = 0; count < ExpansionLength; count += chunk.Length)
        {
            for (var i = 0; i < chunk.Length; i++)
            {
                chunk[i] = password[index++ % password.Length];
            }

            index %= password.Length;
            hash.AppendData(chunk);
        }

        return hash.GetHashAndReset();
    }

    /// <summary>Kul = H(Ku | engineID | Ku): the key bound to one authoritative engine.</summary>
    public static byte[] LocalizeKey(UsmAuthProtocol protocol, ReadOnlySpan<byte> key, ReadOnlySpan<byte> engineId)
    {
        using var hash = IncrementalHash.CreateHash(HashName(protocol));
        hash.AppendData(key);
        hash.AppendData(engineId);
        hash.AppendData(key);
        return hash.GetHashAndReset();
    }

    /// <summary>The localized key for a password and an engine id.</summary>
    public static byte[] LocalizedKey(UsmAuthProtocol protocol, ReadOnlySpan<byte> password, ReadOnlySpan<byte> engineId) =>
        LocalizeKey(protocol, PasswordToKey(protocol, password), engineId);

    /// <summary>The first 12 bytes of HMAC(key, message), computed with the message's auth parameters zeroed.</summary>
    public static byte[] Digest(UsmAuthProtocol protocol, ReadOnlySpan<byte> localizedKey, ReadOnlySpan<byte> message)
    {
        var full = protocol switch
        {
            UsmAuthProtocol.Sha1 => HMACSHA1.HashData(localizedKey, message),
            UsmAuthProtocol.Md5 => HMACMD5.HashData(localizedKey, message),
            _ => throw new ArgumentOutOfRangeException(nameof(protocol), protocol, null),
        };
        return full[..DigestLength];
    }

    /// <summary>The AES IV: engineBoots and engineTime (big-endian) followed by the 8-byte salt.</summary>
    public static byte[] AesIv(int engineBoots, int engineTime, ReadOnlySpan<byte> salt)
    {
        if (salt.Length != SaltLength)
        {
            throw new ArgumentException($"the AES salt has {SaltLength} bytes, found {salt.Length}", nameof(salt));
        }

        var iv = new byte[16];
        BinaryPrimitives.WriteInt32BigEndian(iv, engineBoots);
        BinaryPrimitives.WriteInt32BigEndian(iv.AsSpan(4), engineTime);
        salt.CopyTo(iv.AsSpan(8));
        return iv;
    }

    /// <summary>AES-128 CFB-128 encryption without padding (the ciphertext is as long as the plaintext).</summary>
    public static byte[] AesCfbEncrypt(ReadOnlySpan<byte> key, ReadOnlySpan<byte> iv, ReadOnlySpan<byte> plaintext) =>
        AesCfb(key, iv, plaintext, encrypt: true);

    public static byte[] AesCfbDecrypt(ReadOnlySpan<byte> key, ReadOnlySpan<byte> iv, ReadOnlySpan<byte> ciphertext) =>
        AesCfb(key, iv, ciphertext, encrypt: false);

    private static byte[] AesCfb(ReadOnlySpan<byte> key, ReadOnlySpan<byte> iv, ReadOnlySpan<byte> input, bool encrypt)
    {
        if (key.Length < AesKeyLength || iv.Length != 16)
        {
            throw new ArgumentException($"AES-128 needs a key of at least {AesKeyLength} bytes and a 16-byte IV");
        }

        using var aes = Aes.Create();
        aes.Key = key[..AesKeyLength].ToArray();
        var output = new byte[input.Length];
        Span<byte> feedback = stackalloc byte[16];
        Span<byte> stream = stackalloc byte[16];
        iv.CopyTo(feedback);
        for (var at = 0; at < input.Length; at += 16)
        {
            aes.EncryptEcb(feedback, stream, PaddingMode.None);
            var n = Math.Min(16, input.Length - at);
            for (var i = 0; i < n; i++)
            {
                output[at + i] = (byte)(input[at + i] ^ stream[i]);
            }

            // The next block's feedback is this block's ciphertext.
            (encrypt ? output.AsSpan(at, n) : input.Slice(at, n)).CopyTo(feedback);
        }

        return output;
    }

    private static HashAlgorithmName HashName(UsmAuthProtocol protocol) => protocol switch
    {
        UsmAuthProtocol.Sha1 => HashAlgorithmName.SHA1,
        UsmAuthProtocol.Md5 => HashAlgorithmName.MD5,
        _ => throw new ArgumentOutOfRangeException(nameof(protocol), protocol, null),
    };
}
