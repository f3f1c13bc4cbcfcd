using System.Collections.Immutable;
using Haven.Actors.Cluster;
using Haven.Actors.Membership;
using Haven.Actors.Runtime;
using Haven.Actors.Vms;
using Haven.TestKit;
using static Haven.Actors.Tests.Cluster.ClusterTestEvents;
using static Haven.Actors.Tests.Vms.VmStateTests;

namespace Haven.Actors.Tests.Vms;

/// <summary>
/// Pacemaker's on-fail per operation and unmanaged resources on the host (VmActor) and in the replicated state:
/// what a failed start, monitor or stop leads to, and that an unmanaged VM, or any VM on a host in maintenance, is only monitored.
/// </summary>
public sealed class VmOnFailTests : HavenTestKit
{
    private static readonly NodeId Me = new(1);
    private static readonly VmPolicy Policy = Haven.Actors.Simulation.ClusterSimulation.SimulationVmPolicy with { MaxRestarts = 2 };
    private static readonly DateTimeOffset T0 = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

    private readonly FakeHypervisor _hv = new();
    private readonly TestProbe _probe;
    private long _seq;
    private IActorRef? _parent;

    public VmOnFailTests() => _probe = CreateTestProbe();

    private void Start(VmOnFailPolicy onFail, bool unmanaged = false, bool maintenance = false)
    {
        var spec = new VmSpec("WEB-01", "process", "web", 1, 512) { OnFail = onFail };
        _parent ??= ActorOf(Props.Create(() => new VmActorTests.Parent(VmActor.Props(Me, _hv, Policy), _probe.Ref)));
        Assign(Info(spec, VmRunState.Starting), VmLocalRole.Run);
        _probe.FishForMessage<VmReport>(r => r.Event is VmRunning, TimeSpan.FromSeconds(10));
        Assign(Info(spec, VmRunState.Running) with { Unmanaged = unmanaged }, VmLocalRole.Run, maintenance);
    }

    private static VmInfo Info(VmSpec spec, VmRunState state) => new(spec, VmDesiredState.Started, state, Me, null, ImmutableSortedSet<NodeId>.Empty, "");

    private void Assign(VmInfo vm, VmLocalRole role, bool maintenance = false) =>
        _parent!.Tell(new VmAssignment(++_seq, vm, role, "", maintenance), null);

    private T Expect<T>() where T : IClusterEvent =>
        (T)_probe.FishForMessage<VmReport>(r => r.Event is T, TimeSpan.FromSeconds(10)).Event;

    private int Count(string call) => _hv.Calls.Count(c => c == $"{call} WEB-01");

    private void Crash() => _hv.Domains["WEB-01"] = new VmStatus(VmPowerState.Crashed, "guest crashed");

    [Fact]
    public void Monitor_OnFailBlock_ReportedAndLeftAsItIs()
    {
        Start(new VmOnFailPolicy(Monitor: VmOnFail.Block));
        Crash();

        var failed = Expect<VmOperationFailed>();

        Assert.Equal(("monitor", VmOnFail.Block, Me), (failed.Operation, failed.OnFail, failed.Node));
        Assert.Equal(0, Count("kill"));
        Assert.Equal(1, Count("start"));
        Assert.Equal(VmPowerState.Crashed, _hv.Domains["WEB-01"].State);
    }

    [Fact]
    public void Monitor_OnFailStop_ForcedOffThenReported_NotRestarted()
    {
        Start(new VmOnFailPolicy(Monitor: VmOnFail.Stop));
        Crash();

        var failed = Expect<VmOperationFailed>();

        Assert.Equal(VmOnFail.Stop, failed.OnFail);
        Assert.Equal(1, Count("kill"));
        Assert.Equal(1, Count("start"));
        Assert.False(_hv.Domains.ContainsKey("WEB-01"));
    }

    [Fact]
    public void Monitor_OnFailStandby_ForcedOffThenReported()
    {
        Start(new VmOnFailPolicy(Monitor: VmOnFail.Standby));
        Crash();

        Assert.Equal(VmOnFail.Standby, Expect<VmOperationFailed>().OnFail);
        Assert.False(_hv.Domains.ContainsKey("WEB-01"));
    }

    [Fact]
    public void Monitor_OnFailFence_ReportedWithoutTouchingIt()
    {
        Start(new VmOnFailPolicy(Monitor: VmOnFail.Fence));
        Crash();

        Assert.Equal(VmOnFail.Fence, Expect<VmOperationFailed>().OnFail);
        Assert.Equal(0, Count("kill"));
    }

