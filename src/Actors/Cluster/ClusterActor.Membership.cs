using System.Collections.Immutable;
using System.Text;
using Haven.Actors.Membership;
using Haven.Actors.Persistence;
using Haven.Actors.SplitBrain;
using Microsoft.Extensions.Logging;

namespace Haven.Actors.Cluster;

/// <summary>Membership changes, Hellos, sync, the split-brain decision, and applying replicated events.</summary>
public sealed partial class ClusterActor
{
    private void OnMembershipChanged(MembershipChanged change)
    {
        if (_left || !change.Contains(Me)) return;
        var now = Context.System.TimeProvider.GetUtcNow();
        _view = change.Members.Select(Named).OrderBy(m => m.Id).ToImmutableArray();
        _viewIds = _view.Select(m => m.Id).ToImmutableArray();
        _viewId = change.ViewId;
        if (_role == PartitionRole.Primary) _role = PartitionRole.Joining; // acts on nothing until the resolver decides again
        _hellos.Clear();
        _helloBeforeLeave.Clear();
        _buffered.Clear();
        _viewSynced = false;
        _awaitingSync = false;
        _decidedThisView = false;
        _holdingsSent = null;
        ResetProposals();
        AbandonSettingChecks();
        _tracker = _tracker is null ? _options.SplitBrain.CreateTracker(now) : _tracker.MembershipChanged(now);
        Log.LogInformation("Membership of {Cluster} changed: members {Members}; left {Left}; joined {Joined}",
            _options.ClusterName, string.Join(",", _view.Select(m => m.Name)),
            string.Join(",", change.Left.Select(l => $"{l.Member.Name}({l.Reason})")),
            string.Join(",", change.Joined.Select(j => $"{j.Member.Name}({j.Reason})")));
        Multicast(new Hello(_viewId, _viewIds, _role, _state.Epoch, _stream.Count, _stream.Digest, Fresh: !_leaveRequested));
        Timers.StartSingleTimer("stable", CheckStable.Instance, Until(_tracker.StableAt));
        Notify();
    }

    private void OnDelivered(NodeId sender, byte[] bytes)
    {
        WireEnvelope envelope;
        object message;
        try
        {
            envelope = WireEnvelope.Decode(bytes);
            message = Persistence.Serializer.Deserialize(new JournalEntry("wire", envelope.Sequence, envelope.Type, envelope.Body, default, []));
        }
        catch (Exception e) when (e is WireFormatException or RecoveryFailedException)
        {
            Log.LogError("Refused a message from node {Sender}: {Reason}", sender.Value, e.Message);
            return;
        }
        Handle(sender, envelope, message);
    }

    private void Handle(NodeId sender, WireEnvelope envelope, object message)
    {
        switch (message)
        {
            case Hello hello:
                OnHello(sender, hello);
                break;
            case SyncOffer offer:
                OnSyncOffer(offer);
                break;
            case SnapshotOffer offer:
                OnSnapshotOffer(offer);
                break;
            case PartitionDecided decided:
                OnPartitionDecided(decided);
                break;
            case MoveAddressRequest move:
                OnMoveAddressRequest(move);
                break;
            case SettingCheckRequest check:
                OnSettingCheckRequest(sender, check);
                break;
            case SettingCheckAnswer answer:
                OnSettingCheckAnswer(sender, answer);
                break;
            case IClusterEvent e:
                if (sender == Me) OwnProposalDelivered();
                if (_awaitingSync) _buffered.Add((sender, envelope));
                else if (_role == PartitionRole.Primary && _viewSynced) Replicate([e]);
                break;
            case ReplicateBatch batch:
                if (sender == Me) OwnProposalDelivered();
                if (_awaitingSync) _buffered.Add((sender, envelope));
                else if (_role == PartitionRole.Primary && _viewSynced)
                    Replicate(batch.Events.Select(r => (IClusterEvent)Persistence.Serializer.Deserialize(
                        new JournalEntry("wire", envelope.Sequence, r.Manifest, Encoding.UTF8.GetBytes(r.Payload), default, []))).ToList());
                break;
            default:
                Log.LogWarning("Ignored a {Type} from node {Sender}: not a cluster message", envelope.Type, sender.Value);
                break;
        }
    }

