using Haven.Actors.Cluster;
using Haven.Actors.Membership;
using Haven.Actors.Vms;
using Haven.Host.Control;

namespace Haven.Host.Tests;

/// <summary>`haven vm locate --json` for a VM under Pacemaker's shutdown-lock.</summary>
public sealed class VmLockViewTests
{
    private static readonly DateTimeOffset T0 = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

    private static ClusterState Locked() => ClusterState.Empty.ApplyAll(
    [
        new NodeJoined(new NodeId(1), "node1"), new NodeUp(new NodeId(1)),
        new NodeJoined(new NodeId(2), "node2"), new NodeUp(new NodeId(2)),
        new VmAdded(new VmSpec("WEB-01", "process", "web")),
        new VmPlaced("WEB-01", new NodeId(2)), new VmRunning("WEB-01", new NodeId(2)),
        new NodeLeaving(new NodeId(2)) { ShutdownAt = T0 },
        new VmStopped("WEB-01", new NodeId(2), "shut down"),
    ]);

    [Fact]
    public void DetailView_LockedVm_NamesTheNodeSinceAndUntil()
    {
        var state = Locked();

        var limited = VmDetailView.From(state, state.Vms["WEB-01"], TimeSpan.FromHours(1));
        var unlimited = VmDetailView.From(state, state.Vms["WEB-01"]);

        Assert.Equal(("node2", T0, T0.AddHours(1)), (limited.LockedTo, limited.LockedSince, limited.LockedUntil));
        Assert.Equal(("node2", (DateTimeOffset?)null), (unlimited.LockedTo, unlimited.LockedUntil));
    }

    [Fact]
    public void DetailView_UnlockedVm_HasNoLock()
    {
        var state = Locked().Apply(new VmCleanedUp("WEB-01"));
        var view = VmDetailView.From(state, state.Vms["WEB-01"], TimeSpan.FromHours(1));
        Assert.Null(view.LockedTo);
        Assert.Null(view.LockedUntil);
    }
}
