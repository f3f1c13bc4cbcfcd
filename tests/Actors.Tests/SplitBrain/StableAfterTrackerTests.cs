using Haven.Actors.SplitBrain;

namespace Haven.Actors.Tests.SplitBrain;

public sealed class StableAfterTrackerTests
{
    private static readonly DateTimeOffset T0 = new(2025, 1, 1, 0, 0, 0, TimeSpan.Zero);
    private static readonly TimeSpan Ten = TimeSpan.FromSeconds(10);

    private static DateTimeOffset At(double seconds) => T0 + TimeSpan.FromSeconds(seconds);

    [Fact]
    public void Evaluate_BeforeStableAfter_WaitsUntilStable()
    {
        var tracker = StableAfterTracker.Start(Ten, null, T0).MembershipChanged(At(1));
        Assert.Equal(new StabilityVerdict.Waiting(At(11)), tracker.Evaluate(At(5)));
        Assert.IsType<StabilityVerdict.Stable>(tracker.Evaluate(At(11)));
    }

    [Fact]
    public void MembershipChanged_DuringWait_RestartsTheWait()
    {
        var tracker = StableAfterTracker.Start(Ten, null, T0).MembershipChanged(At(0)).MembershipChanged(At(8));
        Assert.IsType<StabilityVerdict.Waiting>(tracker.Evaluate(At(12)));
        Assert.IsType<StabilityVerdict.Stable>(tracker.Evaluate(At(18)));
    }

    [Fact]
    public void Evaluate_FlappingLongerThanStableAfterPlusTolerance_DownsAll()
    {
        var tracker = StableAfterTracker.Start(Ten, TimeSpan.FromSeconds(7.5), T0);
        for (var s = 0; s <= 16; s += 4) tracker = tracker.MembershipChanged(At(s));
        Assert.Equal(new StabilityVerdict.Waiting(At(17.5)), tracker.Evaluate(At(16)));
        var verdict = Assert.IsType<StabilityVerdict.DownAllUnstable>(tracker.Evaluate(At(17.5)));
        Assert.Equal(TimeSpan.FromSeconds(17.5), verdict.UnstableFor);
    }

    [Fact]
    public void Evaluate_FlappingWithToleranceOff_NeverDownsAll()
    {
        var tracker = StableAfterTracker.Start(Ten, null, T0);
        for (var s = 0; s <= 100; s += 4) tracker = tracker.MembershipChanged(At(s));
        Assert.IsType<StabilityVerdict.Waiting>(tracker.Evaluate(At(101)));
    }

    [Fact]
    public void Decided_EndsUnstablePeriod_NextFlapCountsFromScratch()
    {
        var tracker = StableAfterTracker.Start(Ten, TimeSpan.FromSeconds(5), T0).MembershipChanged(At(0));
        Assert.IsType<StabilityVerdict.Stable>(tracker.Evaluate(At(10)));
        tracker = tracker.Decided().MembershipChanged(At(30));
        Assert.Equal(At(30), tracker.UnstableSince);
        Assert.Equal(new StabilityVerdict.Waiting(At(40)), tracker.Evaluate(At(31)));
    }

    [Fact]
    public void Evaluate_StableAndPastDownAllLimit_StableWins()
    {
        var tracker = StableAfterTracker.Start(Ten, TimeSpan.Zero, T0).MembershipChanged(At(0));
        Assert.IsType<StabilityVerdict.Stable>(tracker.Evaluate(At(10)));
    }

    [Fact]
    public void Evaluate_TimeBeforeLastChange_Throws()
    {
        var tracker = StableAfterTracker.Start(Ten, null, T0).MembershipChanged(At(5));
        Assert.Throws<ArgumentOutOfRangeException>(() => tracker.Evaluate(At(4)));
        Assert.Throws<ArgumentOutOfRangeException>(() => StableAfterTracker.Start(TimeSpan.Zero, null, T0));
    }

    [Fact]
    public void CreateTracker_FromSettings_UsesThreeQuartersDefault()
    {
        var tracker = new SplitBrainSettings { StableAfter = Ten }.CreateTracker(T0).MembershipChanged(T0);
        Assert.Equal(At(17.5), tracker.DownAllAt);
    }
}
