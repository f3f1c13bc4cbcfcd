using Haven.Actors.Cluster;
using Haven.Actors.Configuration;
using Haven.Actors.Membership;
using Haven.Actors.SplitBrain;

namespace Haven.Actors.Tests.Configuration;

/// <summary>ClusterConfig.ToClusterOptions: HavenSettings (and the host name) to what a ClusterActor needs.</summary>
public sealed class ClusterOptionsBridgeTests
{
    private static HavenSettings Settings(string text)
    {
        var config = HoconParser.Parse(text, "haven.conf");
        Assert.Empty(HavenConfig.Validate(config.WithFallback(HavenConfig.Reference)));
        return HavenSettings.From(config);
    }

    private const string Cluster = """
        haven {
          cluster {
            name = prod
            node-name = beta
            nodes = [{ name = alpha, id = 10 }, { name = beta, id = 20 }, { name = gamma, id = 30 }]
          }
          ips.public-addresses = [
            { address = "192.0.2.10/24", interface = eth0 },
            { address = "198.51.100.7/32", interface = "bond0.100" },
          ]
          split-brain-resolver { active-strategy = keep-referee, keep-referee.node = gamma, keep-referee.down-all-if-less-than-nodes = 2, stable-after = 7s }
        }
        """;

    [Fact]
    public void NodeList_BecomesMembersInOrder_AndSelfIsFoundByNodeName()
    {
        var options = ClusterConfig.ToClusterOptions(Settings(Cluster), "machine-name");
        Assert.Equal("prod", options.ClusterName);
        Assert.Equal([new Member(new NodeId(10), "alpha"), new Member(new NodeId(20), "beta"), new Member(new NodeId(30), "gamma")], options.Nodes.ToArray());
        Assert.Equal(new Member(new NodeId(20), "beta"), options.Self);
        Assert.Equal([new NodeId(10), new NodeId(20), new NodeId(30)], options.SplitBrain.Nodes.ToArray());
    }

    [Fact]
    public void Referee_IsMappedFromItsNameToItsId()
    {
        var split = ClusterConfig.ToClusterOptions(Settings(Cluster), "machine-name").SplitBrain;
        Assert.Equal(("keep-referee", new NodeId(30), 2, TimeSpan.FromSeconds(7)), (split.Strategy, split.Referee, split.RefereeMinimumMembers, split.StableAfter));
        Assert.IsType<KeepRefereeStrategy>(split.CreateStrategy());
    }

    [Fact]
    public void PublicAddresses_AreParsedIntoIpMaskAndInterface()
    {
        Assert.Equal(
            [new PublicAddress("192.0.2.10", 24, "eth0"), new PublicAddress("198.51.100.7", 32, "bond0.100")],
            ClusterConfig.ToClusterOptions(Settings(Cluster), "machine-name").PublicAddresses.ToArray());
    }

    [Fact]
    public void EmptyNodeList_IsThisHostAloneWithIdOne_NamedByTheHostName()
    {
        var options = ClusterConfig.ToClusterOptions(Settings(""), "box7");
        var self = new Member(new NodeId(1), "box7");
        Assert.Equal(self, options.Self);
        Assert.Equal([self], options.Nodes.ToArray());
        Assert.Equal([new NodeId(1)], options.SplitBrain.Nodes.ToArray());
        Assert.Empty(options.PublicAddresses);
        Assert.Empty(options.SplitBrain.Validate());
    }

    [Fact]
    public void EmptyNodeList_WithNodeName_UsesTheNodeName()
    {
        Assert.Equal(new Member(new NodeId(1), "lab1"), ClusterConfig.ToClusterOptions(Settings("haven.cluster.node-name = lab1"), "box7").Self);
    }

    [Fact]
    public void NodeNameUnset_SelfIsFoundByHostName()
    {
        var settings = Settings("haven.cluster.nodes = [{ name = a, id = 1 }, { name = b, id = 2 }]");
        Assert.Equal(new Member(new NodeId(2), "b"), ClusterConfig.ToClusterOptions(settings, "b").Self);
    }

