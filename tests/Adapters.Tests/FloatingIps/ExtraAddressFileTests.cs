using Haven.Actors.Cluster;
using Haven.Actors.Configuration;
using Haven.Adapters.FloatingIps;

namespace Haven.Adapters.Tests.FloatingIps;

public sealed class ExtraAddressFileTests : IDisposable
{
    private readonly string directory = Directory.CreateTempSubdirectory("hvxa-").FullName;

    public void Dispose() => Directory.Delete(directory, recursive: true);

    private string Write(string text, UnixFileMode mode = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead)
    {
        var path = Path.Combine(directory, "ha-ips");
        File.WriteAllText(path, text);
        File.SetUnixFileMode(path, mode);
        return path;
    }

    [Fact]
    public void Read_AddressesCommentsAndBlankLines_GivesTheAddressesInOrder()
    {
        var path = Write("# extra addresses\n192.0.2.10\n\n  198.51.100.7/24   # web\r\n203.0.113.1/32\n");

        var list = ExtraAddressFile.Read(path, "eth1", 32);

        Assert.Equal(
            [new PublicAddress("192.0.2.10", 32, "eth1"), new PublicAddress("198.51.100.7", 24, "eth1"), new PublicAddress("203.0.113.1", 32, "eth1")],
            list.Addresses.ToArray());
        Assert.Empty(list.Warnings);
    }

    [Fact]
    public void Read_BadLines_AreSkippedWithAWarningNamingFileAndLine()
    {
        var path = Write("192.0.2.10\nnot-an-ip\n10.0.0.300\n192.0.2.11/33\n127.0.0.1\n192.0.2.10\n192.0.2.12/x\n192.0.2.13\n");

        var list = ExtraAddressFile.Read(path, "eth1", 32);

        Assert.Equal(["192.0.2.10", "192.0.2.13"], list.Addresses.Select(a => a.Ip));
        Assert.Equal(6, list.Warnings.Length);
        Assert.StartsWith($"{path}:2: \"not-an-ip\"", list.Warnings[0], StringComparison.Ordinal);
        Assert.StartsWith($"{path}:3: ", list.Warnings[1], StringComparison.Ordinal);
        Assert.Contains("1..32", list.Warnings[2], StringComparison.Ordinal);
        Assert.Contains("loopback", list.Warnings[3], StringComparison.Ordinal);
        Assert.Contains($"{path}:6: 192.0.2.10 is already listed on line 1", list.Warnings[4], StringComparison.Ordinal);
        Assert.All(list.Warnings, w => Assert.EndsWith("line skipped", w, StringComparison.Ordinal));
    }

    [Theory]
    [InlineData(UnixFileMode.GroupWrite)]
    [InlineData(UnixFileMode.OtherWrite)]
    public void Read_WritableByGroupOrOthers_IsRefused(UnixFileMode extra)
        => AssertRefused(Write("192.0.2.10\n", UnixFileMode.UserRead | UnixFileMode.UserWrite | extra));

    [Fact]
    public void Read_OwnedByAnotherUser_IsRefused()
    {
        var path = Write("192.0.2.10\n", UnixFileMode.UserRead | UnixFileMode.UserWrite);
        Haven.Adapters.Tests.Configuration.FileTrustTests.Chown(path, 65534);
        Assert.Contains("owned by uid 65534", AssertRefused(path).Message, StringComparison.Ordinal);
    }

    private static ExtraAddressFileException AssertRefused(string path)
    {
        var e = Assert.Throws<ExtraAddressFileException>(() => ExtraAddressFile.Read(path, "eth1", 32));

        Assert.Contains(path, e.Message, StringComparison.Ordinal);
        Assert.Contains("refusing", e.Message, StringComparison.Ordinal);
        return e;
    }

    [Fact]
    public void Settings_Reference_NoFile()
    {
        var s = ExtraAddressSettings.Read(HavenConfig.Reference);

        Assert.False(s.Enabled);
        Assert.Equal(32, s.Mask);
    }

    [Theory]
    [InlineData("extra-addresses-file = \"ha-ips\", extra-addresses-interface = eth0", "haven.ips.extra-addresses-file")]
    [InlineData("extra-addresses-file = \"/etc/haven/ha-ips\"", "haven.ips.extra-addresses-interface")]
    [InlineData("extra-addresses-file = \"/etc/haven/ha-ips\", extra-addresses-interface = \"eth0 x\"", "haven.ips.extra-addresses-interface")]
    [InlineData("extra-addresses-mask = 0", "haven.ips.extra-addresses-mask")]
    public void Settings_BadValue_NamesTheKey(string body, string path)
    {
        var e = Assert.Throws<ConfigException>(() => ExtraAddressSettings.Read(HoconParser.Parse($"haven.ips {{ {body} }}", "t.conf")));

        Assert.Equal(path, e.Path);
    }

    [Fact]
    public void Settings_Complete_AreReadAndKnownToTheSchema()
    {
        var config = HoconParser.Parse("haven.ips { extra-addresses-file = \"/etc/haven/ha-ips\", extra-addresses-interface = eth1, extra-addresses-mask = 24 }", "t.conf");

        Assert.Equal(new ExtraAddressSettings("/etc/haven/ha-ips", "eth1", 24), ExtraAddressSettings.Read(config));
        Assert.Empty(HavenConfig.Validate(config, "n1"));
    }
}
