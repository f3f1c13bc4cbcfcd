using Haven.Actors.Membership;
using Haven.Actors.SplitBrain;
using static Haven.Actors.Tests.SplitBrain.SplitBrainTestViews;

namespace Haven.Actors.Tests.SplitBrain;

public sealed class DowningStrategyTests
{
    [Fact]
    public void KeepMajority_MajoritySide_DownsUnreachable()
    {
        var decision = new KeepMajorityStrategy(false).Decide(View([3, 4, 5], [1, 2]));
        Assert.Equal(DowningDecisionKind.DownUnreachable, decision.Kind);
        Assert.Equal(Set([1, 2]), decision.NodesToDown);
    }

    [Fact]
    public void KeepMajority_MinoritySideEvenReachingHeuristics_DownsItself()
    {
        var decision = new KeepMajorityStrategy(true).Decide(View([1], [2, 3], heuristics: true, otherHeuristics: false));
        Assert.Equal(DowningDecisionKind.DownReachable, decision.Kind);
        Assert.Equal(Set([1]), decision.NodesToDown);
    }

    [Fact]
    public void KeepMajority_TwoNodeTieWithoutHeuristics_LowestIdSurvives()
    {
        var strategy = new KeepMajorityStrategy(false);
        Assert.True(strategy.Decide(View([1], [2])).ThisSideSurvives);
        Assert.False(strategy.Decide(View([2], [1])).ThisSideSurvives);
    }

    [Fact]
    public void KeepMajority_TwoNodeTieOnlyHigherNodeReachesHeuristics_HigherNodeSurvives()
    {
        var strategy = new KeepMajorityStrategy(true);
        Assert.True(strategy.Decide(View([2], [1], heuristics: true, otherHeuristics: false)).ThisSideSurvives);
        Assert.False(strategy.Decide(View([1], [2], heuristics: false, otherHeuristics: true)).ThisSideSurvives);
    }

    [Fact]
    public void KeepMajority_TieBothReachHeuristics_LowestIdSurvivesUnlikeHaLizard()
    {
        var strategy = new KeepMajorityStrategy(true);
        Assert.True(strategy.Decide(View([1, 4], [2, 3], heuristics: true, otherHeuristics: true)).ThisSideSurvives);
        Assert.False(strategy.Decide(View([2, 3], [1, 4], heuristics: true, otherHeuristics: true)).ThisSideSurvives);
    }

    [Fact]
    public void KeepMajority_TieOtherSideUnknownHigherSideReaches_DemotesToAvoidTwoSurvivors()
    {
        var decision = new KeepMajorityStrategy(true).Decide(View([2], [1], heuristics: true));
        Assert.False(decision.ThisSideSurvives);
        Assert.Contains("unknown", decision.Reason);
    }

    [Fact]
    public void KeepMajority_TieOwnHeuristicUnknown_CountsAsNotReaching()
    {
        Assert.False(new KeepMajorityStrategy(true).Decide(View([1], [2])).ThisSideSurvives);
    }

    [Fact]
    public void AnyStrategy_NothingUnreachable_DownsNothing()
    {
        DowningStrategy[] strategies =
        [
            new KeepMajorityStrategy(false), new StaticQuorumStrategy(3), new KeepOldestStrategy(true),
            new KeepRefereeStrategy(new NodeId(9), 1), new DownAllStrategy(), new VoteQuorumStrategy(),
        ];
        foreach (var strategy in strategies)
        {
            var decision = strategy.Decide(View([1, 2], [], configured: 9));
            Assert.Equal(DowningDecisionKind.DownUnreachable, decision.Kind);
            Assert.Empty(decision.NodesToDown);
        }
    }

    [Fact]
    public void StaticQuorum_SideBelowQuorum_DownsItself()
    {
        var strategy = new StaticQuorumStrategy(3);
        Assert.Equal(DowningDecisionKind.DownReachable, strategy.Decide(View([1, 2], [3, 4, 5])).Kind);
        Assert.Equal(DowningDecisionKind.DownUnreachable, strategy.Decide(View([3, 4, 5], [1, 2])).Kind);
    }

    [Fact]
    public void KeepOldest_OldestIsNotLowestId_SideWithOldestSurvives()
    {
        Func<uint, long> age = id => id == 3 ? 0 : id;
        var strategy = new KeepOldestStrategy(false);
        Assert.True(strategy.Decide(View([3], [1, 2], age: age)).ThisSideSurvives);
        Assert.False(strategy.Decide(View([1, 2], [3], age: age)).ThisSideSurvives);
    }

    [Fact]
    public void KeepOldest_DownIfAloneAndOldestAlone_OtherSideSurvives()
    {
        var strategy = new KeepOldestStrategy(true);
        Assert.False(strategy.Decide(View([1], [2, 3])).ThisSideSurvives);
        Assert.True(strategy.Decide(View([2, 3], [1])).ThisSideSurvives);
        Assert.True(strategy.Decide(View([1], [2])).ThisSideSurvives, "against a single node the oldest keeps going");
    }

    [Fact]
    public void KeepReferee_RefereeSideTooSmall_DownsAll()
    {
        var decision = new KeepRefereeStrategy(new NodeId(1), minimumMembers: 2).Decide(View([1], [2, 3]));
        Assert.Equal(DowningDecisionKind.DownAll, decision.Kind);
        Assert.Equal(Set([1, 2, 3]), decision.NodesToDown);
    }

    [Theory]
    [InlineData(true, DowningDecisionKind.DownUnreachable)]
    [InlineData(false, DowningDecisionKind.DownReachable)]
    [InlineData(null, DowningDecisionKind.DownReachable)]
    public void VoteQuorum_EngineVerdict_Decides(bool? quorate, DowningDecisionKind expected)
    {
        Assert.Equal(expected, new VoteQuorumStrategy().Decide(View([1], [2, 3], quorate: quorate)).Kind);
    }

    [Fact]
    public void Decide_InvalidView_ThrowsNamingTheProblem()
    {
        var strategy = new KeepMajorityStrategy(false);
        Assert.Contains("both reachable and unreachable", Assert.Throws<ArgumentException>(() => strategy.Decide(View([1, 2], [2, 3]))).Message);
        Assert.Contains("not configured", Assert.Throws<ArgumentException>(() => strategy.Decide(View([1], [7], configured: 2))).Message);
        Assert.Contains("no reachable member", Assert.Throws<ArgumentException>(() => strategy.Decide(View([], [1]))).Message);
    }
}
