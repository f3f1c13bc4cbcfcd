using Haven.Actors.Configuration;

namespace Haven.Actors.Tests.Configuration;

/// <summary>ClusterConfig.WithCorosyncNodes / NodeListDifferences: the node list taken from corosync's nodelist.</summary>
public sealed class CorosyncNodeListTests
{
    private static readonly NodeSettings[] Corosync = [new("n1", 1), new("n2", 2), new("n3", 3)];

    private static HavenSettings Settings(string cluster)
    {
        var config = HoconParser.Parse($"haven.cluster {{ name = c, transport = corosync, {cluster} }}", "haven.conf");
        Assert.Empty(HavenConfig.Validate(config.WithFallback(HavenConfig.Reference)));
        return HavenSettings.From(config);
    }

    [Fact]
    public void NoNodesConfigured_TakesCorosyncsNodelistSortedById()
    {
        var settings = ClusterConfig.WithCorosyncNodes(Settings("node-name = n2"), [new("n3", 3), new("n1", 1), new("n2", 2)], "box");

        Assert.Equal(Corosync, settings.Cluster.Nodes.ToArray());
        var options = ClusterConfig.ToClusterOptions(settings, "box");
        Assert.Equal("n2", options.Self.Name);
        Assert.Equal(3, options.Nodes.Length);
    }

    [Fact]
    public void SameNodesConfiguredInAnotherOrder_IsAccepted()
    {
        var settings = ClusterConfig.WithCorosyncNodes(
            Settings("node-name = n1, nodes = [{ name = n3, id = 3 }, { name = n1, id = 1 }, { name = n2, id = 2 }]"), [.. Corosync], "box");

        Assert.Equal(Corosync, settings.Cluster.Nodes.ToArray());
    }

    [Fact]
    public void ConfiguredListDiffers_IsRefusedNamingEveryDifference()
    {
        var e = Assert.Throws<ConfigException>(() => ClusterConfig.WithCorosyncNodes(
            Settings("node-name = n1, nodes = [{ name = n1, id = 1 }, { name = n2, id = 7 }, { name = n9, id = 9 }]"), [.. Corosync], "box"));

        Assert.Equal("haven.cluster.nodes", e.Path);
        Assert.Contains("n2 has id 7 in haven.cluster.nodes but nodeid 2 in corosync's nodelist", e.Message);
        Assert.Contains("n9 (id 9) is in haven.cluster.nodes but not in corosync's nodelist", e.Message);
        Assert.Contains("n3 (nodeid 3) is in corosync's nodelist but not in haven.cluster.nodes", e.Message);
        Assert.DoesNotContain("n1 ", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void SameLists_HaveNoDifferences() =>
        Assert.Empty(ClusterConfig.NodeListDifferences([.. Corosync.Reverse()], [.. Corosync]));

    [Fact]
    public void ThisHostNotInCorosyncsNodelist_IsRefusedNamingTheKnownNodes()
    {
        var e = Assert.Throws<ConfigException>(() => ClusterConfig.WithCorosyncNodes(Settings("node-name = \"\""), [.. Corosync], "box7"));

        Assert.Equal("haven.cluster.node-name", e.Path);
        Assert.Contains("host name \"box7\", which is not in corosync's nodelist (known: n1, n2, n3)", e.Message);
    }

    [Theory]
    [InlineData("fe80::1", 1u, "node name \"fe80::1\" (nodeid 1) is not a valid Haven node name")]
    [InlineData("n1", 0u, "node \"n1\" has no nodeid")]
    public void CorosyncEntryHavenCannotUse_IsRefusedSayingWhy(string name, uint id, string expected)
    {
        var e = Assert.Throws<ConfigException>(() => ClusterConfig.WithCorosyncNodes(Settings("node-name = n2"), [new(name, id), new("n2", 2)], "box"));

        Assert.Contains("corosync's nodelist cannot be used: " + expected, e.Message);
    }

    [Fact]
    public void CorosyncListWithDuplicates_IsRefused()
    {
        var e = Assert.Throws<ConfigException>(() => ClusterConfig.WithCorosyncNodes(Settings("node-name = n2"), [new("n2", 2), new("n2", 3), new("n4", 3)], "box"));

        Assert.Contains("node name \"n2\" appears twice", e.Message);
        Assert.Contains("nodeid 3 appears twice", e.Message);
    }

    [Fact]
    public void EmptyCorosyncList_IsRefused()
    {
        var e = Assert.Throws<ConfigException>(() => ClusterConfig.WithCorosyncNodes(Settings("node-name = n2"), [], "box"));

        Assert.Contains("it is empty", e.Message);
    }
}
