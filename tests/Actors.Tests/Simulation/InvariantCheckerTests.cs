using Haven.Actors.Cluster;
using Haven.Actors.Simulation;
using static Haven.Actors.Tests.Simulation.InvariantTestData;

namespace Haven.Actors.Tests.Simulation;

public sealed class InvariantCheckerTests
{
    private const PartitionRole P = PartitionRole.Primary;
    private const PartitionRole M = PartitionRole.Minority;

    [Fact]
    public void SinglePrimary_PrimariesInTwoComponents_IsViolation()
    {
        var hosts = new[] { Host(1, P, 1, [1], side: 0), Host(2, P, 2, [2, 3], side: 1), Host(3, P, 2, [2, 3], side: 1) };

        var found = Invariants.SinglePrimary(7, hosts).ToList();

        Assert.Contains(found, v => v.Invariant == InvariantNames.SinglePrimary && v.Detail.Contains("different network components"));
        Assert.All(found, v => Assert.Equal(7, v.Step));
        Assert.Equal(new[] { N(1), N(2), N(3) }, found[0].Hosts);
    }

    [Fact]
    public void SinglePrimary_SameComponentDifferentDc_IsViolation()
    {
        var hosts = new[] { Host(1, P, 1, [1, 2]), Host(2, P, 2, [1, 2]) };

        var found = Invariants.SinglePrimary(3, hosts).Single();

        Assert.Contains("disagree on the DC", found.Detail);
    }

    [Fact]
    public void SinglePrimary_OnePrimaryComponentAndMinorities_Passes()
    {
        var hosts = new[]
        {
            Host(1, M, null, [1], side: 0), Host(2, P, 2, [2, 3], side: 1), Host(3, P, 2, [2, 3], side: 1),
            Host(4, P, 4, [4], running: false), // a dead process's last view does not count
        };

        Assert.Empty(Invariants.SinglePrimary(1, hosts));
    }

    [Fact]
    public void AddressesExclusive_TwoLiveHoldersOnOneSide_IsViolation()
    {
        var ledger = AddressLedger.Replay([new AddressTaken(N(1), "10.0.0.11"), new AddressTaken(N(2), "10.0.0.11")]).Ledger;
        var hosts = new[] { Host(1, P, 1, [1, 2]), Host(2, P, 1, [1, 2]) };

        var found = Invariants.AddressesExclusive(5, hosts, ledger).Single();

        Assert.Equal(InvariantNames.AddressExclusive, found.Invariant);
        Assert.Equal(new[] { N(1), N(2) }, found.Hosts);
        Assert.Contains("10.0.0.11", found.Detail);
    }

    [Fact]
    public void AddressesExclusive_HoldersOnDifferentSidesOrPoweredOff_Passes()
    {
        var ledger = AddressLedger.Replay([new AddressTaken(N(1), "10.0.0.11"), new AddressTaken(N(2), "10.0.0.11"),
            new AddressTaken(N(3), "10.0.0.11")]).Ledger;
        var hosts = new[] { Host(1, M, null, [1], side: 0), Host(2, P, 2, [2], side: 1), Host(3, P, 2, [3], side: 1, powered: false) };

        Assert.Empty(Invariants.AddressesExclusive(5, hosts, ledger));
    }

    [Fact]
    public void AuditStream_ReleaseForDownNodeBeforeFence_IsViolation()
    {
        IClusterEvent[] stream = [.. Formed(3), Take("10.0.0.11", 3), new NodeDown(N(3), "lost"), Release("10.0.0.11", 3)];

        var (_, found) = Invariants.AuditStream(9, N(1), ClusterState.Empty, stream);

        var v = Assert.Single(found);
        Assert.Equal(InvariantNames.RecoveryAfterFence, v.Invariant);
        Assert.Equal(new[] { N(1), N(3) }, v.Hosts);
        Assert.Contains("#10", v.Detail);
        Assert.Contains("Down", v.Detail);
    }

    [Fact]
    public void AuditStream_ReleaseForUnreachableNode_IsViolation()
    {
        IClusterEvent[] stream = [.. Formed(2), Take("10.0.0.11", 2), new NodeUnreachable(N(2)), Release("10.0.0.11", 2)];

        Assert.Contains(Invariants.AuditStream(1, N(1), ClusterState.Empty, stream).Violations,
            v => v.Invariant == InvariantNames.RecoveryAfterFence);
    }

