using System.Collections.Immutable;
using Haven.Actors.Cluster;
using Haven.Actors.Coordinator;
using Haven.Actors.Fencing;
using Haven.Actors.Membership;
using Haven.Actors.Runtime;
using Haven.Actors.Vms;
using Haven.TestKit;
using static Haven.Actors.Tests.Cluster.ClusterTestEvents;

namespace Haven.Actors.Tests.Coordinator;

/// <summary>
/// The DC's child on virtual time, under a parent that hands a probe what it sends: its proposals name the facts they
/// were decided on, a fence outcome's verdict is kept only once accepted, and a verdict dropped as stale is reached
/// again on the facts the drop carries.
/// </summary>
public sealed class CoordinatorActorTests : HavenTestKit
{
    private static readonly ImmutableArray<Member> Nodes = [new Member(N(1), "node1"), new Member(N(2), "node2"), new Member(N(3), "node3")];
    private readonly CountingFencer _fencer = new();

    /// <summary>Three Up nodes, n1 the DC, n3 lost from the view.</summary>
    private static ClusterState Settled() => ThreeUp().Apply(new DcChanged(N(1)));

    private static DcFacts Facts(ClusterState state, long version, long requestAt = 0) => new()
    {
        Version = version,
        ViewId = 7,
        Dc = true,
        State = state,
        View = [Nodes[0], Nodes[1]],
        ViewIds = [N(1), N(2)],
        Configured = [N(1), N(2), N(3)],
        Nodes = Nodes,
        RequestAt = requestAt == 0 ? ImmutableDictionary<NodeId, long>.Empty : ImmutableDictionary<NodeId, long>.Empty.Add(N(3), requestAt),
    };

    /// <summary>n3 downed, its fence requested at stream position 42.</summary>
    private static ClusterState FenceOpen() => Settled().ApplyAll(DcRound.Decide(new DcInputs
    {
        State = Settled(), Self = N(1), View = [Nodes[0], Nodes[1]], ViewIds = [N(1), N(2)], Configured = [N(1), N(2), N(3)], Nodes = Nodes,
        Now = DateTimeOffset.UnixEpoch,
    }).Events);

    private (IActorRef Parent, TestProbe Cluster) Start()
    {
        var cluster = CreateTestProbe("cluster");
        var child = CoordinatorActor.Props(N(1), Facts(Settled(), 1), TimeSpan.FromSeconds(10), _fencer, null,
            new VmServices(new Dictionary<string, IHypervisor>()));
        return (ActorOf(Haven.Actors.Runtime.Props.Create(() => new ParentOf(child, cluster.Ref)), "cluster-actor"), cluster);
    }

    [Fact]
    public void DecideRound_LostNode_ProposesTheRoundsEventsNamingTheFactsVersionAndView()
    {
        var (parent, cluster) = Start();

        cluster.Send(parent, new DecideRound(1, Facts(Settled(), 5)));
        RunUntilIdle();

        var proposals = cluster.ExpectMsg<DcProposals>();
        Assert.Equal((1L, 5L, 7L), (proposals.Round, proposals.Version, proposals.ViewId));
        Assert.Equal([typeof(NodeUnreachable), typeof(NodeDown), typeof(FenceRequested)], Assert.Single(proposals.Batches).Select(e => e.GetType()));
    }

    [Fact]
    public void FenceOutcome_VerdictAccepted_ALostConfirmationIsProposedAgainWithoutFencingTwice()
    {
        var (parent, cluster) = Start();
        cluster.Send(parent, new DecideRound(1, Facts(FenceOpen(), 9, requestAt: 42)));
        RunUntilIdle();
        Assert.Empty(cluster.ExpectMsg<DcProposals>().Batches);
        var verdict = cluster.ExpectMsg<DcOutcomeProposal>();
        Assert.Equal(new FenceSucceeded(N(3), "pdu1", 0), Assert.Single(verdict.Events));
        Assert.Equal(9, verdict.Version);

        cluster.Send(parent, new DcOutcomeAccepted(verdict.Outcome));
        cluster.Send(parent, new DcViewChanged(Facts(FenceOpen(), 9, requestAt: 42))); // the FenceSucceeded was lost with the view
        cluster.Send(parent, new DecideRound(2, Facts(FenceOpen(), 9, requestAt: 42)));
        RunUntilIdle();

        var again = cluster.ExpectMsg<DcProposals>();
        Assert.Equal(new FenceSucceeded(N(3), "pdu1", 0), Assert.Single(Assert.Single(again.Batches)));
        Assert.Equal(N(3), Assert.Single(again.Reproposed));
        Assert.Equal(1, _fencer.Calls);
    }

    [Fact]
    public void OperatorConfirmation_WhileALostConfirmationIsReproposed_ALaterRequestIsFenced()
    {
        var (parent, cluster) = Start();
        cluster.Send(parent, new DecideRound(1, Facts(FenceOpen(), 9, requestAt: 42)));
        RunUntilIdle();
        cluster.ExpectMsg<DcProposals>();
        cluster.Send(parent, new DcOutcomeAccepted(cluster.ExpectMsg<DcOutcomeProposal>().Outcome));
        cluster.Send(parent, new DcViewChanged(Facts(FenceOpen(), 9, requestAt: 42))); // the FenceSucceeded was lost
        cluster.Send(parent, new DecideRound(2, Facts(FenceOpen(), 9, requestAt: 42)));
        RunUntilIdle();
        Assert.Equal(N(3), Assert.Single(cluster.ExpectMsg<DcProposals>().Reproposed));

        // the operator's `haven fence confirm` closes the request before the re-proposal lands (it is then skipped)
        cluster.Send(parent, new DcApplied([new FenceConfirmed(N(3), N(1), "operator")], Facts(Settled(), 11)));
        cluster.Send(parent, new DecideRound(3, Facts(FenceOpen(), 14, requestAt: 60))); // n3 lost again: a new request
        RunUntilIdle();

        cluster.ExpectMsg<DcProposals>();
        Assert.Equal(60, cluster.ExpectMsg<DcOutcomeProposal>().Outcome.RequestAt);
        Assert.Equal(2, _fencer.Calls);
    }

