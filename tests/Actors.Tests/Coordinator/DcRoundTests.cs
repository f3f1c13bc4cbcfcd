using System.Collections.Immutable;
using Haven.Actors.Cluster;
using Haven.Actors.Coordinator;
using Haven.Actors.Fencing;
using Haven.Actors.Membership;
using static Haven.Actors.Tests.Cluster.ClusterTestEvents;

namespace Haven.Actors.Tests.Coordinator;

/// <summary>The DC's round as a pure function: the same inputs, the same decision, and no actor running.</summary>
public sealed class DcRoundTests
{
    private static readonly DateTimeOffset Now = new(2026, 12, 7, 10, 0, 0, TimeSpan.Zero);
    private static readonly PublicAddress Address = new("10.0.0.50", 24, "eth0");

    private static DcInputs Inputs(ClusterState state, params uint[] view)
    {
        var members = view.Select(i => new Member(N(i), $"node{i}")).ToImmutableArray();
        return new DcInputs
        {
            State = state,
            Self = N(1),
            View = members,
            ViewIds = [.. members.Select(m => m.Id)],
            Configured = [N(1), N(2), N(3)],
            Nodes = [new Member(N(1), "node1"), new Member(N(2), "node2"), new Member(N(3), "node3")],
            Now = Now,
        };
    }

    /// <summary>Three Up nodes, n1 the DC, no recovery open.</summary>
    private static ClusterState Settled() => ThreeUp().Apply(new DcChanged(N(1)));

    [Fact]
    public void LostNode_FencingOn_IsDownedAndFenceRequested_ThenTheNextRoundStartsTheFence()
    {
        var decision = DcRound.Decide(Inputs(Settled(), 1, 2));

        Assert.Equal([typeof(NodeUnreachable), typeof(NodeDown), typeof(FenceRequested)], decision.Events.Select(e => e.GetType()));
        var request = Assert.IsType<FenceRequested>(decision.Events[^1]);
        Assert.Equal((N(3), N(1)), (request.Target, request.RequestedBy));
        Assert.Empty(decision.Fences); // the request is not applied yet: nothing to fence in this round's state

        var applied = Settled().ApplyAll(decision.Events);
        var next = DcRound.Decide(Inputs(applied, 1, 2) with
        {
            Fencing = new DcFencingInputs { RequestAt = ImmutableDictionary<NodeId, long>.Empty.Add(N(3), 42) },
        });

        var start = Assert.IsType<FenceStep.Start>(Assert.Single(next.Fences));
        Assert.Equal((N(3), "node3", 42L), (start.Command.Target.Node, start.Command.Target.Name, start.Command.RequestAt));
        Assert.Equal(new FencingContext(2, 3, true), start.Command.Context);
        Assert.Empty(next.Events);
    }

    [Fact]
    public void LostNode_FenceAlreadyUnderWay_IsNotStartedTwice()
    {
        var applied = Settled().ApplyAll(DcRound.Decide(Inputs(Settled(), 1, 2)).Events);

        var decision = DcRound.Decide(Inputs(applied, 1, 2) with { Fencing = new DcFencingInputs { InFlight = [N(3)] } });

        Assert.Empty(decision.Fences);
        Assert.Empty(decision.Events);
    }

    [Fact]
    public void LostNode_FenceSeenSucceeding_ItsConfirmationIsProposedAgain_NotFencedTwice()
    {
        var applied = Settled().ApplyAll(DcRound.Decide(Inputs(Settled(), 1, 2)).Events);
        var fencing = new DcFencingInputs
        {
            RequestAt = ImmutableDictionary<NodeId, long>.Empty.Add(N(3), 7),
            Confirmed = ImmutableDictionary<NodeId, (long, string, double?)>.Empty.Add(N(3), (7, "pdu", 1.5)),
        };

        var decision = DcRound.Decide(Inputs(applied, 1, 2) with { Fencing = fencing });

        var again = Assert.IsType<FenceStep.Repropose>(Assert.Single(decision.Fences));
        Assert.Equal(new FenceSucceeded(N(3), "pdu", 1.5), again.Event);
    }

    [Fact]
    public void LostNode_FenceRetryNotDue_RequestsNothing_AndWakesUpWhenDue()
    {
        var fencing = new DcFencingInputs { RetryAt = ImmutableDictionary<NodeId, DateTimeOffset>.Empty.Add(N(3), Now.AddSeconds(20)) };

        var decision = DcRound.Decide(Inputs(Settled(), 1, 2) with { Fencing = fencing });

        Assert.DoesNotContain(decision.Events, e => e is FenceRequested);
        Assert.Contains(decision.Events, e => e is NodeDown);
        Assert.Equal(new DcWakeUp("fence-retry-3", TimeSpan.FromSeconds(20)), Assert.Single(decision.WakeUps));
    }

    [Fact]
    public void LostNode_FenceImpossibleUnderTheseRules_IsNotRequestedAgain_UntilTheRulesChange()
    {
        var policy = new FencingPolicy();
        var impossible = ImmutableDictionary<NodeId, FencingPolicy>.Empty.Add(N(3), policy);

        var same = DcRound.Decide(Inputs(Settled(), 1, 2) with { Fencing = new DcFencingInputs { Policy = policy, Impossible = impossible } });
        var changed = DcRound.Decide(Inputs(Settled(), 1, 2) with
        {
            Fencing = new DcFencingInputs { Policy = policy with { MinHosts = 2 }, Impossible = impossible },
        });

        Assert.DoesNotContain(same.Events, e => e is FenceRequested);
        Assert.Empty(same.ExpiredImpossible);
        Assert.Contains(changed.Events, e => e is FenceRequested);
        Assert.Equal(N(3), Assert.Single(changed.ExpiredImpossible));
    }

