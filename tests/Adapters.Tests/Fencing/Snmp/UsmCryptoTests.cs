using System.Text;
using Haven.Adapters.Fencing.Snmp;

namespace Haven.Adapters.Tests.Fencing.Snmp;

/// <summary>Known answers: RFC 3414 appendix A.3 (password to localized key) and NIST SP 800-38A F.3.13 (AES-128 CFB).</summary>
public sealed class UsmCryptoTests
{
    private static readonly byte[] Maplesyrup = Encoding.ASCII.GetBytes("maplesyrup");
    private static readonly byte[] EngineA3 = Convert.FromHexString("000000000000000000000002");

    [Fact]
    public void LocalizedKey_ShaMaplesyrup_MatchesRfc3414A32()
    {
        var key = UsmCrypto.LocalizedKey(UsmAuthProtocol.Sha1, Maplesyrup, EngineA3);
        Assert.Equal("6695FEBC9288E36282235FC7151F128497B38F3F", Convert.ToHexString(key));
    }

    [Fact]
    public void LocalizedKey_Md5Maplesyrup_MatchesRfc3414A31()
    {
        var key = UsmCrypto.LocalizedKey(UsmAuthProtocol.Md5, Maplesyrup, EngineA3);
        Assert.Equal("526F5EED9FCCE26F8964C2930787D82B", Convert.ToHexString(key));
    }

    [Fact]
    public void LocalizedKey_OtherEngine_Differs()
    {
        var a = UsmCrypto.LocalizedKey(UsmAuthProtocol.Sha1, Maplesyrup, EngineA3);
        var b = UsmCrypto.LocalizedKey(UsmAuthProtocol.Sha1, Maplesyrup, Convert.FromHexString("000000000000000000000003"));
        Assert.NotEqual(a, b);
    }

    [Fact]
    public void PasswordToKey_EmptyPassword_Throws() =>
        Assert.Throws<ArgumentException>(() => UsmCrypto.PasswordToKey(UsmAuthProtocol.Sha1, []));

    [Fact]
    public void AesCfb_NistVectors_EncryptAndDecrypt()
    {
        var key = Convert.FromHexString("2B7E151628AED2A6ABF7158809CF4F3C");
        var iv = Convert.FromHexString("000102030405060708090A0B0C0D0E0F");
        var plain = Convert.FromHexString("6BC1BEE22E409F96E93D7E117393172AAE2D8A571E03AC9C9EB76FAC45AF8E51");
        var cipher = UsmCrypto.AesCfbEncrypt(key, iv, plain);
        Assert.Equal("3B3FD92EB72DAD20333449F8E83CFB4AC8A64537A0B3A93FCDE3CDAD9F1CE58B", Convert.ToHexString(cipher));
        Assert.Equal(plain, UsmCrypto.AesCfbDecrypt(key, iv, cipher));
    }

    [Fact]
    public void AesCfb_PartialLastBlock_KeepsTheLengthAndRoundTrips()
    {
        var key = Convert.FromHexString("2B7E151628AED2A6ABF7158809CF4F3C");
        var iv = UsmCrypto.AesIv(7, 1234, Convert.FromHexString("0102030405060708"));
        var plain = Enumerable.Range(0, 37).Select(i => (byte)i).ToArray();
        var cipher = UsmCrypto.AesCfbEncrypt(key, iv, plain);
        Assert.Equal(37, cipher.Length);
        Assert.Equal(plain, UsmCrypto.AesCfbDecrypt(key, iv, cipher));
        // The first 16 bytes of CFB equal a full-block encryption's: the tail is not padded.
        Assert.Equal(UsmCrypto.AesCfbEncrypt(key, iv, plain[..16]), cipher[..16]);
    }

    [Fact]
    public void AesIv_BootsTimeSalt_AreLaidOutBigEndian()
    {
        var iv = UsmCrypto.AesIv(0x01020304, 0x0A0B0C0D, Convert.FromHexString("1112131415161718"));
        Assert.Equal("010203040A0B0C0D1112131415161718", Convert.ToHexString(iv));
    }

    [Fact]
    public void Digest_IsTwelveBytesOfTheHmac()
    {
        var key = UsmCrypto.LocalizedKey(UsmAuthProtocol.Sha1, Maplesyrup, EngineA3);
        var data = Encoding.ASCII.GetBytes("message");
        Assert.Equal(System.Security.Cryptography.HMACSHA1.HashData(key, data)[..12], UsmCrypto.Digest(UsmAuthProtocol.Sha1, key, data));
        Assert.Equal(12, UsmCrypto.Digest(UsmAuthProtocol.Md5, key[..16], data).Length);
    }
}