    [Fact]
    public void AuditStream_ReleaseAfterFenceSucceeded_Passes()
    {
        IClusterEvent[] stream =
        [
            .. Formed(3), Take("10.0.0.11", 3), new NodeDown(N(3), "lost"),
            new FenceRequested(N(3), N(1), "lost"), new FenceSucceeded(N(3), "pdu"),
            Release("10.0.0.11", 3), Take("10.0.0.11", 2),
        ];

        var (state, found) = Invariants.AuditStream(1, N(1), ClusterState.Empty, stream);

        Assert.Empty(found);
        Assert.Equal(N(2), state.Ips["10.0.0.11"].Node);
    }

    [Fact]
    public void AuditStream_OwnReleaseThenLeave_Passes()
    {
        IClusterEvent[] stream = [.. Formed(2), Take("10.0.0.11", 2), new NodeLeaving(N(2)), Release("10.0.0.11", 2), new NodeLeft(N(2))];

        Assert.Empty(Invariants.AuditStream(1, N(1), ClusterState.Empty, stream).Violations);
    }

    [Fact]
    public void AuditStream_TakeOfAnAddressAnotherNodeHolds_IsViolation()
    {
        IClusterEvent[] stream = [.. Formed(2), Take("10.0.0.11", 2), Take("10.0.0.11", 1)];

        var v = Assert.Single(Invariants.AuditStream(4, N(1), ClusterState.Empty, stream).Violations);

        Assert.Equal(InvariantNames.RecoveryAfterFence, v.Invariant);
        Assert.Contains("n1 took 10.0.0.11 while n2 holds it", v.Detail);
    }

    [Fact]
    public void AuditStream_EventTheStateRejects_IsStreamViolationAndSkipped()
    {
        IClusterEvent[] stream = [.. Formed(2), new NodeLeft(N(2)), new NodeDown(N(2), "lost")];

        var (state, found) = Invariants.AuditStream(2, N(1), ClusterState.Empty, stream);

        var v = Assert.Single(found);
        Assert.Equal(InvariantNames.StreamValid, v.Invariant);
        Assert.Contains("NodeLeft", v.Detail);
        Assert.Equal(NodeState.Down, state.StateOf(N(2)));
    }

    [Fact]
    public void AuditStream_Incremental_EqualsWholeStream()
    {
        IClusterEvent[] stream = [.. Formed(3), Take("10.0.0.11", 3), new NodeDown(N(3), "lost"), Release("10.0.0.11", 3)];

        var (mid, first) = Invariants.AuditStream(1, N(1), ClusterState.Empty, stream[..5]);
        var (end, second) = Invariants.AuditStream(2, N(1), mid, stream[5..], firstIndex: 6);

        Assert.Empty(first);
        Assert.Equal(Invariants.AuditStream(2, N(1), ClusterState.Empty, stream).State, end);
        Assert.Contains("#10", Assert.Single(second).Detail);
    }

    [Fact]
    public void JournalPrefix_DivergedPrimaryStreams_IsViolation()
    {
        var a = StreamObservation.Of([.. Formed(2), Take("10.0.0.11", 1)]);
        var b = StreamObservation.Of([.. Formed(2), Take("10.0.0.11", 2)]);
        var hosts = new[] { Host(1, P, 1, [1, 2], stream: a), Host(2, P, 1, [1, 2], stream: b) };

        var v = Assert.Single(Invariants.JournalPrefix(6, hosts, quiescent: false));

        Assert.Equal(InvariantNames.JournalPrefix, v.Invariant);
        Assert.Contains("#6", v.Detail);
    }

    [Fact]
    public void JournalPrefix_ShorterStreamIsPrefix_Passes()
    {
        var a = StreamObservation.Of(Formed(2));
        var b = StreamObservation.Of([.. Formed(2), Take("10.0.0.11", 2)]);
        var hosts = new[] { Host(1, P, 1, [1, 2], stream: a), Host(2, P, 1, [1, 2], stream: b) };

        Assert.Empty(Invariants.JournalPrefix(6, hosts, quiescent: false));
    }

    [Fact]
    public void JournalPrefix_DifferentComponentsOrMinority_AreNotCompared()
    {
        var a = StreamObservation.Of([.. Formed(2), Take("10.0.0.11", 1)]);
        var b = StreamObservation.Of([.. Formed(2), Take("10.0.0.11", 2)]);
        var hosts = new[] { Host(1, M, null, [1], stream: a), Host(2, P, 2, [2], stream: b), Host(3, P, 2, [3], stream: a) };

        Assert.Empty(Invariants.JournalPrefix(6, hosts, quiescent: true));
    }

    [Fact]
    public void JournalPrefix_QuiescentWithDifferentDigests_IsViolation()
    {
        var hosts = new[] { Host(1, P, 1, [1, 2], index: 5, digest: "aaaa"), Host(2, P, 1, [1, 2], index: 4, digest: "bbbb") };

        Assert.Empty(Invariants.JournalPrefix(6, hosts, quiescent: false));
        Assert.Contains("quiescence", Assert.Single(Invariants.JournalPrefix(6, hosts, quiescent: true)).Detail);
    }

