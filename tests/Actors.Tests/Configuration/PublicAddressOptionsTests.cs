using Haven.Actors.Cluster;
using Haven.Actors.Configuration;

namespace Haven.Actors.Tests.Configuration;

/// <summary>haven.ips.public-addresses' optional preferred-host and group: parsing, checks and the bridge to ClusterOptions.</summary>
public sealed class PublicAddressOptionsTests
{
    private const string TwoNodes = "haven.cluster { node-name = n1, nodes = [{ name = n1, id = 1 }, { name = n2, id = 2 }] }\n";

    private static IReadOnlyList<ConfigProblem> Validate(string text, string? hostName = null) =>
        HavenConfig.Validate(HoconParser.Parse(text, "haven.conf", new HoconParseOptions { Fallback = HavenConfig.Reference }), hostName);

    private static HavenSettings Settings(string text)
    {
        var config = HoconParser.Parse(text, "haven.conf");
        Assert.Empty(HavenConfig.Validate(config.WithFallback(HavenConfig.Reference)));
        return HavenSettings.From(config);
    }

    [Fact]
    public void PreferredHostAndGroup_AreParsedIntoTheSettings()
    {
        var settings = Settings(TwoNodes + """
            haven.ips.public-addresses = [
              { address = "192.0.2.10/24", interface = eth0, preferred-host = n2, group = web },
              { address = "192.0.2.11/24", interface = eth0, group = "db" },
              { address = "192.0.2.12/24", interface = eth0 },
            ]
            """);
        Assert.Equal(
            [
                new PublicAddressSettings("192.0.2.10", 24, "eth0") { PreferredHost = "n2", Group = "web" },
                new PublicAddressSettings("192.0.2.11", 24, "eth0") { Group = "db" },
                new PublicAddressSettings("192.0.2.12", 24, "eth0"),
            ],
            settings.Ips.PublicAddresses.ToArray());
    }

    [Fact]
    public void PreferredHostAndGroup_AreMappedIntoClusterOptions()
    {
        var settings = Settings(TwoNodes + """
            haven.ips.public-addresses = [
              { address = "192.0.2.10/24", interface = eth0, preferred-host = n2, group = web },
              { address = "198.51.100.7/32", interface = eth1 },
            ]
            """);
        Assert.Equal(
            [new PublicAddress("192.0.2.10", 24, "eth0", "n2", "web"), new PublicAddress("198.51.100.7", 32, "eth1")],
            ClusterConfig.ToClusterOptions(settings, "ignored").PublicAddresses.ToArray());
    }

    [Fact]
    public void PreferredHost_NotInTheNodeList_IsRejectedNamingTheEntryAndTheName()
    {
        var problem = Assert.Single(Validate(TwoNodes + """
            haven.ips.public-addresses = [
              { address = "192.0.2.10/24", interface = eth0, preferred-host = n1 },
              { address = "192.0.2.11/24", interface = eth0, preferred-host = n9 },
            ]
            """));
        Assert.Equal(("haven.ips.public-addresses[1].preferred-host", "node \"n9\" is not in haven.cluster.nodes (known: n1, n2)"),
            (problem.Path, problem.Message));
        Assert.Equal("haven.conf:4:67", problem.Origin);
    }

    [Fact]
    public void PreferredHost_NotInTheNodeList_MakesReadingTheSettingsThrow()
    {
        var config = HoconParser.Parse(TwoNodes + "haven.ips.public-addresses = [{ address = \"192.0.2.10/24\", interface = eth0, preferred-host = ghost }]",
            "haven.conf");
        var e = Assert.Throws<ConfigException>(() => HavenSettings.From(config));
        Assert.Contains("haven.ips.public-addresses[0].preferred-host", e.Message);
        Assert.Contains("\"ghost\"", e.Message);
    }

    [Fact]
    public void PreferredHost_WithAnEmptyNodeList_IsAcceptedAsWritten()
    {
        var settings = Settings("haven.ips.public-addresses = [{ address = \"192.0.2.10/24\", interface = eth0, preferred-host = anyname }]");
        Assert.Equal("anyname", Assert.Single(settings.Ips.PublicAddresses).PreferredHost);
    }

    [Fact]
    public void PreferredHost_WhenTheNodeListItselfIsBad_IsNotReportedTwice()
    {
        var paths = Validate("""
            haven.cluster.nodes = [{ name = n1, id = 1 }, { name = n1, id = 2 }]
            haven.ips.public-addresses = [{ address = "192.0.2.10/24", interface = eth0, preferred-host = n3 }]
            """).Select(p => p.Path).ToArray();
        Assert.Equal(["haven.cluster.nodes[1].name"], paths);
    }

    [Theory]
    [InlineData("preferred-host = \"\"", "preferred-host", "invalid node name \"\"; use one or more letters, digits, '.', '_' or '-'")]
    [InlineData("preferred-host = \"n 1\"", "preferred-host", "invalid node name \"n 1\"; use one or more letters, digits, '.', '_' or '-'")]
    [InlineData("preferred-host = [n1]", "preferred-host", "expected a string, found list")]
    [InlineData("group = \"\"", "group", "invalid group name \"\"; use one or more characters without whitespace")]
    [InlineData("group = \"a b\"", "group", "invalid group name \"a b\"; use one or more characters without whitespace")]
    [InlineData("group = { x = 1 }", "group", "expected a string, found object")]
    public void BadOptionalField_IsRejectedAtItsPath(string field, string name, string message)
    {
        var problem = Assert.Single(Validate(TwoNodes + $"haven.ips.public-addresses = [{{ address = \"192.0.2.10/24\", interface = eth0, {field} }}]"));
        Assert.Equal(($"haven.ips.public-addresses[0].{name}", message), (problem.Path, problem.Message));
    }

    [Fact]
    public void MisspelledOptionalField_IsReportedWithTheNearestName()
    {
        var problem = Assert.Single(Validate(TwoNodes + "haven.ips.public-addresses = [{ address = \"192.0.2.10/24\", interface = eth0, prefered-host = n1 }]"));
        Assert.Equal(("haven.ips.public-addresses[0].prefered-host", "unknown field prefered-host; did you mean preferred-host?"),
            (problem.Path, problem.Message));
    }

    [Fact]
    public void MissingRequiredField_StillNamesOnlyTheRequiredFields()
    {
        var problem = Assert.Single(Validate("haven.ips.public-addresses = [{ address = \"192.0.2.10/24\", group = g }]"));
        Assert.Equal(("haven.ips.public-addresses[0].interface", "is missing; each entry needs address and interface"), (problem.Path, problem.Message));
    }
}