    [Fact]
    public void Monitor_OnFailIgnore_NothingIsDoneOrReported()
    {
        Start(new VmOnFailPolicy(Monitor: VmOnFail.Ignore));
        Crash();

        _probe.ExpectNoMsg(TimeSpan.FromSeconds(4));

        Assert.Equal((1, 0), (Count("start"), Count("kill")));
        Assert.True(Count("status") > 2); // still monitored
    }

    [Fact]
    public void Start_OnFailStopForStartOnly_AFailedStartStopsIt_AMonitorFailureRestarts()
    {
        Start(new VmOnFailPolicy(Start: VmOnFail.Stop));
        Crash();
        _probe.ExpectNoMsg(TimeSpan.FromSeconds(3));
        Assert.Equal(2, Count("start")); // monitor: restart (the default)

        _hv.StartFailures = 100;
        Crash();
        var failed = Expect<VmOperationFailed>();

        Assert.Equal(("start", VmOnFail.Stop), (failed.Operation, failed.OnFail));
    }

    [Fact]
    public void Unmanaged_Crashed_ReportedFailedWithoutRestartOrKill()
    {
        Start(VmOnFailPolicy.Default, unmanaged: true);
        Crash();

        var failed = Expect<VmFailed>();

        Assert.Contains("unmanaged: not restarted", failed.Reason);
        Assert.Equal((1, 0), (Count("start"), Count("kill")));
    }

    [Fact]
    public void HostInMaintenance_Crashed_NeitherRestartedNorReported()
    {
        Start(VmOnFailPolicy.Default, maintenance: true);
        Crash();

        _probe.ExpectNoMsg(TimeSpan.FromSeconds(4));

        Assert.Equal((1, 0), (Count("start"), Count("kill")));
        Assert.Equal(VmPowerState.Crashed, _hv.Domains["WEB-01"].State);
    }

    [Fact]
    public void Run_AfterItsOwnStop_TheStateStillSaysRunning_ReportedStoppedNotFailed()
    {
        Start(new VmOnFailPolicy(Monitor: VmOnFail.Block));
        var running = Info(new VmSpec("WEB-01", "process", "web", 1, 512) { OnFail = new VmOnFailPolicy(Monitor: VmOnFail.Block) }, VmRunState.Running);
        Assign(running, VmLocalRole.Stop); // a demotion's stop: the state never heard of it
        Expect<VmStopped>();

        Assign(running, VmLocalRole.Run); // primary again, the state still has it running here

        var stopped = (VmStopped)_probe.FishForMessage<VmReport>(r => r.Event is VmStopped s && s.Reason.Contains("before the cluster recorded", StringComparison.Ordinal),
            TimeSpan.FromSeconds(10)).Event;
        Assert.Equal(Me, stopped.Node);
        Assert.Equal((1, 0), (Count("start"), Count("kill"))); // neither restarted nor blocked as a failed monitor
    }

    [Fact]
    public void Run_SeenRunningAfterItsOwnStop_ThenFoundOff_IsAFailedMonitor()
    {
        Start(new VmOnFailPolicy(Monitor: VmOnFail.Block));
        var spec = new VmSpec("WEB-01", "process", "web", 1, 512) { OnFail = new VmOnFailPolicy(Monitor: VmOnFail.Block) };
        Assign(Info(spec, VmRunState.Stopping), VmLocalRole.Stop);
        Expect<VmStopped>();
        Assign(Info(spec, VmRunState.Stopped), VmLocalRole.Absent); // the stop is recorded
        Assign(Info(spec, VmRunState.Starting), VmLocalRole.Run);
        _probe.FishForMessage<VmReport>(r => r.Event is VmRunning, TimeSpan.FromSeconds(10));
        Assign(Info(spec, VmRunState.Running), VmLocalRole.Run);

        Crash();

        Assert.Equal(VmOnFail.Block, Expect<VmOperationFailed>().OnFail); // the own stop no longer excuses it
    }

    [Fact]
    public void Run_StartingAgainBeforeItsOwnStopIsRecorded_ReportsTheStopAndStartsNothing()
    {
        Start(VmOnFailPolicy.Default);
        var spec = new VmSpec("WEB-01", "process", "web", 1, 512);
        Assign(Info(spec, VmRunState.Stopping), VmLocalRole.Stop);
        Expect<VmStopped>();
        var starts = Count("start");

        // A host whose copy of the state is behind (a daemon that hung after the report) is told to run it again.
        Assign(Info(spec, VmRunState.Starting), VmLocalRole.Run);

        Assert.Contains("before the cluster recorded it", Expect<VmStopped>().Reason);
        Assert.Equal(starts, Count("start"));
    }