    [Fact]
    public void Convergence_OnePrimaryOneStreamEveryAddressOnce_Passes()
    {
        var (hosts, ledger) = Converged();

        Assert.Empty(Invariants.Convergence(50, hosts, ["10.0.0.11", "10.0.0.12"], ledger));
    }

    [Fact]
    public void Convergence_HostNotPrimary_IsViolation()
    {
        var (hosts, ledger) = Converged();
        hosts[1] = hosts[1] with { View = hosts[1].View! with { Role = M } };

        var v = Assert.Single(Invariants.Convergence(50, hosts, ["10.0.0.11", "10.0.0.12"], ledger));

        Assert.Equal(InvariantNames.Convergence, v.Invariant);
        Assert.Equal(new[] { N(2) }, v.Hosts);
    }

    [Fact]
    public void Convergence_HostOutsideTheView_IsViolation()
    {
        var (hosts, ledger) = Converged();
        hosts[1] = hosts[1] with { NetworkView = [N(2)] };

        Assert.Contains(Invariants.Convergence(50, hosts, ["10.0.0.11", "10.0.0.12"], ledger), v => v.Detail.Contains("n2 sees [2]"));
    }

    [Fact]
    public void Convergence_DigestsDiffer_IsViolation()
    {
        var (hosts, ledger) = Converged();
        hosts[0] = hosts[0] with { View = hosts[0].View! with { StreamDigest = "other" } };

        Assert.Contains(Invariants.Convergence(50, hosts, ["10.0.0.11", "10.0.0.12"], ledger), v => v.Detail.Contains("digests differ"));
    }

    [Fact]
    public void Convergence_AddressHeldTwiceOrByNobody_IsViolation()
    {
        var (hosts, ledger) = Converged();
        ledger = ledger.Apply(new AddressTaken(N(2), "10.0.0.11"), 0).Ledger.Apply(new AddressReleased(N(2), "10.0.0.12"), 0).Ledger;

        var found = Invariants.Convergence(50, hosts, ["10.0.0.11", "10.0.0.12"], ledger).ToList();

        Assert.Contains(found, v => v.Detail == "10.0.0.11 is held by n1 and n2");
        Assert.Contains(found, v => v.Detail == "10.0.0.12 is held by no host (the cluster state says n2)");
    }

    [Fact]
    public void Convergence_LedgerDisagreesWithState_IsViolation()
    {
        var (hosts, ledger) = Converged();
        ledger = ledger.Apply(new AddressReleased(N(2), "10.0.0.12"), 0).Ledger.Apply(new AddressTaken(N(1), "10.0.0.12"), 0).Ledger;

        Assert.Contains(Invariants.Convergence(50, hosts, ["10.0.0.11", "10.0.0.12"], ledger),
            v => v.Detail.Contains("10.0.0.12 is on n1 but the cluster state says n2"));
    }

    private static (HostObservation[] Hosts, AddressLedger Ledger) Converged()
    {
        var state = ClusterState.Empty.ApplyAll([.. Formed(2), Take("10.0.0.11", 1), Take("10.0.0.12", 2)]);
        var hosts = new[]
        {
            Host(1, P, 1, [1, 2], state: state, index: 7, digest: "abc"),
            Host(2, P, 1, [1, 2], state: state, index: 7, digest: "abc"),
        };
        var ledger = AddressLedger.Replay([new AddressTaken(N(1), "10.0.0.11"), new AddressTaken(N(2), "10.0.0.12")]).Ledger;
        return (hosts, ledger);
    }
}

public sealed class StreamAuditPhysicalTests
{
    [Fact]
    public void AuditStream_ReleaseForDownNodeThatStillHoldsIt_IsViolation()
    {
        IClusterEvent[] stream = [.. Formed(2), Take("10.0.0.11", 2), new NodeDown(N(2), "lost"), Release("10.0.0.11", 2)];

        var found = Invariants.AuditStream(1, N(1), ClusterState.Empty, stream, stillHolds: (_, _) => true).Violations;

        Assert.Equal(InvariantNames.RecoveryAfterFence, Assert.Single(found).Invariant);
    }

    [Fact]
    public void AuditStream_ReconciledOwnReleaseOfDownNode_Passes()
    {
        IClusterEvent[] stream = [.. Formed(2), Take("10.0.0.11", 2), new NodeDown(N(2), "lost"), Release("10.0.0.11", 2)];

        Assert.Empty(Invariants.AuditStream(1, N(1), ClusterState.Empty, stream, stillHolds: (_, _) => false).Violations);
    }
}
