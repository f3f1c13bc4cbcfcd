using Haven.Actors.Fencing;

namespace Haven.Actors.Tests.Fencing;

/// <summary>The self-fencing decision over time: when this host keeps petting its watchdog and when it lets it reset the host.</summary>
public sealed class SelfFenceGuardTests
{
    private static readonly SelfFenceOptions Options = new(DemoteTimeout: TimeSpan.FromSeconds(5), HangTimeout: TimeSpan.FromSeconds(4));

    private static TimeSpan S(double seconds) => TimeSpan.FromSeconds(seconds);

    private static SelfFenceGuard Started(double at = 0) => SelfFenceGuard.Start(Options, S(at));

    [Fact]
    public void Decide_PrimaryMakingProgress_Pets()
    {
        var guard = Started();
        for (var t = 1; t <= 60; t++)
        {
            guard = guard.Progress(S(t));
            (guard, var decision) = guard.Decide(S(t + 0.5));
            Assert.Equal(WatchdogCommand.Pet, decision.Command);
        }
    }

    [Fact]
    public void Decide_NoProgressForTheHangTimeout_StarvesForGood()
    {
        var guard = Started(8).Progress(S(10));
        Assert.Equal(WatchdogCommand.Pet, guard.Decide(S(13.9)).Decision.Command);
        var (hung, decision) = guard.Decide(S(14));
        Assert.Equal(WatchdogCommand.Starve, decision.Command);
        Assert.Contains("hung", decision.Reason, StringComparison.Ordinal);
        // Progress that comes back later does not revive a guard that has let go.
        Assert.Equal(WatchdogCommand.Starve, hung.Progress(S(15)).Decide(S(15)).Decision.Command);
    }

    [Fact]
    public void Decide_LostAndDemotedInTime_KeepsPetting()
    {
        var guard = Started(99).LostPartition(S(100)).Progress(S(102));
        Assert.Equal(SelfFenceRole.Demoting, guard.Role);
        Assert.Equal(S(105), guard.DemoteDeadline);
        Assert.Equal(WatchdogCommand.Pet, guard.Decide(S(103)).Decision.Command);
        guard = guard.DemotionCompleted(S(104.9)).Progress(S(104.9));
        Assert.Equal(SelfFenceRole.Demoted, guard.Role);
        for (var t = 105; t < 130; t++)
        {
            guard = guard.Progress(S(t));
            Assert.Equal(WatchdogCommand.Pet, guard.Decide(S(t)).Decision.Command);
        }
    }

    [Fact]
    public void Decide_LostAndNotDemotedByTheDeadline_Starves()
    {
        var guard = Started(99).LostPartition(S(100));
        guard = guard.Progress(S(102)).Progress(S(104));
        Assert.Equal(WatchdogCommand.Pet, guard.Decide(S(104.99)).Decision.Command);
        var (late, decision) = guard.Progress(S(105)).Decide(S(105));
        Assert.Equal(WatchdogCommand.Starve, decision.Command);
        Assert.Contains("demote-timeout", decision.Reason, StringComparison.Ordinal);
        Assert.True(late.Starving);
    }

    [Fact]
    public void DemotionCompleted_AfterTheDeadline_IsTooLate()
    {
        var guard = Started(99).LostPartition(S(100)).Progress(S(104)).DemotionCompleted(S(106));
        Assert.True(guard.Starving);
        Assert.Equal(WatchdogCommand.Starve, guard.Progress(S(107)).Decide(S(107)).Decision.Command);
    }

    [Fact]
    public void LostPartition_Twice_KeepsTheFirstDeadline()
    {
        var guard = Started(99).LostPartition(S(100)).Progress(S(103)).LostPartition(S(103));
        Assert.Equal(S(105), guard.DemoteDeadline);
    }

    [Fact]
    public void Promoted_WhileDemoting_ClearsTheDeadline()
    {
        var guard = Started(99).LostPartition(S(100)).Progress(S(102)).Promoted(S(102));
        Assert.Equal(SelfFenceRole.Primary, guard.Role);
        Assert.Null(guard.DemoteDeadline);
        Assert.Equal(WatchdogCommand.Pet, guard.Progress(S(104)).Progress(S(106)).Decide(S(106)).Decision.Command);
    }

    [Fact]
    public void Promoted_AfterStarving_StillStarves()
    {
        var (guard, _) = Started(99).LostPartition(S(100)).Progress(S(104)).Decide(S(105));
        Assert.Equal(WatchdogCommand.Starve, guard.Promoted(S(105)).Progress(S(105)).Decide(S(105)).Decision.Command);
    }

    [Fact]
    public void Stopped_CleanShutdown_Disarms()
    {
        var guard = Started().Progress(S(1)).Stopping(S(1));
        Assert.Equal(WatchdogCommand.Pet, guard.Decide(S(2)).Decision.Command);
        var (_, decision) = guard.Stopped(S(2)).Decide(S(2));
        Assert.Equal(WatchdogCommand.Disarm, decision.Command);
    }

    [Fact]
    public void Stopped_AfterStarving_DoesNotDisarm()
    {
        var (guard, _) = Started().Decide(S(10)); // hung: no progress for 10 s
        Assert.Equal(WatchdogCommand.Starve, guard.Stopped(S(11)).Decide(S(11)).Decision.Command);
    }

    [Fact]
    public void Stopping_WhileDemoting_KeepsTheDeadline()
    {
        var guard = Started(99).LostPartition(S(100)).Stopping(S(101)).Progress(S(104));
        Assert.Equal(SelfFenceRole.Stopping, guard.Role);
        Assert.Equal(WatchdogCommand.Starve, guard.Decide(S(105)).Decision.Command);
    }

    [Fact]
    public void LostPartition_WhileStoppingWithoutDeadline_StartsOne()
    {
        var guard = Started().Stopping(S(1)).LostPartition(S(2));
        Assert.Equal(S(7), guard.DemoteDeadline);
    }

    [Fact]
    public void Start_NonPositiveTimeouts_Throw() =>
        Assert.Throws<ArgumentException>(() => SelfFenceGuard.Start(new SelfFenceOptions(TimeSpan.Zero, S(1)), S(0)));

    [Fact]
    public void From_WatchdogSettings_UsesTheDemoteTimeoutForHangs()
    {
        var options = SelfFenceOptions.From(new WatchdogSettings { DemoteTimeout = S(3), Timeout = S(10) });
        Assert.Equal((S(3), S(3)), (options.DemoteTimeout, options.HangTimeout));
    }

    [Fact]
    public void StopPetting_AnyRole_StarvesForGoodWithTheReason()
    {
        var demoted = Started().LostPartition(S(1)).DemotionCompleted(S(2));
        foreach (var guard in new[] { Started(), demoted, Started().Stopping(S(1)) })
        {
            var stopped = guard.StopPetting("this host reboots itself");
            Assert.Equal(new WatchdogDecision(WatchdogCommand.Starve, "this host reboots itself"), stopped.Decide(S(2)).Decision);
            Assert.Equal(WatchdogCommand.Starve, stopped.Progress(S(3)).Promoted(S(3)).Stopped(S(3)).Decide(S(3)).Decision.Command);
        }
    }

    [Fact]
    public void StopPetting_AlreadyStarving_KeepsTheFirstReason()
    {
        var hung = Started().Decide(S(10)).Guard;
        Assert.True(hung.Starving);
        Assert.Equal(hung.StarvedBecause, hung.StopPetting("reboot").StarvedBecause);
    }
}
