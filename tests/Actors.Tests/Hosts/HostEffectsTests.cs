using Haven.Actors.Cluster;
using Haven.Actors.Events;
using Haven.Actors.Hosts;
using Haven.Actors.Vms;
using static Haven.Actors.Tests.Cluster.ClusterTestEvents;

namespace Haven.Actors.Tests.Hosts;

/// <summary>What a host does because of an applied event, as a pure function.</summary>
public sealed class HostEffectsTests
{
    private const string Ip = "10.0.0.50";
    private static readonly PublicAddress Address = new(Ip, 24, "eth0");
    private static readonly HostFacts Host2 = new(N(2), Left: false, LocalVms: [], Members: [N(1), N(2), N(3)]);

    private static ClusterState Holding(uint node) =>
        ThreeUp().ApplyAll([new RecoveryStarted(N(1)), new IpTaken("eth0", Ip, 24, N(node)), new IpReallocated(), new RecoveryCompleted()]);

    private static IReadOnlyList<HostCommand> For(ClusterState before, IClusterEvent e, HostFacts host) =>
        HostEffects.For(before, e, before.TryApply(e, out var after, out _) ? after : before, host);

    [Fact]
    public void IpTaken_NamingThisHost_TakesTheAddress_WithTheProbe()
    {
        var before = ThreeUp().Apply(new RecoveryStarted(N(1)));

        var commands = For(before, new IpTaken("eth0", Ip, 24, N(2)), Host2);

        Assert.Equal([new HostCommand.TakeAddress(Address, Probe: true)], commands);
    }

    [Fact]
    public void IpTaken_NamingAnotherHost_DoesNothingHere()
    {
        var before = ThreeUp().Apply(new RecoveryStarted(N(1)));

        Assert.Empty(For(before, new IpTaken("eth0", Ip, 24, N(3)), Host2));
    }

    [Fact]
    public void IpTaken_OfAnAddressVacatedByAFence_SkipsTheProbe_AndNamesTheFencedHolder()
    {
        var before = Holding(3).ApplyAll([new NodeDown(N(3), "lost"), new FenceRequested(N(3), N(1), "lost"), new FenceSucceeded(N(3), "pdu"),
            new RecoveryStarted(N(1)), new IpReleased("eth0", Ip, 24, N(3))]);

        var commands = For(before, new IpTaken("eth0", Ip, 24, N(2)), Host2);

        Assert.Equal([new HostCommand.TakeAddress(Address, Probe: false, VacatedBy: N(3))], commands);
    }

    [Fact]
    public void IpReleased_OfAnAddressThisHostHeld_ReleasesIt_ButNotOneItNeverHeld()
    {
        var held = For(Holding(2).Apply(new RecoveryStarted(N(1))), new IpReleased("eth0", Ip, 24, N(2)), Host2);
        var notHeld = For(ThreeUp().Apply(new RecoveryStarted(N(1))), new IpReleased("eth0", Ip, 24, N(2)), Host2);

        Assert.Equal([new HostCommand.ReleaseAddress(Address)], held);
        Assert.Empty(notHeld);
    }

    [Fact]
    public void NodeHealthy_ThisHost_ReassertsWhatTheStateGivesIt()
    {
        var before = Holding(2).Apply(new NodeUnhealthy(N(2), "monitor failed"));

        var commands = For(before, new NodeHealthy(N(2)), Host2);

        Assert.Equal([new HostCommand.TakeAddress(Address, Probe: true)], commands);
    }

    [Fact]
    public void Reassert_DownHost_TakesNothing()
    {
        var state = Holding(2).Apply(new NodeDown(N(2), "lost"));

        Assert.Empty(HostEffects.Reassert(state, N(2), Host2.Members));
        Assert.Single(HostEffects.Reassert(Holding(2), N(2), Host2.Members));
    }

    [Fact]
    public void NodeLeft_ThisHost_LeavesAndNoVmRunsHereAnyMore()
    {
        var before = ThreeUp().Apply(new NodeLeaving(N(2)));

        var commands = For(before, new NodeLeft(N(2)), Host2 with { LocalVms = ["VM-A", "VM-B"] });

        Assert.Equal([new HostCommand.LeaveCluster(), new HostCommand.VmAbsent("VM-A"), new HostCommand.VmAbsent("VM-B")], commands);
    }

    [Fact]
    public void VmEvent_SyncsThatVm_UnlessThisHostLeft()
    {
        var before = ThreeUp();
        var added = new VmAdded(new VmSpec("VM-A", "process", "/bin/true"));

        Assert.Equal([new HostCommand.SyncVm("VM-A")], For(before, added, Host2));
        Assert.Empty(For(before, added, Host2 with { Left = true }));
    }

    [Fact]
    public void ThisHostDowned_ResyncsEveryVm_TheStatesAndItsOwn()
    {
        var before = ThreeUp().Apply(new VmAdded(new VmSpec("VM-A", "process", "/bin/true")));

        var commands = For(before, new NodeDown(N(2), "lost"), Host2 with { LocalVms = ["VM-A", "ORPHAN"] });

        Assert.Equal([new HostCommand.SyncVm("VM-A"), new HostCommand.SyncVm("ORPHAN")], commands);
    }

    [Fact]
    public void AnotherHostDowned_ChangesNothingHere()
    {
        var before = ThreeUp().Apply(new VmAdded(new VmSpec("VM-A", "process", "/bin/true")));

        Assert.Empty(For(before, new NodeDown(N(3), "lost"), Host2 with { LocalVms = ["VM-A"] }));
    }

    [Fact]
    public void ScriptMapper_RunsTakeipExactlyWhenTheHostTakes()
    {
        var before = ThreeUp().Apply(new RecoveryStarted(N(1)));
        var mine = new IpTaken("eth0", Ip, 24, N(2));
        var theirs = new IpTaken("eth0", Ip, 24, N(3));

        Assert.Equal(new ScriptEvent.TakeIp("eth0", Ip, 24), Assert.Single(ScriptEventMapper.Map(ScriptMapperState.Empty, before, mine, N(2), []).Events));
        Assert.Empty(ScriptEventMapper.Map(ScriptMapperState.Empty, before, theirs, N(2), []).Events);
        Assert.NotNull(HostEffects.ForAddress(before, mine, N(2)));
        Assert.Null(HostEffects.ForAddress(before, theirs, N(2)));
    }
}
