using Haven.Actors.Cluster;
using Haven.Actors.Membership;
using Haven.Actors.Placement;
using Haven.Actors.Vms;
using static Haven.Actors.Tests.Cluster.ClusterTestEvents;
using static Haven.Actors.Tests.Vms.VmStateTests;

namespace Haven.Actors.Tests.Vms;

/// <summary>Pacemaker's multiple-active (stop_start, stop_only, block) in Haven's own state and DC round.</summary>
public sealed class VmMultiplyActiveTests
{
    private static readonly NodeId[] Two = [N(1), N(2)];
    private static readonly VmServices Services = new(new Dictionary<string, IHypervisor>());

    /// <summary>WEB-01 runs on node1 in the state.</summary>
    private static ClusterState Running(VmMultipleActive policy) => ClusterState.Empty.ApplyAll(PathTo(1, NodeState.Up)).ApplyAll(PathTo(2, NodeState.Up))
        .Apply(new VmAdded(Web(preferences: new NodePreference("node1", 100)) with { MultipleActive = policy }))
        .Apply(new VmPlaced("WEB-01", N(1))).Apply(new VmRunning("WEB-01", N(1)));

    private static IClusterEvent[] Decide(ClusterState state) => [.. VmRecovery.Decide(state, Two, Services)];

    [Fact]
    public void VmMultiplyActive_RoundTripsUnderItsManifest_AndTheSpecKeepsItsPolicy()
    {
        var serializer = new Haven.Actors.Persistence.JsonEventSerializer(HavenManifests.CreateRegistry());
        var at = new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);
        foreach (IClusterEvent e in new IClusterEvent[] { new VmMultiplyActive("WEB-01", N(2), at), new VmAdded(Web() with { MultipleActive = VmMultipleActive.Block }) })
        {
            var (manifest, payload) = serializer.Serialize(e);
            Assert.Equal(e, serializer.Deserialize(new Haven.Actors.Persistence.JournalEntry("cluster", 1, manifest, payload, at, [])));
        }
        Assert.Equal("cluster.vm-multiply-active.v1", serializer.Serialize(new VmMultiplyActive("WEB-01", N(2))).Manifest);
    }

    [Fact]
    public void StopStart_TheStatesCopyIsStopped_ThenPlacedAgain()
    {
        var found = Running(VmMultipleActive.StopStart).Apply(new VmMultiplyActive("WEB-01", N(2)));
        Assert.True(found.Vms["WEB-01"].RestartPending);
        Assert.Contains("a second copy was found running on node2 besides the one on node1", found.Vms["WEB-01"].Reason);

        var stop = Assert.IsType<VmStopping>(Assert.Single(Decide(found)));
        Assert.Equal(("WEB-01", N(1)), (stop.Name, stop.Node));
        var stopped = found.Apply(stop).Apply(new VmStopped("WEB-01", N(1), "stopped"));
        Assert.False(stopped.Vms["WEB-01"].RestartPending);
        Assert.Equal<IClusterEvent>([new VmPlaced("WEB-01", N(1))], Decide(stopped)); // one copy again: a Restart in place
    }

    [Fact]
    public void StopOnly_StoppedEverywhere_AndLeftStopped()
    {
        var found = Running(VmMultipleActive.StopOnly).Apply(new VmMultiplyActive("WEB-01", N(2)));
        Assert.Equal(VmDesiredState.Stopped, found.Vms["WEB-01"].Desired);

        var stop = Assert.IsType<VmStopping>(Assert.Single(Decide(found)));
        Assert.Empty(Decide(found.Apply(stop).Apply(new VmStopped("WEB-01", N(1), "stopped"))));
    }

    [Fact]
    public void Block_TheStatesCopyIsLeftRunning_Unmanaged()
    {
        var found = Running(VmMultipleActive.Block).Apply(new VmMultiplyActive("WEB-01", N(2)));

        Assert.True(found.Vms["WEB-01"].Unmanaged);
        Assert.Equal((VmRunState.Running, (NodeId?)N(1)), (found.Vms["WEB-01"].State, found.Vms["WEB-01"].Node));
        Assert.Empty(Decide(found.Apply(new NodeStandby(N(1))))); // not moved even off a standby host
    }

    [Fact]
    public void VmMultiplyActive_ForTheNodeTheStatePlacesItOn_OrAVmThatRunsNowhere_IsRejected()
    {
        Assert.Contains("a copy there is not a second one", Rejected(Running(VmMultipleActive.StopStart), new VmMultiplyActive("WEB-01", N(1))));
        var stopped = Running(VmMultipleActive.StopStart).Apply(new VmStopped("WEB-01", N(1), "stopped"));
        Assert.Contains("runs nowhere in the state", Rejected(stopped, new VmMultiplyActive("WEB-01", N(2))));
        Assert.Contains("is not known", Rejected(stopped.Apply(new VmPlaced("WEB-01", N(1))), new VmMultiplyActive("WEB-01", N(9))));
    }

    [Fact]
    public void VmSpec_UnknownMultipleActive_IsRefused() =>
        Assert.Contains("multiple-active", VmSpecRules.Check(Web() with { MultipleActive = (VmMultipleActive)7 }));

    [Theory]
    [InlineData("stop_start", VmMultipleActive.StopStart)]
    [InlineData("STOP-ONLY", VmMultipleActive.StopOnly)]
    [InlineData(" block ", VmMultipleActive.Block)]
    public void Names_ParsePacemakersSpelling(string text, VmMultipleActive expected)
    {
        Assert.Equal(expected, VmMultipleActiveNames.Parse(text));
        Assert.Equal(expected, VmMultipleActiveNames.Parse(VmMultipleActiveNames.Name(expected)));
    }

    [Fact]
    public void Names_Unknown_IsNull() => Assert.Null(VmMultipleActiveNames.Parse("stop"));
}
