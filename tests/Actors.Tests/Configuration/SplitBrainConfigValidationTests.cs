using Haven.Actors.Configuration;

namespace Haven.Actors.Tests.Configuration;

/// <summary>
/// The split-brain rules come from SplitBrainSettings.Validate; each error is reported at the key it
/// concerns ("an unknown strategy, a quorum size larger than the node list, a referee that is not a node").
/// </summary>
public sealed class SplitBrainConfigValidationTests
{
    private const string ThreeNodes = "haven.cluster { node-name = n1, nodes = [{ name = n1, id = 1 }, { name = n2, id = 2 }, { name = n3, id = 3 }] }\n";
    private const string Sbr = "haven.split-brain-resolver";

    private static IReadOnlyList<ConfigProblem> Validate(string text, string? hostName = null) =>
        HavenConfig.Validate(HoconParser.Parse(text, "haven.conf", new HoconParseOptions { Fallback = HavenConfig.Reference }), hostName);

    private static string Only(string text, string? hostName = null) => Assert.Single(Validate(text, hostName)).ToString();

    [Fact]
    public void UnknownStrategy_IsAConfigError()
    {
        Assert.Equal($"haven.conf:2:46: {Sbr}.active-strategy: invalid value \"keep-everyone\"; expected one of keep-majority, static-quorum, keep-oldest, keep-referee, down-all, votequorum",
            Only(ThreeNodes + $"{Sbr}.active-strategy = keep-everyone"));
    }

    [Fact]
    public void QuorumSizeLargerThanTheNodeList_IsReportedAtQuorumSize()
    {
        Assert.Equal($"haven.conf:2:91: {Sbr}.static-quorum.quorum-size: {Sbr}.static-quorum.quorum-size 4 is larger than the 3 configured nodes",
            Only(ThreeNodes + $"{Sbr} {{ active-strategy = static-quorum, static-quorum.quorum-size = 4 }}"));
    }

    [Fact]
    public void QuorumSizeOfHalfOrLess_IsReported()
    {
        Assert.Equal($"{Sbr}.static-quorum.quorum-size 1 is not more than half of 3 nodes; both halves of a split could survive (use at least 2)",
            Assert.Single(Validate(ThreeNodes + $"{Sbr} {{ active-strategy = static-quorum, static-quorum.quorum-size = 1 }}")).Message);
        Assert.Empty(Validate(ThreeNodes + $"{Sbr} {{ active-strategy = static-quorum, static-quorum.quorum-size = 2 }}"));
    }

    [Fact]
    public void StaticQuorumWithoutSize_IsReportedAtTheReferenceDefault()
    {
        var problem = Assert.Single(Validate($"{Sbr}.active-strategy = static-quorum"));
        Assert.Equal(($"{Sbr}.static-quorum.quorum-size", $"{Sbr}.static-quorum.quorum-size must be at least 1, got 0"), (problem.Path, problem.Message));
        Assert.Equal(HavenConfig.Reference.Origin($"{Sbr}.static-quorum.quorum-size").ToString(), problem.Origin);
    }

    [Fact]
    public void QuorumSize_IsCheckedAgainstAOneHostClusterWhenTheListIsEmpty()
    {
        Assert.Equal($"{Sbr}.static-quorum.quorum-size 2 is larger than the 1 configured nodes",
            Assert.Single(Validate($"{Sbr} {{ active-strategy = static-quorum, static-quorum.quorum-size = 2 }}")).Message);
    }

    [Fact]
    public void RefereeThatIsNotANode_NamesTheKnownNodes()
    {
        Assert.Equal($"haven.conf:2:82: {Sbr}.keep-referee.node: node \"n9\" is not in haven.cluster.nodes (known: n1, n2, n3)",
            Only(ThreeNodes + $"{Sbr} {{ active-strategy = keep-referee, keep-referee.node = n9 }}"));
    }

    [Fact]
    public void RefereeThatIsANode_Validates()
    {
        Assert.Empty(Validate(ThreeNodes + $"{Sbr} {{ active-strategy = keep-referee, keep-referee.node = n3 }}"));
    }