    [Fact]
    public void Stop_ForcedStopFails_ReportsTheStopsFailureOnce()
    {
        Start(VmOnFailPolicy.Default);
        _hv.IgnoreShutdown = true;
        _hv.KillFailures = 100;

        Assign(Info(new VmSpec("WEB-01", "process", "web", 1, 512), VmRunState.Stopping), VmLocalRole.Stop);

        var failed = Expect<VmOperationFailed>();
        Assert.Equal(("stop", VmOnFail.Default), (failed.Operation, failed.OnFail));
        _probe.FishForMessage<VmReport>(r => r.Event is VmOperationFailed, TimeSpan.FromSeconds(3)); // re-sent until the state answers
        Assert.Equal(1, Count("kill"));
    }

    // ---- the replicated state ------------------------------------------------------------------------

    private static ClusterState RunningOnNode1(VmOnFailPolicy? onFail = null) =>
        ClusterState.Empty.ApplyAll(PathTo(1, NodeState.Up)).ApplyAll(PathTo(2, NodeState.Up))
            .Apply(new VmAdded(Web() with { OnFail = onFail ?? VmOnFailPolicy.Default }))
            .Apply(new VmPlaced("WEB-01", N(1))).Apply(new VmRunning("WEB-01", N(1)));

    [Fact]
    public void State_Block_LeavesItRunningThereUnmanaged_AndCountsTheFailure()
    {
        var state = RunningOnNode1().Apply(new VmOperationFailed("WEB-01", N(1), "monitor", VmOnFail.Block, "crashed", T0));
        var vm = state.Vms["WEB-01"];

        Assert.Equal((VmRunState.Running, N(1), true), (vm.State, vm.Node, vm.Unmanaged));
        Assert.Equal(new VmFailures(1, T0), vm.FailuresOn(N(1)));
        Assert.Contains("on-fail block", vm.Reason);
        Assert.NotNull(state.Validate(new VmOperationFailed("WEB-01", N(1), "monitor", VmOnFail.Block, "again", T0))); // once
    }

    [Fact]
    public void State_Stop_ReleasesItAndKeepsItStopped()
    {
        var vm = RunningOnNode1().Apply(new VmOperationFailed("WEB-01", N(1), "monitor", VmOnFail.Stop, "crashed", T0)).Vms["WEB-01"];

        Assert.Equal((VmRunState.Stopped, (NodeId?)null, VmDesiredState.Stopped), (vm.State, vm.Node, vm.Desired));
    }

    [Fact]
    public void State_Standby_FailsItThere()
    {
        var vm = RunningOnNode1().Apply(new VmOperationFailed("WEB-01", N(1), "monitor", VmOnFail.Standby, "crashed", T0)).Vms["WEB-01"];

        Assert.Equal((VmRunState.Failed, VmDesiredState.Started), (vm.State, vm.Desired));
        Assert.Contains(N(1), vm.FailedOn);
    }

    [Fact]
    public void State_Fence_KeepsItOnTheNodeUntilFenced_AndIsRefusedWhileAFenceIsOpen()
    {
        var state = RunningOnNode1().Apply(new VmOperationFailed("WEB-01", N(1), "stop", VmOnFail.Fence, "does not die", T0))
            .Apply(new NodeDown(N(1), "VM WEB-01 failed to stop")) // a fence request is only opened for a Down node
            .Apply(new FenceRequested(N(1), N(1), "VM WEB-01 failed to stop"));

        Assert.Equal(N(1), state.Vms["WEB-01"].Node);
        Assert.NotNull(state.Validate(new VmOperationFailed("WEB-01", N(1), "stop", VmOnFail.Fence, "again", T0)));
        Assert.NotNull(state.Validate(new VmStopped("WEB-01", N(1), "stopped"))); // nothing leaves it before the fence
    }

    [Fact]
    public void State_FenceBlocked_MakesThePendingFenceABlock_WithoutASecondCount()
    {
        var state = RunningOnNode1().Apply(new VmOperationFailed("WEB-01", N(1), "monitor", VmOnFail.Fence, "crashed", T0));
        Assert.NotNull(state.Validate(new VmFenceBlocked("WEB-01", N(2), "fencing is disabled"))); // no fence of node 2 pending

        var vm = state.Apply(new VmFenceBlocked("WEB-01", N(1), "fencing is disabled")).Vms["WEB-01"];

        Assert.Equal((VmRunState.Running, N(1), true, (NodeId?)null), (vm.State, vm.Node, vm.Unmanaged, vm.FenceFor));
        Assert.Equal(1, vm.FailuresOn(N(1)).Count);
        Assert.Contains("fencing is disabled: blocked instead", vm.Reason);
        Assert.NotNull(RunningOnNode1().Validate(new VmFenceBlocked("WEB-01", N(1), "x"))); // no on-fail fence at all
    }