    [Fact]
    public void LostNode_InMaintenance_IsNeitherDownedNorFenced_AndSaidSoOnce()
    {
        var state = Settled().Apply(new NodeMaintenance(N(3)));

        var first = DcRound.Decide(Inputs(state, 1, 2));
        var second = DcRound.Decide(Inputs(state, 1, 2) with { LostInMaintenance = first.LostInMaintenance });

        Assert.Empty(first.Events);
        Assert.Empty(first.Fences);
        Assert.Equal(new DcNote.LostInMaintenance("node3"), Assert.Single(first.Notes));
        Assert.Equal([N(3)], first.LostInMaintenance);
        Assert.Empty(second.Notes);
    }

    [Fact]
    public void AllMembersPresent_Settled_DecidesNothing()
    {
        var decision = DcRound.Decide(Inputs(Settled(), 1, 2, 3));

        Assert.Empty(decision.Events);
        Assert.Empty(decision.Fences);
        Assert.Empty(decision.WakeUps);
    }

    [Fact]
    public void Address_OnADownedAndFencedNode_IsReleasedAndTakenByAnUpMember()
    {
        var state = Settled().ApplyAll([
            new RecoveryStarted(N(1)), new IpTaken("eth0", Address.Ip, 24, N(3)), new IpReallocated(), new RecoveryCompleted(),
            new NodeDown(N(3), "lost"), new FenceRequested(N(3), N(1), "lost"), new FenceSucceeded(N(3), "pdu")]);
        Assert.Equal(NodeState.Fenced, state.StateOf(N(3)));

        var decision = DcRound.Decide(Inputs(state, 1, 2) with { PublicAddresses = [Address] });

        Assert.IsType<RecoveryStarted>(decision.Events[0]);
        Assert.Equal(new IpReleased("eth0", Address.Ip, 24, N(3)), decision.Events[1]);
        var take = Assert.IsType<IpTaken>(decision.Events[2]);
        Assert.Contains(take.Node, new[] { N(1), N(2) });
    }

    [Fact]
    public void Address_OnADownedNodeNotYetFenced_DoesNotMove()
    {
        var state = Settled().ApplyAll([
            new RecoveryStarted(N(1)), new IpTaken("eth0", Address.Ip, 24, N(3)), new IpReallocated(), new RecoveryCompleted(),
            new NodeDown(N(3), "lost"), new FenceRequested(N(3), N(1), "lost")]);

        var decision = DcRound.Decide(Inputs(state, 1, 2) with { PublicAddresses = [Address] });

        Assert.DoesNotContain(decision.Events, e => e is IpTaken or IpReleased);
    }

    [Fact]
    public void Address_ConfiguredAndFree_IsTakenInACtdbRound()
    {
        var decision = DcRound.Decide(Inputs(Settled(), 1, 2, 3) with { PublicAddresses = [Address] });

        Assert.Equal([typeof(RecoveryStarted), typeof(IpTaken)], decision.Events.Select(e => e.GetType()));
    }

    [Fact]
    public void PriorityDelay_TwoHosts_TheLighterDcWaitsBeforeFencing_AndSaysSoOnce()
    {
        var two = ClusterState.Empty.ApplyAll(PathTo(1, NodeState.Up)).ApplyAll(PathTo(2, NodeState.Up)).Apply(new DcChanged(N(1)))
            .ApplyAll([new RecoveryStarted(N(1)), new IpTaken("eth0", Address.Ip, 24, N(2)), new IpReallocated(), new RecoveryCompleted(),
                new NodeDown(N(2), "lost"), new FenceRequested(N(2), N(1), "lost")]);
        var inputs = Inputs(two, 1) with
        {
            Configured = [N(1), N(2)],
            Fencing = new DcFencingInputs
            {
                Policy = new FencingPolicy { PriorityDelay = TimeSpan.FromSeconds(15) },
                RequestAt = ImmutableDictionary<NodeId, long>.Empty.Add(N(2), 9),
            },
        };

        var decision = DcRound.Decide(inputs);
        var later = DcRound.Decide(inputs with
        {
            Now = Now.AddSeconds(15),
            Fencing = inputs.Fencing with { NotBefore = decision.NotBefore },
        });

        var wait = Assert.IsType<FenceStep.Wait>(Assert.Single(decision.Fences));
        Assert.Equal(new DcWakeUp("fence-delay-2", TimeSpan.FromSeconds(15)), wait.WakeUp);
        Assert.IsType<DcNote.PriorityDelay>(Assert.Single(decision.Notes));
        Assert.IsType<FenceStep.Start>(Assert.Single(later.Fences));
        Assert.Empty(later.Notes);
    }

    [Fact]
    public void Decide_SameInputs_SameDecision()
    {
        var inputs = Inputs(Settled(), 1, 2) with { PublicAddresses = [Address] };

        Assert.Equal(DcRound.Decide(inputs).Events.ToArray(), DcRound.Decide(inputs).Events.ToArray());
    }
}
