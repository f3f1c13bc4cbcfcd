using Haven.Actors.Cluster;
using Haven.Actors.Persistence;
using Haven.Actors.Placement;
using Haven.Actors.Vms;
using static Haven.Actors.Tests.Cluster.ClusterTestEvents;

namespace Haven.Actors.Tests.Vms;

public sealed class VmStateTests
{
    internal static VmSpec Web(string name = "WEB-01", bool migrate = false, bool ha = true, params NodePreference[] preferences) =>
        new(name, "libvirt", "/etc/libvirt/qemu/web.xml", 2, 2048, [.. preferences], migrate, 0, ha);

    private static ClusterState WithWeb(bool migrate = false) => ThreeUp().Apply(new VmAdded(Web(migrate: migrate)));

    internal static string Rejected(ClusterState state, IClusterEvent e) => state.Validate(e) ?? throw new Xunit.Sdk.XunitException($"{e} was accepted");

    [Theory]
    [InlineData("web-01", "'w'")]
    [InlineData("AB", "too short")]
    [InlineData("WEB_01", "'_'")]
    [InlineData("", "empty")]
    public void VmAdded_BadName_RejectedNamingTheProblem(string name, string expected)
    {
        Assert.Contains(expected, Rejected(ThreeUp(), new VmAdded(Web(name))));
    }

    [Fact]
    public void VmAdded_Valid_IsStoppedAndRunsNowhere()
    {
        var vm = WithWeb().Vms["WEB-01"];

        Assert.Equal(VmRunState.Stopped, vm.State);
        Assert.Equal(VmDesiredState.Started, vm.Desired);
        Assert.Null(vm.Node);
    }

    [Theory]
    [InlineData("xen", -1, 10, "cpu utilization -1")]
    [InlineData("xen", 1, 17L * 1024 * 1024, "memory utilization")]
    [InlineData("vmware", 1, 10, "hypervisor 'vmware'")]
    public void VmAdded_BadDefinition_RejectedNamingTheField(string hypervisor, long cpu, long memory, string expected)
    {
        var spec = Web() with { Hypervisor = hypervisor, Cpu = cpu, Memory = memory };

        var reason = Rejected(ThreeUp(), new VmAdded(spec));

        Assert.Contains(expected, reason);
        Assert.Contains("WEB-01", reason);
    }

    [Fact]
    public void VmAdded_PreferenceTwice_Rejected()
    {
        var spec = Web(preferences: [new NodePreference("node1", 10), new NodePreference("node1", 20)]);

        Assert.Contains("preferred twice", Rejected(ThreeUp(), new VmAdded(spec)));
    }

    [Fact]
    public void VmAdded_SameNameTwice_Rejected()
    {
        Assert.Contains("already managed", Rejected(WithWeb(), new VmAdded(Web())));
    }

    [Fact]
    public void VmPlaced_OnUpNode_StartsThere_AndRunningFollows()
    {
        var state = WithWeb().Apply(new VmPlaced("WEB-01", N(2))).Apply(new VmRunning("WEB-01", N(2)));

        Assert.Equal((VmRunState.Running, N(2)), (state.Vms["WEB-01"].State, state.Vms["WEB-01"].Node!.Value));
    }

    [Theory]
    [InlineData(NodeState.Standby)]
    [InlineData(NodeState.Down)]
    [InlineData(NodeState.Joining)]
    public void VmPlaced_OnNodeNotUp_Rejected(NodeState nodeState)
    {
        var state = ClusterState.Empty.ApplyAll(PathTo(1, NodeState.Up)).ApplyAll(PathTo(2, nodeState)).Apply(new VmAdded(Web()));

        Assert.Contains($"it is {nodeState.ToString().ToLowerInvariant()}", Rejected(state, new VmPlaced("WEB-01", N(2))));
    }

    [Fact]
    public void VmPlaced_WhenPlacedAlready_Rejected()
    {
        var state = WithWeb().Apply(new VmPlaced("WEB-01", N(1)));

        Assert.Contains("placed only once it runs nowhere", Rejected(state, new VmPlaced("WEB-01", N(2))));
    }

    [Fact]
    public void VmPlaced_StoppedVm_Rejected()
    {
        var state = WithWeb().Apply(new VmDesired("WEB-01", VmDesiredState.Stopped));

        Assert.Contains("only a started VM is placed", Rejected(state, new VmPlaced("WEB-01", N(1))));
    }