    [Fact]
    public void HostNotInTheNodeList_IsAConfigException()
    {
        var settings = Settings("haven.cluster.nodes = [{ name = a, id = 1 }, { name = b, id = 2 }]");
        var error = Assert.Throws<ConfigException>(() => ClusterConfig.ToClusterOptions(settings, "c"));
        Assert.Equal("haven.cluster.node-name: is \"\", so this host is named by its host name \"c\", which is not in haven.cluster.nodes (known: a, b); set haven.cluster.node-name to one of them", error.Message);
    }

    [Fact]
    public void UnknownReferee_IsAConfigException()
    {
        var settings = Settings("haven.cluster { node-name = a, nodes = [{ name = a, id = 1 }] }") with
        {
            SplitBrainResolver = new SplitBrainResolverSettings(SplitBrainStrategyKind.KeepReferee, TimeSpan.FromSeconds(2), true, 0, "zz", true),
        };
        var error = Assert.Throws<ConfigException>(() => ClusterConfig.ToClusterOptions(settings, "a"));
        Assert.Equal("haven.split-brain-resolver.keep-referee.node: node \"zz\" is not in haven.cluster.nodes (known: a)", error.Message);
    }

    [Fact]
    public void Heuristics_MapToTheSplitBrainSettingsAndTheInterval()
    {
        var options = ClusterConfig.ToClusterOptions(
            Settings("haven.heuristics { enabled = on, addresses = [\"192.0.2.1\", gw.example], interval = 3s }\nhaven.split-brain-resolver.down-all-when-unstable = off"), "h");
        Assert.True(options.SplitBrain.UseIpHeuristics);
        Assert.Equal(["192.0.2.1", "gw.example"], options.SplitBrain.HeuristicAddresses.ToArray());
        Assert.Equal(TimeSpan.FromSeconds(3), options.HeuristicsInterval);
        Assert.Null(options.SplitBrain.EffectiveDownAllWhenUnstable);
        Assert.IsType<KeepMajorityStrategy>(options.SplitBrain.CreateStrategy());
    }

    [Fact]
    public void Defaults_GiveKeepMajorityWithoutHeuristics()
    {
        var split = ClusterConfig.ToClusterOptions(Settings(""), "h").SplitBrain;
        // stable-after 500 ms since issue 14 (was 2 s): Corosync's membership is already agreed when it is delivered.
        Assert.Equal(("keep-majority", false, TimeSpan.FromMilliseconds(500), true), (split.Strategy, split.UseIpHeuristics, split.StableAfter, split.DownIfAlone));
        Assert.Equal(TimeSpan.FromSeconds(1), split.EffectiveDownAllWhenUnstable); // 3/4 of 500 ms is below the 1 s floor
    }

    [Fact]
    public void EveryStrategyKind_HasAWordTheResolverKnows()
    {
        Assert.Equal(SplitBrainSettings.StrategyNames.ToArray(), Enum.GetValues<SplitBrainStrategyKind>().Select(ClusterConfig.StrategyName).ToArray());
    }

    [Fact]
    public void From_ReadsNodesAndAddresses()
    {
        var settings = Settings(Cluster);
        Assert.Equal([new NodeSettings("alpha", 10), new NodeSettings("beta", 20), new NodeSettings("gamma", 30)], settings.Cluster.Nodes.ToArray());
        Assert.Equal(new PublicAddressSettings("198.51.100.7", 32, "bond0.100"), settings.Ips.PublicAddresses[1]);
        Assert.Equal(2, settings.SplitBrainResolver.KeepRefereeDownAllIfLessThanNodes);
        Assert.Equal(2, settings.Heuristics.Attempts);
    }

    [Fact]
    public void From_BadEntry_ThrowsAtItsOrigin()
    {
        var error = Assert.Throws<ConfigException>(() => HavenSettings.From(HoconParser.Parse("haven.cluster.nodes = [{ name = a, id = 0 }]", "u.conf")));
        Assert.Equal("u.conf:1:41: haven.cluster.nodes[0].id: expected a whole number from 1 to 4294967295 (Corosync's nodeid), found number 0", error.Message);
        var address = Assert.Throws<ConfigException>(() => HavenSettings.From(HoconParser.Parse("haven.ips.public-addresses = [{ address = \"1.2.3.4/99\", interface = e }]", "u.conf")));
        Assert.Equal(("haven.ips.public-addresses[0].address", 43), (address.Path, address.Origin!.Column));
    }
}
