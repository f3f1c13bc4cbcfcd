using System.Collections.Immutable;
using Haven.Actors.Membership;
using Haven.Actors.Runtime;
using Microsoft.Extensions.Logging;

namespace Haven.Actors.Cluster;

/// <summary>
/// What the DC decides (membership, fencing, CTDB-style recovery), what every host does locally when an
/// event names it, demotion, and the reconciliation of local facts after a rejoin.
/// </summary>
public sealed partial class ClusterActor
{
    private int _proposalsInFlight;
    private bool _heuristicsReportPending;
    private bool IsDc => _role == PartitionRole.Primary && _viewSynced && DcOfView() == Me;

    private void ResetProposals()
    {
        _proposalsInFlight = 0;
        _heuristicsReportPending = false;
        _healthReportPending = false;
        _fencing.Clear();
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
    /// The DC compares the state with the membership and the configuration and proposes the next batch
    /// of events. Each batch is checked against a scratch copy of the state, and the next round starts
    /// only once the DC's own proposals have been delivered, so nothing is proposed twice.
    /// </summary>
    private void Reconcile()
    {
        if (!IsDc || _proposalsInFlight > 0) return;
        var now = Context.System.TimeProvider.GetUtcNow();
        var plan = new Plan(_state);
        foreach (var member in _view.Where(m => _configured.Contains(m.Id))) JoinIfNeeded(plan, member, now); // an unknown node waits for the node list
        if (plan.State.StateOf(Me) == NodeState.Up && plan.State.Dc != Me) plan.Add(new DcChanged(Me));
        foreach (var id in KnownOrUnclean(plan.State).Where(n => !_viewIds.Contains(n)).ToList()) DownIfLost(plan, id, now);
        ReportLostInMaintenance(plan.State);
        RecoverResources(plan);
        RecoverVms(plan);
        if (plan.Events.Count > 0) Propose(plan.Events);
        StartFencing();
    }

    /// <summary>
    /// A member of the view joins unless it is Down: a downed node that is still (or again) reachable was
    /// never confirmed off, so it is fenced first and rejoins after its restart (Pacemaker's unclean node).
    /// </summary>
    private void JoinIfNeeded(Plan plan, Member member, DateTimeOffset now)
    {
        var state = plan.State.StateOf(member.Id);
        // A lost host that returns is readmitted once it has proved what it holds (ClusterActor.Rejoin.cs): after
        // its fence, or, when fencing it is impossible, without one.
        if (MayReadmit(plan.State, member.Id)) plan.Add(new NodeJoined(member.Id, member.Name));
        else if (state == NodeState.Down || plan.State.PendingFences.ContainsKey(member.Id))
        {
            RequestFence(plan, member.Id, now, "downed while still a member: it must be confirmed off before it rejoins");
            return;
        }
        state = plan.State.StateOf(member.Id);
        // A node that left (or is leaving) comes back only by restarting: its new incarnation never asked to leave
        // and says so in a Hello sent after its NodeLeaving (one sent before is stale).
        var restarted = _hellos.GetValueOrDefault(member.Id)?.Fresh == true && !_helloBeforeLeave.Contains(member.Id);
        var mayRejoin = state switch
        {
            null => true,
            NodeState.Left => restarted,
            _ => false,
        };
        if (mayRejoin) plan.Add(new NodeJoined(member.Id, member.Name));
        // A leaving host that restarted before it left is a member again (an operator leaves again with haven cluster leave).
        if (state == NodeState.Leaving && restarted) plan.Add(new NodeUp(member.Id));
        if (plan.State.StateOf(member.Id) is NodeState.Joining or NodeState.Unreachable) plan.Add(new NodeUp(member.Id));
    }

    private void DownIfLost(Plan plan, NodeId id, DateTimeOffset now)
    {
        var state = plan.State.StateOf(id);
        // A member of a primary partition whose joins this stream never received may hold anything: down it, then fence it.
        if (state is null && plan.State.PrimaryMembers.Contains(id)
            && plan.Add(new NodeDown(id, "lost from the membership; it was a member of a primary partition this stream saw only in part", NameOf(id))))
            state = NodeState.Down;
        if (state is null or NodeState.Fenced or NodeState.Left or NodeState.Maintenance) return; // maintenance: never fenced
        if (state != NodeState.Down)
        {
            if (state != NodeState.Unreachable) plan.Add(new NodeUnreachable(id));
            plan.Add(new NodeDown(id, "lost from the membership; the split-brain resolver kept the other side"));
        }
        RequestFence(plan, id, now, "lost from the primary partition");
    }

    // ---- local side effects -------------------------------------------------------------------

    /// <summary>Only the host an event names acts on it; replay never acts.</summary>
    private void LocalEffects(ClusterState before, IClusterEvent e)
    {
        switch (e)
        {
            case NodeUp u when u.Node == Me:
                ReassertAddresses();
                break;
            case HeuristicsChanged h when h.Node == Me:
                _heuristicsReportPending = false;
                break;
            case NodeUnhealthy u when u.Node == Me:
                _healthReportPending = false;
                break;
            case NodeHealthy h when h.Node == Me:
                _healthReportPending = false;
                ReassertAddresses();
                break;
            case FenceSucceeded f:
                // The request is closed: nothing is in flight for it any more, also when this DC only re-proposed a
                // confirmation it had (which, unlike a fence, has no outcome to clear it) — else a later request
                // for the same node is never started by this DC.
                _fenceConfirmed.Remove(f.Target);
                _fencing.Remove(f.Target);
                break;
            case FenceConfirmed f: // the operator's word closes the request: nothing of it is retried or re-proposed
                _fenceConfirmed.Remove(f.Target);
                _fenceRetryAt.Remove(f.Target);
                _fenceNotBefore.Remove(f.Target);
                _fenceImpossible.Remove(f.Target);
                break;
            case NodeJoined j: // a later loss of the node is journaled afresh
                _fenceImpossible.Remove(j.Node);
                break;
            case IpTaken t when t.Node == Me:
                Take(new PublicAddress(t.Ip, t.Mask, t.Interface), 0, ProbeFor(before, t.Ip));
                break;
            case IpReleased r when r.Node == Me && before.Ips.ContainsKey(r.Ip):
                Effect(_deps.Addresses.ReleaseAsync(new PublicAddress(r.Ip, r.Mask, r.Interface), CancellationToken.None), $"release {r.Ip}");
                break;
            case NodeLeft l when l.Node == Me:
                _left = true;
                _role = PartitionRole.Joining;
                _ = _deps.Transport.LeaveAsync();
                ShutdownLeft();
                break;
        }
        VmLocalEffects(before, e);
    }

    private void Effect(Task task, string what) =>
        task.ContinueWith(t => Log.LogError(t.Exception?.GetBaseException(), "Could not {Action}", what),
            CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted | TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);

    /// <summary>
    /// This side lost: release what the no-quorum-policy says (addresses unless ignore, VMs for stop, demote and fence:
    /// see DemoteVms), remember it locally, decide nothing. The watchdog hears Demoted once all of it is released.
    /// </summary>
    private void Demote(string reason)
    {
        var already = _role == PartitionRole.Minority;
        _role = PartitionRole.Minority;
        ResetProposals();
        if (already) return;
        Log.LogWarning("Node {Node} demotes: its side lost the split-brain decision ({Reason})", _options.Self.Name, reason);
        var maintenance = _state.StateOf(Me) == NodeState.Maintenance;
        if (maintenance) Log.LogWarning("Node {Node} is in maintenance: it keeps its addresses while demoted", _options.Self.Name);
        var policy = _options.SplitBrain.NoQuorumPolicy;
        var held = maintenance || policy == SplitBrain.NoQuorumPolicy.Ignore ? [] : _state.IpsOf(Me).ToList();
        _deps.SelfFence?.Demoting();
        var demotion = DemoteVms(policy, reason);
        var facts = new List<ILocalFact> { new DemotedLocally(reason) };
        facts.AddRange(held.Select(a => new ReleasedLocally(a.Interface, a.Ip, a.Mask)));
        var releases = new List<Task>();
        var last = facts[^1];
        var self = Self;
        PersistAll(facts, f =>
        {
            _unreconciled.Add(f);
            if (f is ReleasedLocally r)
            {
                var release = _deps.Addresses.ReleaseAsync(new PublicAddress(r.Ip, r.Mask, r.Interface), CancellationToken.None);
                Effect(release, $"release {r.Ip}");
                releases.Add(release);
            }
            if (!ReferenceEquals(f, last)) return;
            // The watchdog may stop resetting this host only once everything it held is really gone; a
            // release that fails leaves the demotion unfinished, and the watchdog resets the host.
            Task.WhenAll(releases).ContinueWith(t =>
                {
                    if (t.IsCompletedSuccessfully) self.Tell(new AddressesReleasedOnDemotion(demotion), self);
                },
                CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        });
    }

    /// <summary>What this host did while demoted stays in its journal; the state is whole again once it is primary.</summary>
    private void MarkLocalFactsReconciled() =>
        Persist(new LocalFactsReconciled(_unreconciled.Count), f => _unreconciled.RemoveRange(0, Math.Min(f.Count, _unreconciled.Count)));

    private string NameOf(NodeId id) => _options.Nodes.FirstOrDefault(n => n.Id == id)?.Name ?? _state.Nodes.GetValueOrDefault(id)?.Name ?? $"node-{id.Value}";

    /// <summary>A batch of events, each checked against the state the ones before it produce.</summary>
    private sealed class Plan(ClusterState state)
    {
        public ClusterState State { get; private set; } = state;
        public List<IClusterEvent> Events { get; } = [];

        /// <summary>Adds <paramref name="e"/> when it applies; false (and nothing added) when the state rejects it.</summary>
        public bool Add(IClusterEvent e)
        {
            if (!State.TryApply(e, out var next, out _)) return false;
            State = next;
            Events.Add(e);
            return true;
        }
    }
}
