using Haven.Actors.Fencing;
using Haven.Actors.Runtime;

namespace Haven.Actors.Tests.Fencing;

/// <summary>The keeper between the guard and a (recording) watchdog, on virtual time.</summary>
public sealed class WatchdogKeeperTests
{
    private static readonly WatchdogSettings Settings = new() { Enabled = true, Timeout = TimeSpan.FromSeconds(9), DemoteTimeout = TimeSpan.FromSeconds(5) };
    private readonly VirtualClock clock = new();
    private readonly RecordingWatchdog watchdog = new();

    [Fact]
    public void Start_ArmsWithTheTimeoutAndPetsEveryThirdWhileProgressing()
    {
        using var keeper = new WatchdogKeeper(watchdog, Settings, clock);
        keeper.Start();
        Assert.Equal(["arm 9s"], watchdog.Calls);
        Run(keeper, seconds: 30);
        Assert.Equal(10, watchdog.Calls.Count(c => c == "pet")); // every 3 s
        Assert.True(watchdog.Armed);
    }

    [Fact]
    public void LostPartition_NotDemotedInTime_StopsPettingForGood()
    {
        using var keeper = new WatchdogKeeper(watchdog, Settings, clock);
        keeper.Start();
        Run(keeper, seconds: 6);
        keeper.LostPartition();
        var before = watchdog.Calls.Count(c => c == "pet");
        Run(keeper, seconds: 30);
        // Lost at 6 s with a 5 s demote-timeout: one more pet (at 9 s), none from 12 s on.
        Assert.Equal(before + 1, watchdog.Calls.Count(c => c == "pet"));
        Assert.True(keeper.Guard.Starving);
        keeper.Promoted();
        Run(keeper, seconds: 10);
        Assert.Equal(before + 1, watchdog.Calls.Count(c => c == "pet"));
    }

    [Fact]
    public void LostPartition_DemotedInTime_KeepsPetting()
    {
        using var keeper = new WatchdogKeeper(watchdog, Settings, clock);
        keeper.Start();
        keeper.LostPartition();
        Run(keeper, seconds: 2);
        keeper.DemotionCompleted();
        Run(keeper, seconds: 28);
        Assert.Equal(10, watchdog.Calls.Count(c => c == "pet"));
        Assert.False(keeper.Guard.Starving);
    }

    [Fact]
    public void HungDaemon_NoProgress_StopsPetting()
    {
        using var keeper = new WatchdogKeeper(watchdog, Settings, clock);
        keeper.Start();
        clock.Advance(TimeSpan.FromSeconds(30)); // no Progress calls: the actor is hung
        Assert.Equal(1, watchdog.Calls.Count(c => c == "pet")); // at 3 s; at 6 s the 5 s hang timeout has passed
        Assert.True(keeper.Guard.Starving);
    }

    [Fact]
    public void Stopped_CleanShutdown_DisarmsAndStopsTheTimer()
    {
        using var keeper = new WatchdogKeeper(watchdog, Settings, clock);
        keeper.Start();
        Run(keeper, seconds: 4);
        keeper.Stopping();
        keeper.Stopped();
        Assert.Equal("disarm", watchdog.Calls[^1]);
        var calls = watchdog.Calls.Count;
        clock.Advance(TimeSpan.FromSeconds(20));
        Assert.Equal(calls, watchdog.Calls.Count);
        Assert.Equal(0, clock.ActiveTimerCount);
    }

    [Fact]
    public void Dispose_DoesNotDisarm()
    {
        var keeper = new WatchdogKeeper(watchdog, Settings, clock);
        keeper.Start();
        keeper.Dispose();
        Assert.DoesNotContain("disarm", watchdog.Calls);
        Assert.True(watchdog.Armed);
    }

    [Fact]
    public void Tick_PetFails_IsLoggedAndTheKeeperGoesOn()
    {
        using var keeper = new WatchdogKeeper(watchdog, Settings, clock);
        keeper.Start();
        watchdog.FailPets = true;
        Run(keeper, seconds: 6);
        watchdog.FailPets = false;
        Run(keeper, seconds: 3);
        Assert.Contains("pet", watchdog.Calls);
    }

    [Fact]
    public void StopPetting_ProgressingPrimary_NeverPetsAgainAndAStopDoesNotDisarm()
    {
        using var keeper = new WatchdogKeeper(watchdog, Settings, clock);
        keeper.Start();
        Run(keeper, seconds: 4);
        Assert.True(keeper.Armed);
        var pets = watchdog.Calls.Count(c => c == "pet");

        keeper.StopPetting("reboot-lone-host");
        Run(keeper, seconds: 30);
        keeper.Stopping();
        keeper.Stopped();

        Assert.Equal(pets, watchdog.Calls.Count(c => c == "pet"));
        Assert.DoesNotContain("disarm", watchdog.Calls);
        Assert.Equal("reboot-lone-host", keeper.Guard.StarvedBecause);
        Assert.True(keeper.Armed);
    }

    [Fact]
    public void Armed_BeforeStartAndAfterACleanStop_False()
    {
        using var keeper = new WatchdogKeeper(watchdog, Settings, clock);
        Assert.False(keeper.Armed);
        keeper.Start();
        Assert.True(keeper.Armed);
        keeper.Stopping();
        keeper.Stopped();
        Assert.False(keeper.Armed);
    }

    /// <summary>Advances one second at a time, reporting progress each second (a live ClusterActor).</summary>
    private void Run(WatchdogKeeper keeper, int seconds)
    {
        for (var i = 0; i < seconds; i++)
        {
            keeper.Progress();
            clock.Advance(TimeSpan.FromSeconds(1));
        }
    }

    private sealed class RecordingWatchdog : IWatchdog
    {
        public List<string> Calls { get; } = [];

        public bool FailPets { get; set; }

        public bool Armed { get; private set; }

        public TimeSpan? EffectiveTimeout { get; private set; }

        public void Arm(TimeSpan timeout)
        {
            Armed = true;
            EffectiveTimeout = timeout;
            Calls.Add($"arm {timeout.TotalSeconds:0}s");
        }

        public void Pet()
        {
            if (FailPets)
            {
                throw new WatchdogException("fake", "write failed");
            }

            Calls.Add("pet");
        }

        public void Disarm()
        {
            Armed = false;
            Calls.Add("disarm");
        }

        public void Dispose()
        {
        }
    }
}