    [Fact]
    public void KeepRefereeWithoutNode_IsReported()
    {
        var problem = Assert.Single(Validate(ThreeNodes + $"{Sbr}.active-strategy = keep-referee"));
        Assert.Equal(($"{Sbr}.keep-referee.node", $"{Sbr}.keep-referee.node is not set"), (problem.Path, problem.Message));
        Assert.StartsWith("reference.conf:", problem.Origin);
    }

    [Fact]
    public void RefereeMinimumAboveTheNodeCount_IsReported()
    {
        Assert.Equal($"haven.conf:2:129: {Sbr}.keep-referee.down-all-if-less-than-nodes: {Sbr}.keep-referee.down-all-if-less-than-nodes must be between 1 and 3, got 4",
            Only(ThreeNodes + $"{Sbr} {{ active-strategy = keep-referee, keep-referee.node = n2, keep-referee.down-all-if-less-than-nodes = 4 }}"));
    }

    [Fact]
    public void RefereeOfAOneHostCluster_MustBeThisHost_WhenItsNameIsKnown()
    {
        const string text = $"{Sbr} {{ active-strategy = keep-referee, keep-referee.node = h2 }}";
        Assert.Equal("node \"h2\" is not in haven.cluster.nodes (known: h1)", Assert.Single(Validate(text, hostName: "h1")).Message);
        Assert.Empty(Validate(text, hostName: "h2"));
        Assert.Empty(Validate(text));
    }

    [Fact]
    public void StableAfterZero_IsReported()
    {
        Assert.Equal($"{Sbr}.stable-after must be positive, got 00:00:00", Assert.Single(Validate($"{Sbr}.stable-after = 0s")).Message);
    }

    [Fact]
    public void HeuristicsWithoutAddresses_IsReportedAtAddresses()
    {
        var problem = Assert.Single(Validate("haven.heuristics.enabled = on"));
        Assert.Equal(("haven.heuristics.addresses", "haven.heuristics.enabled is on but haven.heuristics.addresses is empty"), (problem.Path, problem.Message));
    }

    [Fact]
    public void HeuristicsWithAnotherStrategy_IsReportedAtEnabled()
    {
        Assert.Equal("haven.conf:2:28: haven.heuristics.enabled: haven.heuristics.enabled applies to keep-majority only, not to 'down-all'",
            Only($"{Sbr}.active-strategy = down-all\nhaven.heuristics.enabled = on\nhaven.heuristics.addresses = [\"192.0.2.1\"]"));
    }

    [Fact]
    public void BadHeuristicAddress_IsReportedAtItsEntry()
    {
        Assert.Equal("haven.conf:1:54: haven.heuristics.addresses[1]: haven.heuristics.addresses entry 'not a host!' is neither an IP address nor a host name",
            Only("haven.heuristics { enabled = on, addresses = [\"gw1\", \"not a host!\"] }"));
    }

    [Fact]
    public void HeuristicsAttemptsAndTimeout_MustBePositive()
    {
        Assert.Equal("haven.conf:1:29: haven.heuristics.attempts: must be at least 1", Only("haven.heuristics.attempts = 0"));
        Assert.Equal("must be greater than zero", Assert.Single(Validate("haven.heuristics.timeout = 0ms")).Message);
    }

    [Fact]
    public void SeveralRules_AreAllReported()
    {
        var paths = Validate("haven.cluster { node-name = n1, nodes = [{ name = n1, id = 1 }, { name = n1, id = 2 }] }\n"
            + $"{Sbr} {{ active-strategy = keep-referee, keep-referee.node = n5 }}\n"
            + "haven.ips.public-addresses = [{ address = \"192.0.2.1/40\", interface = eth0 }]").Select(p => p.Path);
        Assert.Equal(["haven.cluster.nodes[1].name", "haven.ips.public-addresses[0].address", $"{Sbr}.keep-referee.node"], paths);
    }
}