    private void OnHello(NodeId sender, Hello hello)
    {
        if (!InThisView(hello.ViewId, hello.View) || !_viewIds.Contains(sender)) return; // from another view
        _hellos[sender] = hello;
        if (_hellos.Count < _viewIds.Length) return;

        // Every member now knows where every history stands, at the same point of the stream.
        // The source holds the latest history: the latest primary epoch first, then the longest stream.
        var source = _hellos.OrderByDescending(h => h.Value.Epoch).ThenByDescending(h => h.Value.Index).ThenBy(h => h.Key).First();
        var behind = _hellos.Where(h => h.Key != source.Key && !(h.Value.Index == source.Value.Index && h.Value.Digest == source.Value.Digest))
            .Select(h => h.Key).ToImmutableArray();
        if (behind.IsEmpty)
        {
            ViewSynced();
            return;
        }
        if (behind.Contains(Me)) _awaitingSync = true;
        if (source.Key == Me) OfferSync(behind);
    }

    private void OnSyncOffer(SyncOffer offer) =>
        OnOffer(offer.ViewId, offer.View, offer.Targets, offer.FromIndex, offer.FromDigest, null, offer.Records);

    /// <summary>
    /// The primary's history may not give this host what its own did (it applied events alone before it
    /// was lost, or its stream diverged): such addresses may still be on its interfaces, so they go.
    /// </summary>
    private void ReleaseWhatIsNoLongerMine(List<IpAssignment> heldBefore)
    {
        foreach (var a in heldBefore.Where(a => !_state.Ips.TryGetValue(a.Ip, out var now) || now.Node != Me))
        {
            Log.LogWarning("Address {Ip} is no longer this host's in the primary's history; releasing it", a.Ip);
            Release([AddressOf(a)]);
        }
    }

    private void SyncDone()
    {
        _awaitingSync = false;
        Log.LogInformation("Node {Node} is in sync: {Events} replicated events, digest {Digest}", _options.Self.Name, _stream.Count, Short(_stream.Digest));
        ViewSynced();
        var buffered = _buffered.ToList();
        _buffered.Clear();
        foreach (var (sender, envelope) in buffered)
            Handle(sender, envelope, Persistence.Serializer.Deserialize(new JournalEntry("wire", envelope.Sequence, envelope.Type, envelope.Body, default, [])));
    }

    private void ViewSynced()
    {
        if (_viewSynced) return;
        _viewSynced = true;
        _awaitingSync = false;
        if (_viewIds.Length > 1) _caughtUp = true;
        Self.Tell(CheckStable.Instance, Self);
        Notify();
    }

    private void OnCheckStable()
    {
        if (_tracker is null || !_viewSynced || _decidedThisView || _viewIds.IsDefaultOrEmpty || _viewIds.Min() != Me) return;
        var now = Context.System.TimeProvider.GetUtcNow();
        switch (_tracker.Evaluate(now))
        {
            case StabilityVerdict.Waiting waiting:
                Timers.StartSingleTimer("stable", CheckStable.Instance, Until(waiting.Until));
                return;
            case StabilityVerdict.DownAllUnstable unstable:
                Multicast(new PartitionDecided(_viewId, _viewIds, false, true, $"membership unstable for {unstable.UnstableFor.TotalSeconds:0.#} s: down-all-when-unstable"));
                return;
        }
        var view = ResolverView();
        if (HeuristicsDecideTies && !_caughtUp && view.Reachable.Count == view.Unreachable.Count)
        {
            Multicast(new PartitionDecided(_viewId, _viewIds, false, false,
                "a tie, and this side has not been in sync with the others since it started: its view of the heuristics may be stale, so it does not claim the tie"));
            return;
        }
        var decision = _strategy.Decide(view);
        Multicast(new PartitionDecided(_viewId, _viewIds, decision.ThisSideSurvives, decision.Kind == DowningDecisionKind.DownAll,
            $"{_strategy.Name}: {decision.Reason}"));
    }

