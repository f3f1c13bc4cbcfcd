using System.Collections.Immutable;
using Haven.Actors.Cluster;
using Haven.Actors.Membership;
using Haven.Actors.Runtime;
using Haven.Actors.Vms;
using Haven.TestKit;

namespace Haven.Actors.Tests.Vms;

public sealed class VmActorTests : HavenTestKit
{
    private static readonly NodeId Me = new(1);
    private static readonly NodeId Other = new(2);
    private static readonly VmSpec Spec = new("WEB-01", "process", "web", 1, 512, AllowMigrate: true);
    private static readonly VmPolicy Policy = Haven.Actors.Simulation.ClusterSimulation.SimulationVmPolicy with { MaxRestarts = 2 };

    private readonly FakeHypervisor _hv = new();
    private readonly TestProbe _probe;
    private readonly IActorRef _parent;
    private long _seq;

    public VmActorTests()
    {
        _probe = CreateTestProbe();
        _parent = ActorOf(Props.Create(() => new Parent(VmActor.Props(Me, _hv, Policy), _probe.Ref)));
    }

    private static VmInfo Info(VmRunState state, NodeId? node = null, NodeId? target = null) =>
        new(Spec, VmDesiredState.Started, state, node ?? Me, target, ImmutableSortedSet<NodeId>.Empty, "");

    private void Assign(VmInfo? vm, VmLocalRole role, string target = "") => _parent.Tell(new VmAssignment(++_seq, vm, role, target), null);

    private T Expect<T>(TimeSpan? within = null) where T : IClusterEvent =>
        (T)_probe.FishForMessage<VmReport>(r => r.Event is T, within ?? TimeSpan.FromSeconds(10)).Event;

    /// <summary>Starts the VM and acknowledges its VmRunning the way the ClusterActor does: the state says Running.</summary>
    private void StartRunning()
    {
        Assign(Info(VmRunState.Starting), VmLocalRole.Run);
        Expect<VmRunning>();
        Assign(Info(VmRunState.Running), VmLocalRole.Run);
    }

    private int Count(string call) => _hv.Calls.Count(c => c == $"{call} WEB-01");

    [Fact]
    public void Run_Starting_StartsAndReportsRunning()
    {
        Assign(Info(VmRunState.Starting), VmLocalRole.Run);

        Assert.Equal(new VmRunning("WEB-01", Me), Expect<VmRunning>());
        Assert.Equal(VmPowerState.Running, _hv.Domains["WEB-01"].State);
        Assert.Equal(1, Count("start"));
    }

    [Fact]
    public void Run_AlreadyRunningHere_ReportsRunningWithoutStarting()
    {
        _hv.Domains["WEB-01"] = new VmStatus(VmPowerState.Running);

        Assign(Info(VmRunState.Starting), VmLocalRole.Run);

        Expect<VmRunning>();
        Assert.Equal(0, Count("start"));
    }

    [Fact]
    public void Run_UnacknowledgedReport_IsSentAgain()
    {
        Assign(Info(VmRunState.Starting), VmLocalRole.Run);

        Expect<VmRunning>();
        Expect<VmRunning>(TimeSpan.FromSeconds(3));
    }

    [Fact]
    public void Run_UnrelatedChangeOfTheVm_DoesNotDropTheReport()
    {
        Assign(Info(VmRunState.Starting), VmLocalRole.Run);
        Expect<VmRunning>();

        Assign(Info(VmRunState.Starting) with { Spec = Spec with { Ha = false } }, VmLocalRole.Run);

        Expect<VmRunning>(TimeSpan.FromSeconds(3));
    }

    [Fact]
    public void Run_Crashed_IsRestartedHere()
    {
        StartRunning();
        _hv.Domains["WEB-01"] = new VmStatus(VmPowerState.Crashed, "guest crashed");

        _probe.ExpectNoMsg(TimeSpan.FromSeconds(3));

        Assert.Equal(2, Count("start"));
        Assert.Equal(1, Count("kill"));
        Assert.Equal(VmPowerState.Running, _hv.Domains["WEB-01"].State);
    }

    [Fact]
    public void Run_CrashesBeyondRestartLimit_ForcedOffThenReportedFailed()
    {
        StartRunning();
        for (var i = 0; i < Policy.MaxRestarts; i++)
        {
            _hv.Domains["WEB-01"] = new VmStatus(VmPowerState.Crashed);
            _probe.ExpectNoMsg(TimeSpan.FromSeconds(3));
        }
        _hv.Domains["WEB-01"] = new VmStatus(VmPowerState.Crashed);

        var failed = Expect<VmFailed>();

        Assert.Equal(Me, failed.Node);
        Assert.Contains("2 restarts within 60 s", failed.Reason);
        Assert.False(_hv.Domains.ContainsKey("WEB-01"));
        Assert.Equal("kill WEB-01", _hv.Calls.Last(c => !c.StartsWith("status", StringComparison.Ordinal)));
    }

