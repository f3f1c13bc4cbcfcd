using Haven.Actors.Fencing;

namespace Haven.Actors.Tests.Fencing;

public sealed class FencingRulesTests
{
    private static readonly FencingPolicy Defaults = new();

    [Fact]
    public void Decide_QuorateWithEnoughHosts_Proceeds() =>
        Assert.Equal(FenceVerdict.Proceed, FencingRules.Decide(Defaults, new FencingContext(2, 3, Quorate: true)).Verdict);

    [Fact]
    public void Decide_Disabled_Refuses()
    {
        var decision = FencingRules.Decide(Defaults with { Enabled = false }, new FencingContext(3, 3, true));
        Assert.Equal(FenceVerdict.Refuse, decision.Verdict);
        Assert.Contains("disabled", decision.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Decide_NoQuorumAndQuorumRequired_Refuses()
    {
        var decision = FencingRules.Decide(Defaults, new FencingContext(1, 3, Quorate: false));
        Assert.Equal(FenceVerdict.Refuse, decision.Verdict);
        Assert.Contains("no quorum", decision.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Decide_NoQuorumButQuorumNotRequired_Proceeds() =>
        Assert.Equal(FenceVerdict.Proceed, FencingRules.Decide(Defaults with { QuorumRequired = false }, new FencingContext(1, 3, false)).Verdict);

    [Theory]
    [InlineData(3, 3, FenceVerdict.Proceed)]
    [InlineData(2, 3, FenceVerdict.Refuse)]
    [InlineData(4, 3, FenceVerdict.Proceed)]
    public void Decide_MinHosts_RefusesBelowTheMinimum(int remaining, int minHosts, FenceVerdict expected)
    {
        var decision = FencingRules.Decide(Defaults with { MinHosts = minHosts }, new FencingContext(remaining, 5, true));
        Assert.Equal(expected, decision.Verdict);
        if (expected == FenceVerdict.Refuse)
        {
            Assert.Contains($"only {remaining} host(s) remain, fewer than min-hosts = {minHosts}", decision.Reason, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void Decide_LoneHostWithRebootLoneHost_RebootsItself() =>
        Assert.Equal(FenceVerdict.RebootSelf, FencingRules.Decide(Defaults with { RebootLoneHost = true }, new FencingContext(1, 3, false)).Verdict);

    [Fact]
    public void Decide_LoneHostWithoutRebootLoneHost_FollowsTheOtherRules() =>
        Assert.Equal(FenceVerdict.Refuse, FencingRules.Decide(Defaults, new FencingContext(1, 3, false)).Verdict);

    [Fact]
    public void Decide_SingleHostClusterWithRebootLoneHost_NeverRebootsItself() =>
        Assert.Equal(FenceVerdict.Proceed, FencingRules.Decide(Defaults with { RebootLoneHost = true }, new FencingContext(1, 1, true)).Verdict);

    [Theory]
    [InlineData(false, FailedFenceRecovery.Block)]
    [InlineData(true, FailedFenceRecovery.RecoverAnyway)]
    public void AfterFailure_FollowsRecoverOnFailure(bool recover, FailedFenceRecovery expected) =>
        Assert.Equal(expected, FencingRules.AfterFailure(Defaults with { RecoverOnFailure = recover }));

    [Theory]
    [InlineData(2, 10, 5, false, 0)]   // holds more: fences at once
    [InlineData(2, 5, 10, true, 7)]    // holds less: waits
    [InlineData(2, 5, 5, true, 0)]     // tie, lower id: at once
    [InlineData(2, 5, 5, false, 7)]    // tie, higher id: waits
    [InlineData(3, 5, 10, true, 0)]    // more than two hosts: no race, no delay
    public void PriorityDelay_TwoHostRace_DelaysTheSideHoldingLess(int hosts, long own, long peer, bool lowerId, int expectedSeconds) =>
        Assert.Equal(TimeSpan.FromSeconds(expectedSeconds),
            FencingRules.PriorityDelay(Defaults with { PriorityDelay = TimeSpan.FromSeconds(7) }, hosts, own, peer, lowerId));

    [Fact]
    public void PriorityDelay_Zero_NeverDelays() =>
        Assert.Equal(TimeSpan.Zero, FencingRules.PriorityDelay(Defaults, 2, 0, 100, false));
}