    /// <summary>
    /// Heuristics break ties only in a two-node cluster, where the two sides are always the same two
    /// nodes. With more nodes, sides of different make-up decide at different times from facts of
    /// different age, and only a static rule (the lowest node id) stays consistent (docs/cluster.md).
    /// </summary>
    private bool HeuristicsDecideTies => _options.SplitBrain.UseIpHeuristics && _configured.Count == 2;

    private bool InThisView(long viewId, ImmutableArray<NodeId> members) => viewId == _viewId && members.SequenceEqual(_viewIds);

    private TimeSpan Until(DateTimeOffset at)
    {
        var delay = at - Context.System.TimeProvider.GetUtcNow();
        return delay > TimeSpan.Zero ? delay : TimeSpan.Zero;
    }

    private SplitBrainView ResolverView()
    {
        // A member the node list does not name yet (added to corosync.conf, not yet adopted here) has no vote.
        var reachable = _viewIds.Where(_configured.Contains).ToImmutableSortedSet();
        var unreachable = _configured.Except(reachable);
        var configured = _options.Nodes
            .Select(n => new ConfiguredNode(n.Id, _state.Nodes.TryGetValue(n.Id, out var info) ? info.JoinOrder : long.MaxValue - 1000 + n.Id.Value))
            .ToImmutableArray();
        bool? heuristics = null, other = null;
        if (HeuristicsDecideTies)
        {
            // Both sides must decide from the same facts: each side's reachability is its lowest node's
            // value in the replicated state, which both sides share up to the split. What either side
            // probed after they parted is not used for this split (docs/cluster.md).
            heuristics = _state.Heuristics.GetValueOrDefault(Me);
            other = unreachable.IsEmpty ? null : _state.Heuristics.GetValueOrDefault(unreachable.Min);
        }
        else if (_options.SplitBrain.UseIpHeuristics)
        {
            heuristics = other = false; // a tie goes to the lowest node id
        }
        return new SplitBrainView(reachable, unreachable, configured, _quorum?.Quorate, heuristics, other);
    }

    private void OnPartitionDecided(PartitionDecided decided)
    {
        if (!InThisView(decided.ViewId, decided.View) || !_viewSynced || _decidedThisView) return;
        _tracker = _tracker?.Decided();
        // Down-all for instability is not final: once the view has been stable again, decide again.
        _decidedThisView = !decided.DownAll;
        if (decided.DownAll && _tracker is not null)
            Timers.StartSingleTimer("stable", CheckStable.Instance, Until(_tracker.StableAt));
        if (decided.Survives)
        {
            var was = _role;
            _role = PartitionRole.Primary;
            // Every member appends the new epoch at this same point of the stream.
            Persist(new PrimaryFormed(_state.Epoch + 1, _viewIds), e =>
            {
                ApplyReplicated(e, sideEffects: false);
                // A leave whose NodeLeft was lost with an earlier view is sent again now: nothing else may follow
                // in this view to prompt it (two leaving hosts hold nothing and propose nothing).
                FinishLeaving();
            });
            Log.LogInformation("Partition {Members} is primary ({Reason})", string.Join(",", _view.Select(m => m.Name)), decided.Reason);
            if (_unreconciled.Count > 0) MarkLocalFactsReconciled();
            if (was != PartitionRole.Primary)
            {
                _releasing.Clear(); // a release multicast in an earlier view was delivered there or not at all (virtual synchrony)
                ReassertAddresses();
            }
            _deps.SelfFence?.Primary();
            _caughtUp = true;
            ReportHeuristics();
            ReportHealthState();
            HandOverAddresses();
            Self.Tell(ReconcileTick.Instance, Self);
        }
        else
        {
            Demote(decided.Reason);
        }
        Notify();
    }