    [Fact]
    public void Run_RestartsOutsideTheWindow_AreForgotten()
    {
        StartRunning();
        for (var i = 0; i < Policy.MaxRestarts + 2; i++)
        {
            _hv.Domains["WEB-01"] = new VmStatus(VmPowerState.Crashed);
            _probe.ExpectNoMsg(TimeSpan.FromSeconds(61));
        }

        Assert.Equal(Policy.MaxRestarts + 3, Count("start"));
    }

    [Fact]
    public void Run_PausedOnIoWithinGrace_IsDegradedNotFailed()
    {
        StartRunning();
        _hv.Domains["WEB-01"] = new VmStatus(VmPowerState.Paused, "I/O error");

        _probe.ExpectNoMsg(TimeSpan.FromSeconds(2));
        _hv.Domains["WEB-01"] = new VmStatus(VmPowerState.Running);
        _probe.ExpectNoMsg(TimeSpan.FromSeconds(5));

        Assert.Equal(0, Count("kill"));
        Assert.Equal(1, Count("start"));
    }

    [Fact]
    public void Run_PausedLongerThanGrace_IsRestarted()
    {
        StartRunning();
        _hv.Domains["WEB-01"] = new VmStatus(VmPowerState.Paused, "I/O error");

        _probe.ExpectNoMsg(TimeSpan.FromSeconds(5));

        Assert.Equal(1, Count("kill"));
        Assert.Equal(2, Count("start"));
    }

    [Fact]
    public void Run_StartAlwaysFails_ReportsFailedWithTheError()
    {
        _hv.StartFailures = 100;

        Assign(Info(VmRunState.Starting), VmLocalRole.Run);

        var failed = Expect<VmFailed>();
        Assert.Contains("cannot allocate memory", failed.Reason);
        Assert.Equal(Policy.MaxRestarts + 1, Count("start"));
    }

    [Fact]
    public void Run_HungMonitorCall_CountsAsFailureAfterTheCallTimeout()
    {
        StartRunning();
        _hv.HangNext = "status";

        _probe.ExpectNoMsg(TimeSpan.FromSeconds(4));

        Assert.Equal(2, Count("start"));
    }

    [Fact]
    public void Run_WithoutHypervisor_ReportsFailed()
    {
        var probe = CreateTestProbe();
        var parent = ActorOf(Props.Create(() => new Parent(VmActor.Props(Me, null, Policy), probe.Ref)));

        parent.Tell(new VmAssignment(1, Info(VmRunState.Starting), VmLocalRole.Run), null);

        var failed = (VmFailed)probe.ExpectMsg<VmReport>(r => r.Event is VmFailed).Event;
        Assert.Contains("no process hypervisor", failed.Reason);
    }

    [Fact]
    public void Stop_GuestShutsDown_ReportsStopped()
    {
        StartRunning();

        Assign(Info(VmRunState.Stopping), VmLocalRole.Stop);

        Assert.Equal("shut down", Expect<VmStopped>().Reason);
        Assert.Equal(0, Count("kill"));
    }

    [Fact]
    public void Stop_GuestIgnoresShutdown_ForcedOffAfterStopTimeout()
    {
        StartRunning();
        _hv.IgnoreShutdown = true;
        var asked = Clock.GetUtcNow();

        Assign(Info(VmRunState.Stopping), VmLocalRole.Stop);

        var stopped = Expect<VmStopped>();
        Assert.StartsWith("forced off", stopped.Reason);
        Assert.True(Clock.GetUtcNow() - asked >= Policy.StopTimeout);
        Assert.False(_hv.Domains.ContainsKey("WEB-01"));
    }

    [Fact]
    public void MigrateOut_Succeeds_ReportsMigrated()
    {
        StartRunning();

        Assign(Info(VmRunState.Migrating, target: Other), VmLocalRole.MigrateOut, "n2");

        Assert.Equal(new VmMigrated("WEB-01", Me, Other), Expect<VmMigrated>());
        Assert.Equal(1, Count("migrate n2"));
    }

    [Fact]
    public void MigrateOut_Fails_ReportsMigrationFailedAndKeepsRunning()
    {
        StartRunning();
        _hv.MigrateError = "target refused the connection";

        Assign(Info(VmRunState.Migrating, target: Other), VmLocalRole.MigrateOut, "n2");

        Assert.Contains("refused", Expect<VmMigrationFailed>().Reason);
        Assert.Equal(VmPowerState.Running, _hv.Domains["WEB-01"].State);
    }

    [Fact]
    public void MigrateOut_SameAttemptSteppedAgainAfterAFailure_ResendsTheFailureAndNeverMigratesAgain()
    {
        StartRunning();
        _hv.MigrateError = "n2 cannot be reached";
        var migrating = Info(VmRunState.Migrating, target: Other) with { Attempt = 124 };
        Assign(migrating, VmLocalRole.MigrateOut, "n2");
        Assert.Equal(124, Expect<VmMigrationFailed>().Attempt);
        _hv.MigrateError = null; // the target is reachable again: a second try would succeed and contradict the failure

        // the host goes into maintenance while the failure is on its way: the step runs again for the same attempt
        _parent.Tell(new VmAssignment(++_seq, migrating, VmLocalRole.MigrateOut, "n2", HostMaintenance: true), null);

        Assert.Equal(124, Expect<VmMigrationFailed>().Attempt);
        Assert.Equal(1, Count("migrate n2"));
        Assert.Equal(VmPowerState.Running, _hv.Domains["WEB-01"].State);
    }

