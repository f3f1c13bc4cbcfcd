using System.Collections.Immutable;
using Haven.Actors.Coordinator;
using Haven.Actors.Membership;
using Haven.Actors.Runtime;
using Microsoft.Extensions.Logging;

namespace Haven.Actors.Cluster;

/// <summary>
/// The link to the DC: the <see cref="CoordinatorActor"/> child decides (membership, fencing, CTDB-style recovery,
/// VMs) while this host is the DC; this actor asks it for rounds, tells it the facts after every applied batch, and
/// replicates what it proposes while the facts it was decided on are still this actor's (docs/cluster.md).
/// </summary>
public sealed partial class ClusterActor
{
    private int _proposalsInFlight;
    private bool _heuristicsReportPending;
    private IActorRef? _coordinator;
    private long _coordinators;
    private long _stateVersion; // every state this actor held: one per applied event or installed snapshot
    private long _round;
    private long? _roundAsked;
    private bool _roundAgain;
    private readonly List<IClusterEvent> _appliedForDc = [];
    private bool IsDc => _role == PartitionRole.Primary && _viewSynced && DcOfView() == Me;

    private void ResetProposals()
    {
        _proposalsInFlight = 0;
        _heuristicsReportPending = false;
        _healthReportPending = false;
        _coordinator?.Tell(new DcViewChanged(Facts()), Self);
    }

    private void OwnProposalDelivered()
    {
        if (_proposalsInFlight > 0) _proposalsInFlight--;
    }

    private void Propose(IReadOnlyList<IClusterEvent> events)
    {
        if (events.Count == 0) return;
        MulticastEvents(events);
        _proposalsInFlight++;
    }

    /// <summary>One event as itself, several as one <see cref="ReplicateBatch"/> (one multicast, one journal write on every host).</summary>
    private void MulticastEvents(IReadOnlyList<IClusterEvent> events)
    {
        if (events.Count == 1)
        {
            Multicast(events[0]);
            return;
        }
        var records = events.Select(e =>
        {
            var (manifest, payload) = Persistence.Serializer.Serialize(e);
            return new WireRecord(manifest, System.Text.Encoding.UTF8.GetString(payload));
        }).ToImmutableArray();
        Multicast(new ReplicateBatch(records));
    }

    /// <summary>
    /// The DC compares the state with the membership and the configuration and proposes the next batch of events:
    /// this asks the <see cref="CoordinatorActor"/> child for a round on the facts as they are now, and replicates
    /// what it proposes (<see cref="OnDcProposals"/>). The next round starts only once the DC's own proposals have
    /// been delivered, so nothing is proposed twice; one round is asked at a time, and a tick meanwhile asks again after it.
    /// </summary>
    private void Reconcile()
    {
        if (!IsDc)
        {
            RetireCoordinatorUnlessDc();
            return;
        }
        if (_proposalsInFlight > 0) return;
        if (_roundAsked is not null)
        {
            _roundAgain = true;
            return;
        }
        _roundAsked = ++_round;
        CoordinatorRef.Tell(new DecideRound(_round, Facts()), Self);
    }

    /// <summary>What the DC's round and the verdicts on fence outcomes read from this actor.</summary>
    private DcFacts Facts() => new()
    {
        Version = _stateVersion,
        ViewId = _viewId,
        Dc = IsDc,
        State = _state,
        View = _view,
        ViewIds = _viewIds,
        Configured = _configured,
        Nodes = _options.Nodes,
        PublicAddresses = [.. PublicAddressesNow()],
        Restarted = [.. _hellos.Where(h => h.Value.Fresh && !_helloBeforeLeave.Contains(h.Key)).Select(h => h.Key)],
        Policy = FencingPolicyNow(),
        Quorate = QuorateForFencing,
        RequestAt = _fenceRequestAt.ToImmutableDictionary(),
    };

    /// <summary>Decided on the state this actor holds now, in this view, while it is the DC: else it may conflict with what was applied since.</summary>
    private bool Current(long version, long viewId) => IsDc && version == _stateVersion && viewId == _viewId;

    private bool FromCoordinator => _coordinator is not null && Sender.Equals(_coordinator);

    private void OnDcProposals(DcProposals proposals)
    {
        if (!FromCoordinator) return; // a retired coordinator's
        if (proposals.Round == _roundAsked) _roundAsked = null;
        if (proposals.Round == _round && Current(proposals.Version, proposals.ViewId))
        {
            foreach (var batch in proposals.Batches) Propose(batch);
        }
        else
        {
            Log.LogDebug("Dropped the DC round #{Round}: decided on state {Version} of view {ViewId}, the state is {Current} of view {CurrentView}",
                proposals.Round, proposals.Version, proposals.ViewId, _stateVersion, _viewId);
            _coordinator!.Tell(new DcRoundDropped(proposals.Round, proposals.Reproposed), Self);
            _roundAgain = true;
        }
        if (!_roundAgain) return;
        _roundAgain = false;
        Self.Tell(ReconcileTick.Instance, Self);
    }

    /// <summary>
    /// A verdict on a fence outcome is replicated as the DC's proposals are; one reached on stale facts goes back with
    /// the facts of now. Not being the DC, nothing is to be proposed: a verdict proposing nothing is then right.
    /// </summary>
    private void OnDcOutcome(DcOutcomeProposal proposal)
    {
        if (!FromCoordinator) return;
        if (Current(proposal.Version, proposal.ViewId) || (proposal.Events.IsEmpty && !IsDc))
        {
            Propose(proposal.Events);
            _coordinator!.Tell(new DcOutcomeAccepted(proposal.Outcome), Self);
        }
        else
        {
            _coordinator!.Tell(new DcOutcomeDropped(proposal.Outcome, Facts()), Self);
        }
    }

    /// <summary>The DC's child, created at the first round this host decides as DC.</summary>
    private IActorRef CoordinatorRef => _coordinator ??= Context.ActorOf(
        CoordinatorActor.Props(Me, Facts(), _options.FenceRetryDelay, _deps.Fencer, _deps.SelfReboot, VmServices), $"coordinator-{++_coordinators}");

    /// <summary>
    /// The coordinator lives while this host is the DC. Between views (the partition not decided yet) it stays, with
    /// nothing in flight: what it remembers of its fences serves the next view it is DC of. Once another host is the
    /// DC, this side demoted or this host left, it is stopped, and its fence actor with it.
    /// </summary>
    private void RetireCoordinatorUnlessDc()
    {
        if (_coordinator is null) return;
        if (!(_left || _role == PartitionRole.Minority || (_role == PartitionRole.Primary && _viewSynced && DcOfView() != Me))) return;
        Log.LogInformation("Node {Node} is no longer the DC: its coordinator stops", _options.Self.Name);
        Context.Stop(_coordinator);
        _coordinator = null;
        _roundAsked = null;
        _roundAgain = false;
        _appliedForDc.Clear();
    }

    /// <summary>After an applied batch: the coordinator's bookkeeping follows the events, on the new state's facts.</summary>
    private void TellCoordinatorApplied()
    {
        if (_coordinator is null || _appliedForDc.Count == 0) return;
        _coordinator.Tell(new DcApplied([.. _appliedForDc], Facts()), Self);
        _appliedForDc.Clear();
    }

    private string NameOf(NodeId id) => DcRound.NameOf(_options.Nodes, _state, id);
}
