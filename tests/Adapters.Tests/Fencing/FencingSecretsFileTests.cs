using Haven.Actors.Configuration;
using Haven.Actors.Fencing;
using Haven.Adapters.Fencing;

namespace Haven.Adapters.Tests.Fencing;

public sealed class FencingSecretsFileTests : IDisposable
{
    private readonly TempFenceDirectory dir = new();

    public void Dispose() => dir.Dispose();

    [Fact]
    public void Load_OwnerOnlyFile_ReadsTheSecrets()
    {
        var path = Write("amm1.community = \"c0mm\"\n", UnixFileMode.UserRead | UnixFileMode.UserWrite);
        Assert.Equal("c0mm", FencingSecretsFile.Load(path).For("amm1").Community);
    }

    [Theory]
    [InlineData(UnixFileMode.GroupRead)]
    [InlineData(UnixFileMode.OtherRead)]
    [InlineData(UnixFileMode.GroupWrite)]
    public void Load_FileOthersMayAccess_IsRefused(UnixFileMode extra)
    {
        var path = Write("amm1.community = \"c0mm\"\n", UnixFileMode.UserRead | UnixFileMode.UserWrite | extra);
        var error = Assert.Throws<ConfigException>(() => FencingSecretsFile.Load(path));
        Assert.Contains("must be owner-only (chmod 600)", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("c0mm", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_FileOwnedByAnotherUser_IsRefusedNamingTheSettingAndTheFile()
    {
        var path = Write("amm1.community = \"c0mm\"\n", UnixFileMode.UserRead | UnixFileMode.UserWrite);
        Haven.Adapters.Tests.Configuration.FileTrustTests.Chown(path, 65534);

        var error = Assert.Throws<ConfigException>(() => FencingSecretsFile.Load(path));

        Assert.StartsWith("haven.fencing.secrets-file: ", error.Message, StringComparison.Ordinal);
        Assert.Contains($"secrets file {path} is owned by uid 65534, not root", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("c0mm", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_MissingFile_NamesIt()
    {
        var error = Assert.Throws<ConfigException>(() => FencingSecretsFile.Load(dir.File("nope.conf")));
        Assert.Contains("nope.conf does not exist", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_EmptyPath_MeansNoSecrets() => Assert.Same(FencingSecrets.None, FencingSecretsFile.Load(""));

    private string Write(string text, UnixFileMode mode)
    {
        var path = dir.File("secrets.conf");
        File.WriteAllText(path, text);
        File.SetUnixFileMode(path, mode);
        return path;
    }
}
