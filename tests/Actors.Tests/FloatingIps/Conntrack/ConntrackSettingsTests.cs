using Haven.Actors.Configuration;
using Haven.Actors.FloatingIps.Conntrack;

namespace Haven.Actors.Tests.FloatingIps.Conntrack;

public sealed class ConntrackSettingsTests
{
    private static Config Parse(string text) => HoconParser.Parse(text, "test.conf");

    [Fact]
    public void Read_Reference_GivesTheDocumentedDefaults()
    {
        var s = ConntrackSettings.Read(HavenConfig.Reference);

        Assert.False(s.Enabled);
        Assert.Equal("/usr/sbin/conntrackd", s.Binary);
        Assert.Equal("/etc/conntrackd/conntrackd.conf", s.ConfigFile);
        Assert.Empty(s.Group);
        Assert.Equal("/var/lib/haven/conntrack.state", s.StateFile);
        Assert.Equal(TimeSpan.FromSeconds(10), s.Timeout);
    }

    [Fact]
    public void Read_GroupAndTimeout_AreRead()
    {
        var s = ConntrackSettings.Read(Parse("haven.conntrack { enabled = on, group = [\"192.0.2.10\", \"198.51.100.7\"], timeout = 3s }"));

        Assert.True(s.Enabled);
        Assert.Equal(["192.0.2.10", "198.51.100.7"], s.Group.ToArray());
        Assert.Equal(TimeSpan.FromSeconds(3), s.Timeout);
    }

    [Theory]
    [InlineData("group = [\"10.0.0\"]", "haven.conntrack.group[0]")]
    [InlineData("group = [\"10.0.0.1\", \"10.0.0.1\"]", "haven.conntrack.group[1]")]
    [InlineData("enabled = on", "haven.conntrack.group")]
    [InlineData("timeout = 0s", "haven.conntrack.timeout")]
    [InlineData("binary = \"conntrackd\"", "haven.conntrack.binary")]
    public void Read_BadValue_NamesTheKey(string body, string path)
    {
        var e = Assert.Throws<ConfigException>(() => ConntrackSettings.Read(Parse($"haven.conntrack {{ {body} }}")));

        Assert.Equal(path, e.Path);
    }

    [Fact]
    public void Validate_ConntrackSection_IsKnownToTheSchema()
    {
        var problems = HavenConfig.Validate(Parse("haven.conntrack { enabled = off, group = [\"192.0.2.10\"] }"), "n1");

        Assert.Empty(problems);
    }
}
