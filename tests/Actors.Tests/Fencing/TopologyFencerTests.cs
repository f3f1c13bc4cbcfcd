using System.Collections.Immutable;
using Haven.Actors.Cluster;
using Haven.Actors.Fencing;
using Haven.Actors.Membership;
using Haven.Actors.Runtime;

namespace Haven.Actors.Tests.Fencing;

public sealed class TopologyFencerTests
{
    private static readonly TimeSpan Safety = TimeSpan.FromSeconds(10);
    private readonly VirtualClock clock = new();
    private readonly FenceHistoryLog history = new();

    [Fact]
    public async Task FenceAsync_FirstLevelSucceeds_ReportsItsDeviceAndSkipsLaterLevels()
    {
        var amm = new ScriptedFenceDevice("amm1");
        var pdu = new ScriptedFenceDevice("pdu1");
        var fencer = Fencer(Topology(("node2", [["amm1"], ["pdu1"]])), amm, pdu);
        var result = await fencer.FenceAsync(Target("node2"), CancellationToken.None).WaitAsync(Safety);
        Assert.True(result.Success, result.Detail);
        Assert.Equal("amm1", result.Device);
        Assert.Equal([("node2", FenceAction.Off)], amm.Calls);
        Assert.Empty(pdu.Calls);
        Assert.Collection(history.Snapshot(),
            r => Assert.Equal(new FenceHistoryRequested("node2", FenceAction.Off, "lost", clock.GetUtcNow()), r),
            r => Assert.Equal("amm1", Assert.IsType<FenceHistorySucceeded>(r).Device));
    }

    [Fact]
    public async Task FenceAsync_FirstLevelFails_TriesTheNextLevel()
    {
        var amm = ScriptedFenceDevice.AlwaysFailing("amm1", "blade 2 still reads power state 1 (on)");
        var pdu = new ScriptedFenceDevice("pdu1");
        var fencer = Fencer(Topology(("node2", [["amm1"], ["pdu1"]])), amm, pdu);
        var result = await fencer.FenceAsync(Target("node2"), CancellationToken.None).WaitAsync(Safety);
        Assert.True(result.Success);
        Assert.Equal("pdu1", result.Device);
        Assert.Equal(2, amm.Calls.Count); // first attempt and one retry
        Assert.Equal(2, Assert.IsType<FenceHistorySucceeded>(history.Snapshot()[^1]).Level);
    }

    [Fact]
    public async Task FenceAsync_OneDeviceOfALevelFails_TheLevelFails()
    {
        var psu1 = new ScriptedFenceDevice("psu1");
        var psu2 = ScriptedFenceDevice.AlwaysFailing("psu2", "outlet 4 did not switch");
        var amm = new ScriptedFenceDevice("amm1");
        var fencer = Fencer(Topology(("node2", [["psu1", "psu2"], ["amm1"]])), psu1, psu2, amm);
        var result = await fencer.FenceAsync(Target("node2"), CancellationToken.None).WaitAsync(Safety);
        Assert.True(result.Success);
        Assert.Equal("amm1", result.Device);
        Assert.Single(psu1.Calls);
        Assert.NotEmpty(psu2.Calls);
    }

    [Fact]
    public async Task FenceAsync_TwoDeviceLevelSucceeds_NamesBothDevices()
    {
        var fencer = Fencer(Topology(("node2", [["psu1", "psu2"]])), new ScriptedFenceDevice("psu1"), new ScriptedFenceDevice("psu2"));
        var result = await fencer.FenceAsync(Target("node2"), CancellationToken.None).WaitAsync(Safety);
        Assert.True(result.Success);
        Assert.Equal("psu1+psu2", result.Device);
    }

    [Fact]
    public async Task FenceAsync_EveryLevelFails_FailsWithEveryReason()
    {
        var fencer = Fencer(Topology(("node2", [["amm1"], ["pdu1"]])),
            ScriptedFenceDevice.AlwaysFailing("amm1", "wrong signature"), ScriptedFenceDevice.AlwaysFailing("pdu1", "refused"));
        var result = await fencer.FenceAsync(Target("node2"), CancellationToken.None).WaitAsync(Safety);
        Assert.False(result.Success);
        Assert.Contains("level 1 (amm1): amm1: wrong signature", result.Detail, StringComparison.Ordinal);
        Assert.Contains("level 2 (pdu1): pdu1: refused", result.Detail, StringComparison.Ordinal);
        Assert.IsType<FenceHistoryFailed>(history.Snapshot()[^1]);
    }