    [Fact]
    public void Run_AfterThisHostMigratedTheVmAway_UnderAnAttemptRecordedFailed_ResendsMigratedAndDoesNotRestart()
    {
        StartRunning();
        Assign(Info(VmRunState.Migrating, target: Other) with { Attempt = 124 }, VmLocalRole.MigrateOut, "n2");
        Assert.Equal(124, Expect<VmMigrated>().Attempt);
        _hv.Domains.Remove("WEB-01"); // it runs on n2 now

        // the DC failed the same attempt (it thought the target gone): the state has the VM running here
        Assign(Info(VmRunState.Running) with { Attempt = 124 }, VmLocalRole.Run);

        Assert.Equal(124, Expect<VmMigrated>().Attempt);
        Assert.Equal(1, Count("start"));
        Assert.False(_hv.Domains.ContainsKey("WEB-01"));
    }

    [Fact]
    public void MigrateOut_ANewAttemptAfterAFailure_Migrates()
    {
        StartRunning();
        _hv.MigrateError = "n2 cannot be reached";
        Assign(Info(VmRunState.Migrating, target: Other) with { Attempt = 124 }, VmLocalRole.MigrateOut, "n2");
        Expect<VmMigrationFailed>();
        _hv.MigrateError = null;
        Assign(Info(VmRunState.Running) with { Attempt = 124 }, VmLocalRole.Run);

        Assign(Info(VmRunState.Migrating, target: Other) with { Attempt = 130 }, VmLocalRole.MigrateOut, "n2");

        Assert.Equal(130, Expect<VmMigrated>().Attempt);
        Assert.Equal(2, Count("migrate n2"));
    }

    [Fact]
    public void MigrateOut_HypervisorWithoutLiveMigration_ReportsMigrationFailed()
    {
        StartRunning();
        _hv.Migratable = false;

        Assign(Info(VmRunState.Migrating, target: Other), VmLocalRole.MigrateOut, "n2");

        Assert.Contains("cannot live-migrate", Expect<VmMigrationFailed>().Reason);
        Assert.Equal(0, Count("migrate n2"));
    }

    [Fact]
    public void MigrateOut_VmNoLongerHere_IsTheTargets()
    {
        StartRunning();
        _hv.Domains.Remove("WEB-01"); // it reached the target before this host restarted; the report was lost

        Assign(Info(VmRunState.Migrating, target: Other), VmLocalRole.MigrateOut, "n2");

        Assert.Equal(new VmMigrated("WEB-01", Me, Other), Expect<VmMigrated>());
        Assert.Equal(0, Count("migrate n2"));
        Assert.Equal(1, Count("start"));
    }

    [Fact]
    public void Absent_SecondCopyRunningHere_IsForcedOff_ThenReportedMultiplyActive_ThenIdle()
    {
        _hv.Domains["WEB-01"] = new VmStatus(VmPowerState.Running);

        Assign(Info(VmRunState.Running, node: Other), VmLocalRole.Absent);

        var report = _probe.ExpectMsg<VmReport>();
        Assert.False(_hv.Domains.ContainsKey("WEB-01")); // off before it is reported: never two copies
        Assert.Equal(("WEB-01", Me), (((VmMultiplyActive)report.Event).Name, ((VmMultiplyActive)report.Event).Node));
        Assert.Equal(new VmActorIdle("WEB-01", _seq), _probe.ExpectMsg<VmActorIdle>());
    }

    [Fact]
    public void Absent_OrphanWhileTheStateRunsItNowhere_IsForcedOff_NotReported()
    {
        _hv.Domains["WEB-01"] = new VmStatus(VmPowerState.Running);

        Assign(new VmInfo(Spec, VmDesiredState.Started, VmRunState.Stopped, null, null, ImmutableSortedSet<NodeId>.Empty, ""), VmLocalRole.Absent);

        Assert.Equal(new VmActorIdle("WEB-01", _seq), _probe.ExpectMsg<VmActorIdle>());
        Assert.False(_hv.Domains.ContainsKey("WEB-01"));
    }

    [Fact]
    public void Absent_ThenPlacedHere_StartsAfterAll()
    {
        Assign(Info(VmRunState.Stopped, node: Other), VmLocalRole.Absent);
        Assign(Info(VmRunState.Starting), VmLocalRole.Run);

        Expect<VmRunning>();
        Assert.Equal(1, Count("start"));
    }

    /// <summary>Creates the VmActor as its child and forwards what the child sends to the probe.</summary>
    internal sealed class Parent : Actor
    {
        public Parent(Props child, IActorRef probe)
        {
            var vm = Context.ActorOf(child, "vm");
            Receive<VmAssignment>(a => vm.Tell(a, Self));
            ReceiveAny(m => probe.Tell(m, Self));
        }
    }
}