    [Fact]
    public void NodeLeft_WhileAVmIsOnTheNode_RejectedUntilItMovedOrStopped()
    {
        var state = WithWeb().Apply(new VmPlaced("WEB-01", N(2))).Apply(new VmRunning("WEB-01", N(2))).Apply(new NodeLeaving(N(2)));

        Assert.Contains("node2 still has VM WEB-01 (running); its VMs must move or stop before it leaves", Rejected(state, new NodeLeft(N(2))));

        var stopped = state.Apply(new VmStopping("WEB-01", N(2), "its host is leaving")).Apply(new VmStopped("WEB-01", N(2), "stopped"));
        Assert.Equal(NodeState.Left, stopped.Apply(new NodeLeft(N(2))).StateOf(N(2)));
    }

    [Theory]
    [InlineData(NodeState.Down)]
    [InlineData(NodeState.Unreachable)]
    public void VmStopped_HostLostButNotFenced_RejectedUntilFenced(NodeState lost)
    {
        var state = WithWeb().Apply(new VmPlaced("WEB-01", N(2))).Apply(new VmRunning("WEB-01", N(2)))
            .Apply(lost == NodeState.Down ? new NodeDown(N(2), "lost") : new NodeUnreachable(N(2)));

        Assert.Contains("until it is fenced", Rejected(state, new VmStopped("WEB-01", N(2), "host lost")));
        Assert.Contains("until it is fenced", Rejected(state, new VmFailed("WEB-01", N(2), "host lost")));

        var fenced = state.Apply(new NodeFenced(N(2), "pdu")).Apply(new VmStopped("WEB-01", N(2), "fenced"));
        Assert.Null(fenced.Vms["WEB-01"].Node);
    }

    [Fact]
    public void VmStopped_FenceRequestOpen_Rejected()
    {
        var state = WithWeb().Apply(new VmPlaced("WEB-01", N(2))).Apply(new NodeUnhealthy(N(2), "monitor failed"))
            .Apply(new FenceRequested(N(2), N(1), "unhealthy"));

        Assert.Contains("fence request open", Rejected(state, new VmStopped("WEB-01", N(2), "x")));
    }

    [Fact]
    public void VmStopped_OtherNode_Rejected()
    {
        var state = WithWeb().Apply(new VmPlaced("WEB-01", N(2)));

        Assert.Contains("is not on node3", Rejected(state, new VmStopped("WEB-01", N(3), "x")));
    }

    [Fact]
    public void VmFailed_BansTheNode_AndAnOperatorStartClearsIt()
    {
        var state = WithWeb().Apply(new VmPlaced("WEB-01", N(2))).Apply(new VmFailed("WEB-01", N(2), "crashed 4 times"));

        Assert.Equal(VmRunState.Failed, state.Vms["WEB-01"].State);
        Assert.Equal([N(2)], state.Vms["WEB-01"].FailedOn);

        var cleaned = state.Apply(new VmDesired("WEB-01", VmDesiredState.Started));
        Assert.Empty(cleaned.Vms["WEB-01"].FailedOn);
        Assert.Equal(VmRunState.Stopped, cleaned.Vms["WEB-01"].State);
    }

    [Fact]
    public void VmDesired_Unchanged_Rejected()
    {
        Assert.Contains("already started", Rejected(WithWeb(), new VmDesired("WEB-01", VmDesiredState.Started)));
    }

    [Fact]
    public void VmMigrating_VmWithoutAllowMigrate_Rejected()
    {
        var state = WithWeb().Apply(new VmPlaced("WEB-01", N(1))).Apply(new VmRunning("WEB-01", N(1)));

        Assert.Contains("does not allow live migration", Rejected(state, new VmMigrating("WEB-01", N(1), N(2))));
    }

    [Fact]
    public void Migration_DoneOrFailed_EndsRunningOnTargetOrSource()
    {
        var migrating = WithWeb(migrate: true).Apply(new VmPlaced("WEB-01", N(1))).Apply(new VmRunning("WEB-01", N(1)))
            .Apply(new VmMigrating("WEB-01", N(1), N(2)));

        var done = migrating.Apply(new VmMigrated("WEB-01", N(1), N(2))).Vms["WEB-01"];
        var failed = migrating.Apply(new VmMigrationFailed("WEB-01", N(1), N(2), "refused")).Vms["WEB-01"];

        Assert.Equal((VmRunState.Running, N(2), (Haven.Actors.Membership.NodeId?)null), (done.State, done.Node!.Value, done.Target));
        Assert.Equal((VmRunState.Running, N(1), (Haven.Actors.Membership.NodeId?)null), (failed.State, failed.Node!.Value, failed.Target));
        Assert.Contains("not migrating from node2", Rejected(migrating, new VmMigrated("WEB-01", N(2), N(1))));
    }

