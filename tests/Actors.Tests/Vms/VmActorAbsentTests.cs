using System.Collections.Immutable;
using Haven.Actors.Cluster;
using Haven.Actors.Membership;
using Haven.Actors.Runtime;
using Haven.Actors.Vms;
using Haven.TestKit;
using Microsoft.Extensions.Logging;

namespace Haven.Actors.Tests.Vms;

/// <summary>
/// The absent role when the hypervisor cannot answer (its tool is missing, the domain is undefined): a VM removed from the
/// cluster is given up after a bounded number of failed status calls, with one warning; one the cluster still has is asked on.
/// </summary>
public sealed class VmActorAbsentTests : HavenTestKit
{
    private const string ToolError = "VM WEB-01: cannot run xe: haven.vms.hypervisors.xen.xe /opt/xe does not exist";
    private static readonly NodeId Me = new(1);
    private static readonly NodeId Other = new(2);
    private static readonly VmSpec Spec = new("WEB-01", "process", "web", 1, 512);
    private static readonly VmPolicy Policy = Haven.Actors.Simulation.ClusterSimulation.SimulationVmPolicy;

    private readonly RecordingLoggerFactory _logs;
    private readonly FakeHypervisor _hv = new();
    private readonly TestProbe _probe;
    private readonly IActorRef _parent;
    private long _seq;

    public VmActorAbsentTests() : this(new RecordingLoggerFactory()) { }

    private VmActorAbsentTests(RecordingLoggerFactory logs) : base(loggerFactory: logs)
    {
        _logs = logs;
        _probe = CreateTestProbe();
        _parent = ActorOf(Props.Create(() => new VmActorTests.Parent(VmActor.Props(Me, _hv, Policy), _probe.Ref)));
    }

    private static VmInfo Info(VmRunState state, NodeId? node) =>
        new(Spec, VmDesiredState.Started, state, node, null, ImmutableSortedSet<NodeId>.Empty, "");

    private void Assign(VmInfo? vm, VmLocalRole role) => _parent.Tell(new VmAssignment(++_seq, vm, role), null);

    private int StatusCalls => _hv.Calls.Count(c => c == "status WEB-01");

    private List<LogEntry> Warnings => _logs.Entries.Where(e => e.Level == LogLevel.Warning && e.Message.Contains("WEB-01", StringComparison.Ordinal)).ToList();

    [Fact]
    public void Absent_RemovedVmWhoseToolIsMissing_GivesUpAfterThreeFailedStatusCallsWithOneWarning()
    {
        // The VM was being stopped here when its tool went missing; `vm remove --force` took it out of the state.
        Assign(Info(VmRunState.Stopping, Me), VmLocalRole.Stop);
        _probe.FishForMessage<VmReport>(r => r.Event is VmStopped);
        _hv.StatusError = ToolError;
        var before = StatusCalls;

        Assign(null, VmLocalRole.Absent);

        Assert.Equal(new VmActorIdle("WEB-01", _seq), _probe.FishForMessage<VmActorIdle>(_ => true));
        Assert.Equal(VmActor.AbsentStatusAttempts, StatusCalls - before);
        _probe.ExpectNoMsg(TimeSpan.FromSeconds(30)); // sixty poll intervals: nothing more is asked
        Assert.Equal(VmActor.AbsentStatusAttempts, StatusCalls - before);
        var warning = Assert.Single(Warnings);
        Assert.Contains("VM WEB-01 was removed", warning.Message, StringComparison.Ordinal);
        Assert.Contains(ToolError, warning.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Absent_RemovedVmWhoseStatusAnswersBeforeTheLimit_IsIdleWithoutWarning()
    {
        Assign(Info(VmRunState.Stopping, Me), VmLocalRole.Stop);
        _probe.FishForMessage<VmReport>(r => r.Event is VmStopped);
        _hv.StatusError = ToolError;
        var before = StatusCalls;

        Assign(null, VmLocalRole.Absent);
        _probe.ExpectNoMsg(TimeSpan.FromSeconds(0.7)); // two failed calls, one fewer than the limit
        Assert.Equal(VmActor.AbsentStatusAttempts - 1, StatusCalls - before);
        _hv.StatusError = null;

        Assert.Equal(new VmActorIdle("WEB-01", _seq), _probe.FishForMessage<VmActorIdle>(_ => true));
        Assert.Equal(VmActor.AbsentStatusAttempts, StatusCalls - before);
        Assert.Empty(Warnings);
    }

    [Fact]
    public void Absent_VmTheClusterStillHasWhoseToolIsMissing_IsAskedOnWithOneWarning()
    {
        _hv.StatusError = ToolError;

        Assign(Info(VmRunState.Running, Other), VmLocalRole.Absent);

        _probe.ExpectNoMsg(TimeSpan.FromSeconds(10)); // never idle: a copy left here must be seen off
        Assert.True(StatusCalls > 10, $"only {StatusCalls} status calls");
        var warning = Assert.Single(Warnings);
        Assert.Contains("VM WEB-01 is not placed on", warning.Message, StringComparison.Ordinal);
        Assert.Contains(ToolError, warning.Message, StringComparison.Ordinal);
    }
}