    [Fact]
    public async Task FenceAsync_DeviceThrows_IsAFailureNeverASuccess()
    {
        var amm = new ScriptedFenceDevice("amm1").ThenThrow("no blade is named node2").ThenThrow("no blade is named node2");
        var fencer = Fencer(Topology(("node2", [["amm1"]])), amm);
        var result = await fencer.FenceAsync(Target("node2"), CancellationToken.None).WaitAsync(Safety);
        Assert.False(result.Success);
        Assert.Contains("no blade is named node2", result.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task FenceAsync_DeviceHangs_TimesOutAndFails()
    {
        var amm = new ScriptedFenceDevice("amm1").ThenHang();
        var fencer = Fencer(Topology(("node2", [["amm1"]])), [amm], new FencerOptions { DeviceTimeout = TimeSpan.FromSeconds(30), DeviceRetries = 0 });
        var pending = fencer.FenceAsync(Target("node2"), CancellationToken.None);
        await amm.Called.WaitAsync(Safety);
        clock.Advance(TimeSpan.FromSeconds(29));
        Assert.False(pending.IsCompleted);
        clock.Advance(TimeSpan.FromSeconds(1));
        var result = await pending.WaitAsync(Safety);
        Assert.False(result.Success);
        Assert.Contains("timed out after 30 s", result.Detail, StringComparison.Ordinal);
        Assert.Equal(TimeSpan.FromSeconds(30), Assert.IsType<FenceHistoryFailed>(history.Snapshot()[^1]).Duration);
    }

    [Fact]
    public async Task FenceAsync_DeviceFailsOnce_RetriesAndSucceeds()
    {
        var amm = new ScriptedFenceDevice("amm1").ThenFail("SNMP timeout");
        var fencer = Fencer(Topology(("node2", [["amm1"]])), amm);
        var result = await fencer.FenceAsync(Target("node2"), CancellationToken.None).WaitAsync(Safety);
        Assert.True(result.Success);
        Assert.Equal(2, amm.Calls.Count);
    }

    [Fact]
    public async Task FenceAsync_NoRetries_CallsTheDeviceOnce()
    {
        var amm = new ScriptedFenceDevice("amm1").ThenFail("SNMP timeout");
        var fencer = Fencer(Topology(("node2", [["amm1"]])), [amm], new FencerOptions { DeviceRetries = 0 });
        var result = await fencer.FenceAsync(Target("node2"), CancellationToken.None).WaitAsync(Safety);
        Assert.False(result.Success);
        Assert.Single(amm.Calls);
    }

    [Fact]
    public async Task FenceAsync_HostWithoutTopology_FailsNamingTheHost()
    {
        var fencer = Fencer(Topology(("node2", [["amm1"]])), new ScriptedFenceDevice("amm1"));
        var result = await fencer.FenceAsync(Target("node3"), CancellationToken.None).WaitAsync(Safety);
        Assert.False(result.Success);
        Assert.Contains("no fencing topology for node3", result.Detail, StringComparison.Ordinal);
        Assert.True(result.Impossible);
    }

    [Fact]
    public async Task FenceAsync_HostNotListedButStarPresent_UsesTheStarLevels()
    {
        var amm = new ScriptedFenceDevice("amm1");
        var fencer = Fencer(Topology(("*", [["amm1"]])), amm);
        var result = await fencer.FenceAsync(Target("node7"), CancellationToken.None).WaitAsync(Safety);
        Assert.True(result.Success);
        Assert.Equal([("node7", FenceAction.Off)], amm.Calls);
    }

    [Fact]
    public async Task FenceAllAsync_SeveralTargets_RunInParallel()
    {
        // Each call waits until both hosts are being fenced: serial fencing would never finish.
        var both = new CountdownEvent(2);
        var bothStarted = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var amm = new ScriptedFenceDevice("amm1")
        {
            Otherwise = async (host, _, _) =>
            {
                if (both.Signal())
                {
                    bothStarted.TrySetResult();
                }

                await bothStarted.Task;
                return FenceDeviceOutcome.Succeeded($"{host} off");
            },
        };
        var fencer = Fencer(Topology(("*", [["amm1"]])), amm);
        var results = await fencer.FenceAllAsync([Target("node2"), Target("node3")], CancellationToken.None).WaitAsync(Safety);
        Assert.All(results, r => Assert.True(r.Success));
        Assert.Equal(["node2 off", "node3 off"], results.Select(r => r.Detail.Split(": ")[1]));
    }

    [Fact]
    public async Task FenceAsync_SameHostWhileInProgress_JoinsTheRunningFence()
    {
        var release = new TaskCompletionSource<FenceDeviceOutcome>(TaskCreationOptions.RunContinuationsAsynchronously);
        var amm = new ScriptedFenceDevice("amm1").Then((_, _, _) => release.Task);
        var fencer = Fencer(Topology(("node2", [["amm1"]])), amm);
        var first = fencer.FenceAsync(Target("node2"), CancellationToken.None);
        var second = fencer.FenceAsync(Target("node2"), CancellationToken.None);
        await amm.Called.WaitAsync(Safety);
        release.SetResult(FenceDeviceOutcome.Succeeded("off"));
        Assert.Same(first, second);
        Assert.True((await first.WaitAsync(Safety)).Success);
        Assert.Single(amm.Calls);
    }

    [Fact]
    public async Task FenceAsync_RebootOverTwoDevices_SwitchesAllOffThenAllOn()
    {
        var log = new List<string>();
        ScriptedFenceDevice Recording(string name) => new(name)
        {
            Otherwise = (host, action, _) =>
            {
                lock (log)
                {
                    log.Add($"{name} {action}");
                }

                return Task.FromResult(FenceDeviceOutcome.Succeeded("ok"));
            },
        };
        var fencer = Fencer(Topology(("node2", [["psu1", "psu2"]])), [Recording("psu1"), Recording("psu2")], new FencerOptions { Action = FenceAction.Reboot });
        var result = await fencer.FenceAsync(Target("node2"), CancellationToken.None).WaitAsync(Safety);
        Assert.True(result.Success);
        Assert.Equal(["psu1 Off", "psu2 Off", "psu1 On", "psu2 On"], log);
    }

    [Fact]
    public async Task FenceAsync_RebootOverOneDevice_AsksTheDeviceToReboot()
    {
        var amm = new ScriptedFenceDevice("amm1");
        var fencer = Fencer(Topology(("node2", [["amm1"]])), [amm], new FencerOptions { Action = FenceAction.Reboot });
        await fencer.FenceAsync(Target("node2"), CancellationToken.None).WaitAsync(Safety);
        Assert.Equal([("node2", FenceAction.Reboot)], amm.Calls);
    }

    [Fact]
    public async Task FenceAsync_PolicyRefuses_CallsNoDevice()
    {
        var amm = new ScriptedFenceDevice("amm1");
        var fencer = new TopologyFencer(Topology(("node2", [["amm1"]])), Devices(amm), new FencerOptions { Policy = new FencingPolicy { MinHosts = 3 } },
            clock, history: history.Add, context: () => new FencingContext(2, 3, Quorate: true));
        var result = await fencer.FenceAsync(Target("node2"), CancellationToken.None).WaitAsync(Safety);
        Assert.False(result.Success);
        Assert.Contains("fewer than min-hosts = 3", result.Detail, StringComparison.Ordinal);
        Assert.Empty(amm.Calls);
    }

    [Fact]
    public async Task FenceAsync_FencingDisabled_FailsWithoutCallingDevices()
    {
        var amm = new ScriptedFenceDevice("amm1");
        var fencer = Fencer(Topology(("node2", [["amm1"]])), [amm], new FencerOptions { Policy = new FencingPolicy { Enabled = false } });
        var result = await fencer.FenceAsync(Target("node2"), CancellationToken.None).WaitAsync(Safety);
        Assert.False(result.Success);
        Assert.Contains("fencing is disabled", result.Detail, StringComparison.Ordinal);
        Assert.True(result.Impossible);
        Assert.Empty(amm.Calls);
    }

    [Fact]
    public async Task FenceAsync_PriorityDelay_WaitsBeforeCallingTheDevice()
    {
        var amm = new ScriptedFenceDevice("amm1");
        var signalling = new SignallingClock(clock);
        var fencer = new TopologyFencer(Topology(("node2", [["amm1"]])), Devices(amm), new FencerOptions(), signalling, history: history.Add,
            priorityDelay: _ => TimeSpan.FromSeconds(15));
        var pending = fencer.FenceAsync(Target("node2"), CancellationToken.None);
        await signalling.TimerCreated.WaitAsync(Safety);
        clock.Advance(TimeSpan.FromSeconds(14));
        Assert.Empty(amm.Calls);
        clock.Advance(TimeSpan.FromSeconds(1));
        Assert.True((await pending.WaitAsync(Safety)).Success);
        Assert.Single(amm.Calls);
    }

    [Fact]
    public async Task FenceAsync_Succeeded_RecordsTheDuration()
    {
        var release = new TaskCompletionSource<FenceDeviceOutcome>(TaskCreationOptions.RunContinuationsAsynchronously);
        var amm = new ScriptedFenceDevice("amm1").Then((_, _, _) => release.Task);
        var fencer = Fencer(Topology(("node2", [["amm1"]])), amm);
        var pending = fencer.FenceAsync(Target("node2"), CancellationToken.None);
        await amm.Called.WaitAsync(Safety);
        clock.Advance(TimeSpan.FromSeconds(4));
        release.SetResult(FenceDeviceOutcome.Succeeded("off"));
        await pending.WaitAsync(Safety);
        Assert.Equal(TimeSpan.FromSeconds(4), Assert.IsType<FenceHistorySucceeded>(history.Snapshot()[^1]).Duration);
    }

    [Fact]
    public async Task FenceAsync_PoolDevice_SucceedsSayingItIsUnsafe()
    {
        var fencer = Fencer(Topology(("node2", [["pool"]])), new PoolFenceDevice("pool"));
        var result = await fencer.FenceAsync(Target("node2"), CancellationToken.None).WaitAsync(Safety);
        Assert.True(result.Success);
        Assert.Contains("unsafe with shared storage", result.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public void Constructor_TopologyNamingAMissingDevice_Throws()
    {
        var error = Assert.Throws<ArgumentException>(() => Fencer(Topology(("node2", [["amm1", "pdu9"]])), new ScriptedFenceDevice("amm1")));
        Assert.Contains("pdu9", error.Message, StringComparison.Ordinal);
    }

    private TopologyFencer Fencer(FencingTopology topology, params IFenceDevice[] devices) => Fencer(topology, devices, new FencerOptions());

    private TopologyFencer Fencer(FencingTopology topology, IFenceDevice[] devices, FencerOptions options) =>
        new(topology, Devices(devices), options, clock, history: history.Add);

    private static Dictionary<string, IFenceDevice> Devices(params IFenceDevice[] devices) => devices.ToDictionary(d => d.Name);

    private static FenceTarget Target(string name) => new(new NodeId(2), name, "lost");

    private static FencingTopology Topology(params (string Host, string[][] Levels)[] hosts) =>
        new(hosts.ToImmutableDictionary(h => h.Host, h => h.Levels.Select(l => l.ToImmutableArray()).ToImmutableArray()));

    /// <summary>The virtual clock, plus a barrier that opens when the first timer is created.</summary>
    private sealed class SignallingClock(VirtualClock inner) : TimeProvider
    {
        private readonly TaskCompletionSource created = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public Task TimerCreated => created.Task;

        public override DateTimeOffset GetUtcNow() => inner.GetUtcNow();
        public override long GetTimestamp() => inner.GetTimestamp();
        public override long TimestampFrequency => inner.TimestampFrequency;

        public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
        {
            var timer = inner.CreateTimer(callback, state, dueTime, period);
            created.TrySetResult();
            return timer;
        }
    }
}