    [Fact]
    public void Migrated_AfterTheSameAttemptWasRecordedFailed_MovesTheVmToTheTarget_AnotherAttemptOrSourceRejected()
    {
        var migrating = WithWeb(migrate: true).Apply(new VmPlaced("WEB-01", N(1))).Apply(new VmRunning("WEB-01", N(1)))
            .Apply(new VmMigrating("WEB-01", N(1), N(2)));
        var attempt = migrating.Vms["WEB-01"].Attempt;
        var failed = migrating.Apply(new VmMigrationFailed("WEB-01", N(1), N(2), "the target was left", attempt));

        var moved = failed.Apply(new VmMigrated("WEB-01", N(1), N(2), attempt)).Vms["WEB-01"];

        Assert.Equal((VmRunState.Running, N(2)), (moved.State, moved.Node!.Value));
        Assert.Contains("not migrating", Rejected(failed, new VmMigrated("WEB-01", N(1), N(2), attempt - 1)));
        Assert.Contains("not migrating", Rejected(failed, new VmMigrated("WEB-01", N(2), N(3), attempt)));
        Assert.Contains("not migrating", Rejected(failed, new VmMigrated("WEB-01", N(1), N(2)))); // attempt 0 names none
    }

    [Fact]
    public void Report_OfAnEarlierPlacementOnTheSameNode_IsRejected_TheCurrentOneAccepted()
    {
        // Placed on node1, stopped there, placed on node1 again: a stop report made under the first placement and delivered
        // late (seed 1231610135) must not release the VM the second placement started.
        var first = WithWeb().Apply(new VmPlaced("WEB-01", N(1)));
        var firstAttempt = first.Vms["WEB-01"].Attempt;
        var second = first.Apply(new VmStopped("WEB-01", N(1), "killed", firstAttempt)).Apply(new VmPlaced("WEB-01", N(1)));
        var secondAttempt = second.Vms["WEB-01"].Attempt;

        Assert.NotEqual(0, firstAttempt);
        Assert.NotEqual(firstAttempt, secondAttempt);
        foreach (var stale in new IClusterEvent[]
                 {
                     new VmStopped("WEB-01", N(1), "killed", firstAttempt), new VmRunning("WEB-01", N(1), firstAttempt),
                     new VmFailed("WEB-01", N(1), "gave up", null, firstAttempt),
                     new VmOperationFailed("WEB-01", N(1), "monitor", VmOnFail.Stop, "gone", null, firstAttempt),
                 })
            Assert.Contains($"answers placement attempt {firstAttempt}, but attempt {secondAttempt} is in progress", Rejected(second, stale));
        Assert.Null(second.Validate(new VmStopped("WEB-01", N(1), "stopped", secondAttempt)));
        Assert.Null(second.Validate(new VmRunning("WEB-01", N(1), secondAttempt)));
    }

    [Fact]
    public void Report_NamingNoAttempt_IsNotChecked()
    {
        // Older journals and the DC's own records (a fenced host's VMs) name no attempt.
        var placedTwice = WithWeb().Apply(new VmPlaced("WEB-01", N(1))).Apply(new VmStopped("WEB-01", N(1), "x")).Apply(new VmPlaced("WEB-01", N(1)));

        Assert.Null(placedTwice.Validate(new VmStopped("WEB-01", N(1), "its host node1 was fenced")));
        Assert.Null(placedTwice.Validate(new VmRunning("WEB-01", N(1))));
    }

    [Fact]
    public void Report_WithItsAttempt_RoundTrips_AndAnOlderRecordWithoutOneReadsAsZero()
    {
        var serializer = new JsonEventSerializer(HavenManifests.CreateRegistry());
        var e = new VmStopped("WEB-01", N(1), "stopped", 42);

        var (manifest, payload) = serializer.Serialize(e);
        var older = System.Text.Encoding.UTF8.GetBytes("""{"name":"WEB-01","node":1,"reason":"stopped"}""");

        Assert.Equal(e, serializer.Deserialize(new JournalEntry("cluster", 1, manifest, payload, DateTimeOffset.UnixEpoch, [])));
        Assert.Equal(e with { Attempt = 0 }, serializer.Deserialize(new JournalEntry("cluster", 2, manifest, older, DateTimeOffset.UnixEpoch, [])));
    }

    [Fact]
    public void VmRemoved_WhileItRuns_Rejected_AndRemovedOnceStopped()
    {
        var running = WithWeb().Apply(new VmPlaced("WEB-01", N(1)));

        // the node by name and the state in lower case, not "Starting on node 1"
        Assert.Equal("VM WEB-01 is starting on node1; stop it before removing it", Rejected(running, new VmRemoved("WEB-01")));
        Assert.Empty(running.Apply(new VmStopped("WEB-01", N(1), "stopped")).Apply(new VmRemoved("WEB-01")).Vms);
    }