    [Fact]
    public void VmFenceBlocked_RoundTripsUnderItsManifest()
    {
        var serializer = new Haven.Actors.Persistence.JsonEventSerializer(HavenManifests.CreateRegistry());
        var e = new VmFenceBlocked("WEB-01", N(1), "fencing node1 is impossible under the fencing rules in force");
        var (manifest, payload) = serializer.Serialize(e);

        Assert.Equal("cluster.vm-fence-blocked.v1", manifest);
        Assert.Equal(e, serializer.Deserialize(new Haven.Actors.Persistence.JournalEntry("cluster", 1, manifest, payload, T0, [])));
    }

    [Theory]
    [InlineData(VmOnFail.Default)]
    [InlineData(VmOnFail.Restart)]
    [InlineData(VmOnFail.Ignore)]
    public void State_OnFailThatIsNeverReported_IsRefused(VmOnFail onFail) =>
        Assert.Contains("not reported", RunningOnNode1().Validate(new VmOperationFailed("WEB-01", N(1), "monitor", onFail, "x", T0)));

    [Fact]
    public void State_UnknownOperation_IsRefused() =>
        Assert.Contains("not start, monitor or stop", RunningOnNode1().Validate(new VmOperationFailed("WEB-01", N(1), "reload", VmOnFail.Block, "x", T0)));

    [Fact]
    public void Spec_StopOnFailOtherThanBlockOrFence_IsRefused()
    {
        Assert.Contains("must be block or fence", VmSpecRules.Check(Web() with { OnFail = new VmOnFailPolicy(Stop: VmOnFail.Ignore) }));
        Assert.Null(VmSpecRules.Check(Web() with { OnFail = new VmOnFailPolicy(VmOnFail.Stop, VmOnFail.Standby, VmOnFail.Block) }));
    }

    [Fact]
    public void ParseOnFail_ReadsEachOperation_AndNamesWhatIsWrong()
    {
        var policy = VmOnFailPolicy.Default;
        Assert.Null(VmSpecRules.ParseOnFail("monitor=block", ref policy));
        Assert.Null(VmSpecRules.ParseOnFail("stop=fence", ref policy));
        Assert.Equal(new VmOnFailPolicy(Monitor: VmOnFail.Block, Stop: VmOnFail.Fence), policy);
        Assert.Equal("monitor=block,stop=fence", policy.ToString());
        Assert.Contains("OP=ACTION", VmSpecRules.ParseOnFail("reboot=fence", ref policy));
        Assert.Contains("'explode' is not one of", VmSpecRules.ParseOnFail("monitor=explode", ref policy));
        Assert.Contains("is not one of", VmSpecRules.ParseOnFail("monitor=1", ref policy));
    }

    [Fact]
    public void Policy_Defaults_AreRestartAndForAStopFenceOrBlock()
    {
        Assert.Equal(VmOnFail.Restart, VmOnFailPolicy.Default.ForStartOrMonitor(start: true));
        Assert.Equal(VmOnFail.Fence, VmOnFailPolicy.Default.ForStop(fencingEnabled: true));
        Assert.Equal(VmOnFail.Block, VmOnFailPolicy.Default.ForStop(fencingEnabled: false));
    }

    [Fact]
    public void VmOperationFailed_RoundTripsUnderItsManifest()
    {
        var serializer = new Haven.Actors.Persistence.JsonEventSerializer(HavenManifests.CreateRegistry());
        var e = new VmOperationFailed("WEB-01", N(1), "stop", VmOnFail.Fence, "does not die", T0);
        var (manifest, payload) = serializer.Serialize(e);

        Assert.Equal("cluster.vm-operation-failed.v1", manifest);
        Assert.Equal(e, serializer.Deserialize(new Haven.Actors.Persistence.JournalEntry("cluster", 1, manifest, payload, T0, [])));
        var added = new VmAdded(Web() with { OnFail = new VmOnFailPolicy(Monitor: VmOnFail.Block) });
        var (m2, p2) = serializer.Serialize(added);
        Assert.Equal(added, serializer.Deserialize(new Haven.Actors.Persistence.JournalEntry("cluster", 2, m2, p2, T0, [])));
    }
}
