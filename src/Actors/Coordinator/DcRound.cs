using System.Collections.Immutable;
using Haven.Actors.Cluster;
using Haven.Actors.FloatingIps;
using Haven.Actors.Membership;

namespace Haven.Actors.Coordinator;

/// <summary>
/// What the DC decides in one round, as a pure function of <see cref="DcInputs"/>: joins and downs, the fencing of
/// lost and unclean nodes, CTDB-style address recovery (takeip, releaseip) and the VMs' placement. The ClusterActor
/// gathers the facts; its child <see cref="CoordinatorActor"/> calls <see cref="Decide"/>, carries out the <see cref="DcDecision"/>
/// and sends back the events to replicate (CoordinatorActor.cs, ClusterActor.Coordinator.cs).
/// Each event is checked against the state the ones before it produce (<see cref="Plan"/>), so nothing is proposed
/// that would not apply.
/// </summary>
public static partial class DcRound
{
    public static DcDecision Decide(DcInputs inputs)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        var round = new Round(inputs);
        var plan = round.Plan;
        var me = inputs.Self;
        foreach (var member in inputs.View.Where(m => inputs.Configured.Contains(m.Id))) round.JoinIfNeeded(member); // an unknown node waits for the node list
        if (plan.State.StateOf(me) == NodeState.Up && plan.State.Dc != me) plan.Add(new DcChanged(me));
        foreach (var id in KnownOrUnclean(inputs, plan.State).Where(n => !inputs.ViewIds.Contains(n)).ToList()) round.DownIfLost(id);
        round.ReportLostInMaintenance();
        round.RecoverResources();
        round.RecoverVms();
        round.StartFencing();
        return round.Decision();
    }

    /// <summary>
    /// The nodes the DC treats as lost when not in the view: the node list's, and a removed node that is not
    /// clean yet (a removed node still down or unreachable was never confirmed off: it is downed and fenced as any lost node).
    /// </summary>
    private static IEnumerable<NodeId> KnownOrUnclean(DcInputs inputs, ClusterState state) =>
        inputs.Configured.Union(state.Nodes.Where(n => !inputs.Configured.Contains(n.Key) && n.Value.State is not (NodeState.Fenced or NodeState.Left)).Select(n => n.Key));

    /// <summary>The node list's name of a node, else the state's, else "node N" (names in reasons and the log).</summary>
    internal static string NameOf(ImmutableArray<Member> nodes, ClusterState state, NodeId id) =>
        nodes.FirstOrDefault(n => n.Id == id)?.Name ?? state.Nodes.GetValueOrDefault(id)?.Name ?? id.Unnamed;

    /// <summary>One round's scratch: the plan and what it collected. Only <see cref="Decide"/> sees it.</summary>
    private sealed partial class Round(DcInputs inputs)
    {
        private readonly DcInputs _in = inputs;
        private readonly List<DcWakeUp> _wakeUps = [];
        private readonly List<FenceStep> _fences = [];
        private readonly List<DcNote> _notes = [];
        private readonly List<NodeId> _expiredImpossible = [];
        private readonly Dictionary<NodeId, (long RequestAt, DateTimeOffset At)> _notBefore = [];
        private ImmutableSortedSet<NodeId> _lostInMaintenance = inputs.LostInMaintenance;
        private DcVmRound? _vmRound;

        public Plan Plan { get; } = new(inputs.State);

        private NodeId Me => _in.Self;

        public DcDecision Decision() => new()
        {
            Events = [.. Plan.Events],
            WakeUps = [.. _wakeUps],
            Fences = [.. _fences],
            Notes = [.. _notes],
            LostInMaintenance = _lostInMaintenance,
            ExpiredImpossible = [.. _expiredImpossible],
            NotBefore = _notBefore.ToImmutableDictionary(),
            VmRound = _vmRound,
        };

        private string NameOf(NodeId id) => DcRound.NameOf(_in.Nodes, _in.State, id);

        /// <summary>
        /// A member of the view joins unless it is Down: a downed node that is still (or again) reachable was
        /// never confirmed off, so it is fenced first and rejoins after its restart (Pacemaker's unclean node).
        /// </summary>
        public void JoinIfNeeded(Member member)
        {
            var state = Plan.State.StateOf(member.Id);
            // A lost host that returns is readmitted once it has proved what it holds (ClusterActor.Rejoin.cs): after
            // its fence, or, when fencing it is impossible, without one.
            if (MayReadmit(member.Id)) Plan.Add(new NodeJoined(member.Id, member.Name));
            else if (state == NodeState.Down || Plan.State.PendingFences.ContainsKey(member.Id))
            {
                RequestFence(member.Id, "downed while still a member: it must be confirmed off before it rejoins");
                return;
            }
            state = Plan.State.StateOf(member.Id);
            // A node that left (or is leaving) comes back only by restarting: its new incarnation never asked to leave
            // and says so in a Hello sent after its NodeLeaving (one sent before is stale).
            var restarted = _in.Restarted.Contains(member.Id);
            var mayRejoin = state switch
            {
                null => true,
                NodeState.Left => restarted,
                _ => false,
            };
            if (mayRejoin) Plan.Add(new NodeJoined(member.Id, member.Name));
            // A leaving host that restarted before it left is a member again (an operator leaves again with haven cluster leave).
            if (state == NodeState.Leaving && restarted) Plan.Add(new NodeUp(member.Id));
            if (Plan.State.StateOf(member.Id) is NodeState.Joining or NodeState.Unreachable) Plan.Add(new NodeUp(member.Id));
        }

        public void DownIfLost(NodeId id)
        {
            var state = Plan.State.StateOf(id);
            // A member of a primary partition whose joins this stream never received may hold anything: down it, then fence it.
            if (state is null && Plan.State.PrimaryMembers.Contains(id)
                && Plan.Add(new NodeDown(id, "lost from the membership; it was a member of a primary partition this stream saw only in part", NameOf(id))))
                state = NodeState.Down;
            if (state is null or NodeState.Fenced or NodeState.Left or NodeState.Maintenance) return; // maintenance: never fenced
            if (state != NodeState.Down)
            {
                if (state != NodeState.Unreachable) Plan.Add(new NodeUnreachable(id));
                Plan.Add(new NodeDown(id, "lost from the membership; the split-brain resolver kept the other side"));
            }
            RequestFence(id, "lost from the primary partition");
        }

        /// <summary>A member lost while in maintenance is neither downed nor fenced; said once per loss.</summary>
        public void ReportLostInMaintenance()
        {
            foreach (var id in _in.Configured)
            {
                var lost = !_in.ViewIds.Contains(id) && Plan.State.StateOf(id) == NodeState.Maintenance;
                if (lost && !_lostInMaintenance.Contains(id))
                {
                    _lostInMaintenance = _lostInMaintenance.Add(id);
                    _notes.Add(new DcNote.LostInMaintenance(NameOf(id)));
                }
                else if (!lost) _lostInMaintenance = _lostInMaintenance.Remove(id);
            }
        }

        /// <summary>
        /// CTDB's order: startrecovery, releaseip for what fenced or departed hosts held (bookkeeping: they cannot be
        /// asked) and for addresses no longer configured, takeip on the new holders, ipreallocated, recovered.
        /// Standby and unhealthy hosts release their own (ClusterActor.HandOverAddresses); addresses on a host in
        /// maintenance never move.
        /// </summary>
        public void RecoverResources()
        {
            var state = Plan.State;
            var configured = _in.PublicAddresses;
            var configuredIps = configured.Select(a => a.Ip).ToHashSet(StringComparer.Ordinal);
            var pinned = state.Ips.Values.Where(a => state.StateOf(a.Node) == NodeState.Maintenance).Select(a => a.Ip).ToHashSet(StringComparer.Ordinal);
            var gone = state.Ips.Values.Where(a => state.StateOf(a.Node) is NodeState.Fenced or NodeState.Left or null).ToList();
            var unconfigured = state.Ips.Values.Where(a => !configuredIps.Contains(a.Ip) && !pinned.Contains(a.Ip) && !gone.Contains(a)).ToList();
            // While any node is unclean (down, unreachable, being fenced, or a primary member never seen joining) no
            // address moves: it may hold addresses this primary does not know of (events it applied alone before it was lost).
            var unclean = state.UncleanNodes.Any();
            var eligible = unclean ? [] : _in.View.Select(m => m.Id)
                .Where(id => state.StateOf(id) == NodeState.Up && !state.Demoted.Contains(id)).ToList();
            var allocation = AddressAllocator.Allocate(
                configured.Where(a => !pinned.Contains(a.Ip)).Select(a => new FloatingAddress(a.Ip, a.Mask, a.Interface, NodeIdOf(a.PreferredHost), a.Group)),
                state.Ips.Values.Where(a => !pinned.Contains(a.Ip) && configuredIps.Contains(a.Ip)).ToDictionary(a => a.Ip, a => a.Node),
                eligible);
            // Addresses move only when free or held by a fenced or departed host; a live holder hands over itself.
            var freed = gone.Select(a => a.Ip).ToHashSet(StringComparer.Ordinal);
            var takes = allocation.Moves.Where(m => m.TakeOn is not null && (m.ReleaseFrom is null || freed.Contains(m.Ip))).ToList();
            var releases = gone.Concat(unconfigured).OrderBy(a => a.Ip, StringComparer.Ordinal).ToList();
            var work = releases.Count > 0 || takes.Count > 0;
            if (work && !state.RecoveryInProgress) Plan.Add(new RecoveryStarted(Me));
            if (!Plan.State.RecoveryInProgress) return;
            foreach (var a in releases) Plan.Add(new IpReleased(a.Interface, a.Ip, a.Mask, a.Node));
            foreach (var m in takes) Plan.Add(new IpTaken(m.Interface, m.Ip, m.Mask, m.TakeOn!.Value));
            if (!work) // nothing left to move: close the round
            {
                Plan.Add(new IpReallocated());
                Plan.Add(new RecoveryCompleted());
            }
        }

        private NodeId? NodeIdOf(string? name) => name is null ? null : _in.Nodes.FirstOrDefault(n => n.Name == name)?.Id;
    }
}