    [Fact]
    public void VmRemoved_BlockedAfterAFailedStop_RefusedNamingCleanupAndForce_ForcedRemoves()
    {
        var blocked = WithWeb().Apply(new VmPlaced("WEB-01", N(1))).Apply(new VmRunning("WEB-01", N(1)))
            .Apply(new VmStopping("WEB-01", N(1), "stop"))
            .Apply(new VmOperationFailed("WEB-01", N(1), "stop", VmOnFail.Block, "the shutdown request and the forced stop failed: xe is missing", null));

        var refusal = Rejected(blocked, new VmRemoved("WEB-01"));
        Assert.StartsWith("VM WEB-01 is stopping on node1, blocked: stop failed on node1: the shutdown request", refusal, StringComparison.Ordinal);
        Assert.Contains("`haven vm cleanup WEB-01`", refusal, StringComparison.Ordinal);
        Assert.Contains("`haven vm remove WEB-01 --force`", refusal, StringComparison.Ordinal);
        Assert.Empty(blocked.Apply(new VmRemoved("WEB-01", Force: true)).Vms);
        // the JSON of an event written before Force existed reads as not forced
        Assert.Equal(new VmRemoved("WEB-01"), System.Text.Json.JsonSerializer.Deserialize<VmRemoved>("""{"Name":"WEB-01"}"""));
    }

    [Fact]
    public void VmCleanedUp_BlockedVm_ManagedAgain_UnmanagedByTheOperatorStaysUnmanaged()
    {
        var stopping = WithWeb().Apply(new VmPlaced("WEB-01", N(1))).Apply(new VmRunning("WEB-01", N(1))).Apply(new VmStopping("WEB-01", N(1), "stop"));
        var blocked = stopping.Apply(new VmOperationFailed("WEB-01", N(1), "stop", VmOnFail.Block, "xe is missing", null));
        Assert.True(blocked.Vms["WEB-01"].Unmanaged);

        var cleaned = blocked.Apply(new VmCleanedUp("WEB-01", null)).Vms["WEB-01"];
        Assert.False(cleaned.Unmanaged);
        Assert.Equal((VmRunState.Stopping, N(1), ""), (cleaned.State, cleaned.Node!.Value, cleaned.Reason));

        var unmanaged = stopping.Apply(new VmManaged("WEB-01", false));
        Assert.Contains("and unmanaged: it may still run there. `haven vm manage WEB-01`", Rejected(unmanaged, new VmRemoved("WEB-01")), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("node 2", 100, null, "VM WEB-01: --prefer node 2=100: invalid node name \"node 2\"; use one or more letters, digits, '.', '_' or '-'")]
    [InlineData("", -1000000, null, "VM WEB-01: --prefer =-1000000: invalid node name \"\"; use one or more letters, digits, '.', '_' or '-'")]
    [InlineData("node9", 100, "node2,node1", "VM WEB-01: --prefer node9=100: node \"node9\" is not a node of this cluster (known: node1, node2)")]
    [InlineData("node2", -1000000, "node2,node1", null)]
    [InlineData("node9", 100, null, null)]
    public void CheckNodeNames_OneRuleAndKnownNodes(string node, int score, string? known, string? expected)
    {
        var spec = Web(preferences: [new NodePreference(node, score)]);

        Assert.Equal(expected, VmSpecRules.CheckNodeNames(spec, known?.Split(',')));
        // the same rule and words as haven.cluster.nodes and preferred-host
        if (node.Contains(' ', StringComparison.Ordinal))
            Assert.EndsWith(Haven.Actors.Configuration.ClusterConfig.NodeNameProblem(node)!, expected, StringComparison.Ordinal);
    }

    [Fact]
    public void VmEvents_ThroughJson_GiveEqualStates()
    {
        IClusterEvent[] events =
        [
            new VmAdded(Web(migrate: true, preferences: [new NodePreference("node2", 100)])),
            new VmPlaced("WEB-01", N(2)), new VmRunning("WEB-01", N(2)), new VmMigrating("WEB-01", N(2), N(3)),
            new VmMigrated("WEB-01", N(2), N(3)), new VmFailed("WEB-01", N(3), "gave up"), new VmHa("WEB-01", false),
        ];
        var serializer = new JsonEventSerializer(HavenManifests.CreateRegistry());
        var copies = events.Select(e =>
        {
            var (manifest, payload) = serializer.Serialize(e);
            return (IClusterEvent)serializer.Deserialize(new JournalEntry("cluster", 1, manifest, payload, default, []));
        });

        var direct = ThreeUp().ApplyAll(events);
        var viaJson = ThreeUp().ApplyAll(copies);

        Assert.Equal(direct, viaJson);
        Assert.NotEqual(direct, direct.Apply(new VmHa("WEB-01", true)));
    }
}
