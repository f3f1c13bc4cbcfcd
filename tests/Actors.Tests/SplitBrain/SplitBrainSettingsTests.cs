using Haven.Actors.Membership;
using Haven.Actors.SplitBrain;

namespace Haven.Actors.Tests.SplitBrain;

public sealed class SplitBrainSettingsTests
{
    private static readonly SplitBrainSettings Five = new() { Nodes = [new(1), new(2), new(3), new(4), new(5)] };

    [Fact]
    public void CreateStrategy_Defaults_KeepMajority()
    {
        var strategy = Assert.IsType<KeepMajorityStrategy>(Five.CreateStrategy());
        Assert.False(strategy.UseHeuristics);
        Assert.Equal(TimeSpan.FromSeconds(3.75), Five.EffectiveDownAllWhenUnstable);
    }

    [Theory]
    [InlineData(200, 1000)]
    [InlineData(500, 1000)]
    [InlineData(1333, 1000)]
    [InlineData(2000, 1500)]
    public void EffectiveDownAllWhenUnstable_Default_ThreeQuartersOfStableAfterButAtLeastOneSecond(int stableMs, int toleranceMs)
    {
        var settings = Five with { StableAfter = TimeSpan.FromMilliseconds(stableMs) };
        Assert.Equal(TimeSpan.FromMilliseconds(toleranceMs), settings.EffectiveDownAllWhenUnstable);
        Assert.Equal(TimeSpan.FromMilliseconds(100), (settings with { DownAllWhenUnstable = TimeSpan.FromMilliseconds(100) }).EffectiveDownAllWhenUnstable); // set explicitly: as set
    }

    [Fact]
    public void Validate_UnknownStrategy_NamesItAndTheChoices()
    {
        var error = Assert.Throws<SplitBrainConfigurationException>(() => (Five with { Strategy = "keep-everyone" }).CreateStrategy());
        Assert.Contains("'keep-everyone' is unknown", error.Message);
        Assert.Contains("keep-majority", error.Message);
    }

    [Fact]
    public void Validate_QuorumSizeLargerThanNodeList_Error()
    {
        var errors = (Five with { Strategy = "static-quorum", QuorumSize = 6 }).Validate();
        Assert.Contains(errors, e => e.Contains("quorum-size 6 is larger than the 5 configured nodes", StringComparison.Ordinal));
    }

    [Fact]
    public void Validate_QuorumSizeHalfOrLess_ErrorSuggestsMinimum()
    {
        var errors = (Five with { Strategy = "static-quorum", QuorumSize = 2 }).Validate();
        Assert.Contains(errors, e => e.Contains("at least 3", StringComparison.Ordinal));
        Assert.IsType<StaticQuorumStrategy>((Five with { Strategy = "static-quorum", QuorumSize = 3 }).CreateStrategy());
    }

    [Fact]
    public void Validate_RefereeNotANode_Error()
    {
        var errors = (Five with { Strategy = "keep-referee", Referee = new NodeId(9) }).Validate();
        Assert.Contains(errors, e => e.Contains("referee 9 is not a configured node", StringComparison.Ordinal));
        Assert.Contains((Five with { Strategy = "keep-referee" }).Validate(), e => e.Contains("referee is not set", StringComparison.Ordinal));
        Assert.IsType<KeepRefereeStrategy>((Five with { Strategy = "keep-referee", Referee = new NodeId(4) }).CreateStrategy());
    }

    [Fact]
    public void Validate_HeuristicsWithoutAddressesOrWithOtherStrategyOrBadAddress_Errors()
    {
        Assert.Contains((Five with { UseIpHeuristics = true }).Validate(), e => e.Contains("heuristic-addresses is empty", StringComparison.Ordinal));
        Assert.Contains((Five with { UseIpHeuristics = true, Strategy = "keep-oldest", HeuristicAddresses = ["10.0.0.1"] }).Validate(),
            e => e.Contains("keep-majority only", StringComparison.Ordinal));
        Assert.Contains((Five with { UseIpHeuristics = true, HeuristicAddresses = ["not an address!"] }).Validate(),
            e => e.Contains("'not an address!'", StringComparison.Ordinal));
        var ok = Five with { UseIpHeuristics = true, HeuristicAddresses = ["192.0.2.1", "gw.example.net", "2001:db8::1"] };
        Assert.True(Assert.IsType<KeepMajorityStrategy>(ok.CreateStrategy()).UseHeuristics);
    }

    [Fact]
    public void Validate_EmptyOrDuplicateNodesAndBadStableAfter_AllErrorsAtOnce()
    {
        var errors = new SplitBrainSettings { Nodes = [new(1), new(1)], StableAfter = TimeSpan.Zero }.Validate();
        Assert.Equal(2, errors.Count);
        Assert.Contains(errors, e => e.Contains("names a node twice: 1", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.Contains("stable-after must be positive", StringComparison.Ordinal));
        Assert.Contains(new SplitBrainSettings().Validate(), e => e.Contains("nodes is empty", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("keep-majority", typeof(KeepMajorityStrategy))]
    [InlineData("keep-oldest", typeof(KeepOldestStrategy))]
    [InlineData("down-all", typeof(DownAllStrategy))]
    [InlineData("votequorum", typeof(VoteQuorumStrategy))]
    public void CreateStrategy_EachName_MatchingClass(string name, Type expected)
    {
        var strategy = (Five with { Strategy = name }).CreateStrategy();
        Assert.IsType(expected, strategy);
        Assert.Equal(name, strategy.Name);
    }
}