    [Fact]
    public void FenceOutcome_NotAcceptedYet_TheNextRoundDoesNotStartTheFenceAgain()
    {
        var (parent, cluster) = Start();
        cluster.Send(parent, new DecideRound(1, Facts(FenceOpen(), 9, requestAt: 42)));
        RunUntilIdle();
        cluster.ExpectMsg<DcProposals>();
        cluster.ExpectMsg<DcOutcomeProposal>();

        cluster.Send(parent, new DecideRound(2, Facts(FenceOpen(), 10, requestAt: 42)));
        RunUntilIdle();

        Assert.Empty(cluster.ExpectMsg<DcProposals>().Batches);
        Assert.Equal(1, _fencer.Calls);
    }

    [Fact]
    public void FenceOutcome_DroppedAndTheRequestSupersededMeanwhile_ProposesNothingAndKeepsNoConfirmation()
    {
        var (parent, cluster) = Start();
        cluster.Send(parent, new DecideRound(1, Facts(FenceOpen(), 9, requestAt: 42)));
        RunUntilIdle();
        cluster.ExpectMsg<DcProposals>();
        var stale = cluster.ExpectMsg<DcOutcomeProposal>();

        cluster.Send(parent, new DcOutcomeDropped(stale.Outcome, Facts(FenceOpen(), 12, requestAt: 50))); // a later request for n3
        RunUntilIdle();
        var again = cluster.ExpectMsg<DcOutcomeProposal>();
        Assert.Equal(12, again.Version);
        Assert.Empty(again.Events);

        cluster.Send(parent, new DcOutcomeAccepted(again.Outcome));
        RunUntilIdle();
        cluster.ExpectMsg<DcRoundDue>(); // the attempt ended with nothing replicated: a round starts the open request
        cluster.Send(parent, new DecideRound(2, Facts(FenceOpen(), 12, requestAt: 50)));
        RunUntilIdle();
        Assert.Empty(cluster.ExpectMsg<DcProposals>().Batches); // the later request is fenced, not answered by the old confirmation
        Assert.Equal(new FenceSucceeded(N(3), "pdu1", 0), Assert.Single(cluster.ExpectMsg<DcOutcomeProposal>().Events));
        Assert.Equal(2, _fencer.Calls);
    }

    [Fact]
    public void FenceOutcome_IgnoredAfterARoundSkippedTheLaterRequestForIt_AsksForTheRoundThatStartsIt()
    {
        // An attempt for request #42 is under way when #42 closes and #50 opens (a new DC re-asking a fence its
        // predecessor saw fail): the round on #50 skips n3 as in flight; the attempt's outcome answers #42, is ignored and
        // replicates nothing — no applied event follows, so the coordinator itself must ask for the round that fences #50.
        var (parent, cluster) = Start();
        cluster.Send(parent, new DecideRound(1, Facts(FenceOpen(), 9, requestAt: 42)));
        RunUntilIdle();
        cluster.ExpectMsg<DcProposals>();
        var stale = cluster.ExpectMsg<DcOutcomeProposal>();
        cluster.Send(parent, new DecideRound(2, Facts(FenceOpen(), 12, requestAt: 50)));
        RunUntilIdle();
        Assert.Empty(cluster.ExpectMsg<DcProposals>().Batches); // n3 is in flight: not started again
        cluster.ExpectNoMsg(TimeSpan.Zero);

        cluster.Send(parent, new DcOutcomeDropped(stale.Outcome, Facts(FenceOpen(), 12, requestAt: 50)));
        RunUntilIdle();
        var ignored = cluster.ExpectMsg<DcOutcomeProposal>();
        Assert.Empty(ignored.Events);
        cluster.Send(parent, new DcOutcomeAccepted(ignored.Outcome));
        RunUntilIdle();

        cluster.ExpectMsg<DcRoundDue>();
        cluster.Send(parent, new DecideRound(3, Facts(FenceOpen(), 12, requestAt: 50)));
        RunUntilIdle();
        cluster.ExpectMsg<DcProposals>();
        var fenced = cluster.ExpectMsg<DcOutcomeProposal>();
        Assert.Equal(50, fenced.Outcome.RequestAt);
        Assert.Equal(new FenceSucceeded(N(3), "pdu1", 0), Assert.Single(fenced.Events));
        Assert.Equal(2, _fencer.Calls);
    }

    /// <summary>Creates the coordinator as its child; what the child sends goes to the probe, what anyone else sends goes to the child.</summary>
    private sealed class ParentOf : Actor
    {
        public ParentOf(Props child, IActorRef probe)
        {
            var coordinator = Context.ActorOf(child, "coordinator-1");
            ReceiveAny(m =>
            {
                if (Sender.Equals(coordinator)) probe.Tell(m, Self);
                else coordinator.Tell(m, Self);
            });
        }
    }

    private sealed class CountingFencer : IFencer
    {
        public int Calls { get; private set; }

        public Task<FenceResult> FenceAsync(FenceTarget target, CancellationToken cancellationToken)
        {
            Calls++;
            return Task.FromResult(new FenceResult(true, "pdu1", "off"));
        }
    }
}