    // ---- applying the replicated stream -------------------------------------------------------

    /// <summary>
    /// Applies delivered events in order: each is checked against the state the ones before it produce
    /// (every member skips the same ones), and the valid ones are journaled in one write.
    /// </summary>
    private void Replicate(IReadOnlyList<IClusterEvent> events)
    {
        var scratch = _state;
        var valid = new List<IClusterEvent>(events.Count);
        foreach (var e in events)
        {
            if (scratch.TryApply(e, out var next, out var reason))
            {
                scratch = next;
                valid.Add(e);
            }
            else
            {
                Log.LogDebug("Skipped {Event}: {Reason}", e, reason);
                SettingsSkipped(e, reason);
                OwnReportSkipped(e);
            }
        }
        if (valid.Count == 0)
        {
            AfterApply();
            return;
        }
        var last = valid[^1];
        PersistAll(valid, applied =>
        {
            ApplyReplicated(applied, sideEffects: true);
            if (ReferenceEquals(applied, last)) AfterApply();
        });
    }

    /// <summary>The state takes <paramref name="e"/> as it is now (a report the state would skip is not sent: it waits for the next applied batch).</summary>
    private bool WouldApply(IClusterEvent e) => _state.TryApply(e, out _, out _);

    /// <summary>
    /// One of this host's own reports was skipped (the state changed between sending and delivery): it is no longer in
    /// flight, so the report is made again, of the state as it is, after this batch — a pending mark left set would
    /// silence that report until the next view change (swarm seed 451278801: NodeHealthy skipped while a fence request was
    /// open, the host stayed Unhealthy for ever).
    /// </summary>
    private void OwnReportSkipped(IClusterEvent e)
    {
        OwnReportLanded(e);
        if (e is NodeHoldings r && r.Node == Me && r.Equals(_holdingsSent)) _holdingsSent = null;
    }

    /// <summary>This host's own health or heuristics report was delivered, applied or skipped: it is no longer pending.</summary>
    private void OwnReportLanded(IClusterEvent e)
    {
        switch (e)
        {
            case NodeHealthy h when h.Node == Me:
            case NodeUnhealthy u when u.Node == Me:
                _healthReportPending = false;
                break;
            case HeuristicsChanged c when c.Node == Me:
                _heuristicsReportPending = false;
                break;
        }
    }

    private void ApplyReplicated(IClusterEvent e, bool sideEffects)
    {
        if (!_state.TryApply(e, out var next, out var reason))
        {
            // Only records validated by the primary reach here; a refusal means this host's state went
            // astray. Keep the record (the stream stays identical) and say so loudly.
            Log.LogError("Replicated event {Event} does not apply to this host's state: {Reason}", e, reason);
            next = _state;
        }
        var (manifest, payload) = Persistence.Serializer.Serialize(e);
        _stream.Append(manifest, payload);
        var before = _state;
        _state = next;
        _stateVersion++;
        if (e is FenceRequested requested) _fenceRequestAt[requested.Target] = _stream.Count;
        // Journaled (this runs in a Persist continuation): wake the event-script delivery and other followers.
        if (!IsRecovering) Context.System.EventStream.Publish(new Events.ClusterEventApplied(LastSequenceNr, before, e));
        if (!sideEffects) return; // replay and sync: records of earlier views
        // Multicast in this view: the node's Hello of this view was sent before it (sync brings older views' records).
        if (e is NodeLeaving leaving) _helloBeforeLeave.Add(leaving.Node);
        Log.LogInformation("Cluster event #{Index}: {Event}", _stream.Count, e);
        LocalEffects(before, e);
        SettingsApplied(e);
    }

    private void AfterApply()
    {
        ReportHoldings();
        ReportHeuristics();
        ReportHealthState();
        HandOverAddresses();
        FinishLeaving();
        MaybeSnapshot();
        Notify();
        TellCoordinatorApplied();
        Self.Tell(ReconcileTick.Instance, Self);
    }
}
