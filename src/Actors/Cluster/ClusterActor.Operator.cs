using System.Collections.Immutable;
using System.Net;
using Haven.Actors.Coordinator;
using Haven.Actors.Membership;
using Microsoft.Extensions.Logging;

namespace Haven.Actors.Cluster;

/// <summary>Heuristics and health reports, and the operator's commands (down, leave, standby, maintenance, address moves).</summary>
public sealed partial class ClusterActor
{
    private ImmutableArray<PublicAddress> _extraAddresses = [];
    private ReportHealth? _health;
    private bool _healthReportPending;
    private bool _leaveRequested;
    private long _leftSentAt = -1;
    private long _leaveViewId = -1;

    // ---- heuristics and operator commands ----------------------------------------------------------

    /// <summary>The HostActor's probe (HostActor.Heuristics.cs).</summary>
    private void OnHeuristicsProbed(bool reachable)
    {
        if (_reachable == reachable) return;
        _reachable = reachable;
        Log.LogInformation("Heuristic addresses are {State} from {Node}", reachable ? "reachable" : "NOT reachable", _options.Self.Name);
        ReportHeuristics();
    }

    /// <summary>Puts this host's reachability into the replicated state when it differs (only the primary can).</summary>
    private void ReportHeuristics()
    {
        if (_reachable is not { } reachable || _role != PartitionRole.Primary || !_viewSynced || _heuristicsReportPending) return;
        if (_state.Heuristics.TryGetValue(Me, out var known) && known == reachable) return;
        if (_state.StateOf(Me) is null) return; // not joined yet: reported again after the next applied event
        var change = new HeuristicsChanged(Me, reachable);
        if (!WouldApply(change)) return; // the state would skip it: asked again after the next applied batch
        _heuristicsReportPending = true;
        Multicast(change);
    }

    private void OnDownNode(DownNode command)
    {
        var target = _options.Nodes.FirstOrDefault(n => n.Name == command.Node);
        if (target is null)
        {
            Sender.Tell(new OperatorCommandResult(false, $"unknown node '{command.Node}' (nodes: {string.Join(", ", _options.Nodes.Select(n => n.Name))})"), Self);
            return;
        }
        if (_role != PartitionRole.Primary)
        {
            Sender.Tell(new OperatorCommandResult(false, $"this host is not in the primary partition ({_role.ToString().ToLowerInvariant()}); ask a primary member"), Self);
            return;
        }
        var plan = new Plan(_state);
        if (plan.State.StateOf(target.Id) is not (NodeState.Down or NodeState.Fenced or NodeState.Left or null))
            plan.Add(new NodeDown(target.Id, "operator: haven cluster down"));
        if (!plan.State.PendingFences.ContainsKey(target.Id) && plan.State.StateOf(target.Id) == NodeState.Down)
            plan.Add(new FenceRequested(target.Id, DcOfView() ?? Me, "operator: haven cluster down"));
        if (plan.Events.Count == 0)
        {
            Sender.Tell(new OperatorCommandResult(false, $"node {target.Name} is {plan.State.StateOf(target.Id)?.ToString().ToLowerInvariant() ?? "unknown"}: nothing to down"), Self);
            return;
        }
        MulticastEvents(plan.Events);
        Sender.Tell(new OperatorCommandResult(true, $"node {target.Name} is being downed; it will be fenced before its resources move"), Self);
    }

    /// <summary>
    /// `haven fence confirm NODE --reason TEXT` (Pacemaker's stonith_admin --confirm): the operator's word that
    /// NODE is off stands for a fence device's, from the primary partition only and never for a node that is a
    /// member of this host's view right now (it evidently is not off).
    /// </summary>
    private void OnConfirmFenced(ConfirmFenced command)
    {
        // A node removed from the node list while down is still in the state until it is confirmed off.
        var target = _options.Nodes.FirstOrDefault(n => n.Name == command.Node)
            ?? _state.Nodes.Values.Where(n => n.Name == command.Node).Select(n => new Member(n.Id, n.Name)).FirstOrDefault();
        string? refusal = target is null ? $"unknown node '{command.Node}' (nodes: {string.Join(", ", _options.Nodes.Select(n => n.Name))})"
            : FenceConfirmed.ReasonProblem(command.Reason) is { } bad ? bad
            : _role != PartitionRole.Primary || !_viewSynced ? $"this host is not in the primary partition ({_role.ToString().ToLowerInvariant()}{(_role == PartitionRole.Primary ? ", syncing" : "")}); ask a primary member"
            : target.Id == Me ? $"node {target.Name} is this host: it cannot confirm itself off"
            : _viewIds.Contains(target.Id) ? $"node {target.Name} is a member of the cluster right now, so it is not off; nothing was confirmed"
            : null;
        var confirmed = target is null ? null : new FenceConfirmed(target.Id, Me, command.Reason);
        if (refusal is null && _state.Validate(confirmed!) is not null)
            refusal = $"node {target!.Name} is {_state.StateOf(target.Id)?.ToString().ToLowerInvariant() ?? "unknown"}: only a down, unreachable or unhealthy node can be confirmed off";
        if (refusal is not null)
        {
            Sender.Tell(new OperatorCommandResult(false, refusal), Self);
            return;
        }
        Log.LogWarning("Operator on {Host} confirms {Node} is off: {Reason}; it counts as fenced and its resources are recovered",
            _options.Self.Name, target!.Name, command.Reason);
        Multicast(confirmed!);
        Sender.Tell(new OperatorCommandResult(true,
            $"node {target.Name} is confirmed off by the operator: its fence request is closed and its resources are recovered on other hosts"), Self);
    }

    /// <summary>
    /// `haven cluster leave`, in two steps so that nothing runs twice: NodeLeaving (and this host's addresses
    /// released) at once; the DC then moves the VMs away (live-migrated when allowed) and stops the ones it does
    /// not move; once this host holds no address and no VM, it sends NodeLeft (<see cref="FinishLeaving"/>).
    /// </summary>
    private void OnLeave()
    {
        if (_role != PartitionRole.Primary || !_viewSynced)
        {
            Sender.Tell(new OperatorCommandResult(false, $"this host is not in the primary partition ({_role.ToString().ToLowerInvariant()}{(_role == PartitionRole.Primary ? ", syncing" : "")})"), Self);
            return;
        }
        if (_state.StateOf(Me) == NodeState.Leaving || (_leaveRequested && _leaveViewId == _viewId)) // or its NodeLeaving is on the way
        {
            _leaveRequested = true;
            Sender.Tell(new OperatorCommandResult(true, $"node {_options.Self.Name} is already leaving ({VmsHere().Count} VM(s) still here)"), Self);
            FinishLeaving();
            return;
        }
        var plan = new Plan(_state);
        if (!plan.Add(new NodeLeaving(Me)))
        {
            Sender.Tell(new OperatorCommandResult(false, $"node {_options.Self.Name} cannot leave while it is {_state.StateOf(Me)?.ToString().ToLowerInvariant() ?? "not a member"}"), Self);
            return;
        }
        // Its addresses are released here first and announced after (HandOverAddresses, once NodeLeaving is
        // applied): an IpReleased sent before the release lets another host take an address this one still holds.
        _leaveRequested = true;
        _leaveViewId = _viewId;
        MulticastEvents(plan.Events);
        var vms = VmsHere().Count;
        Sender.Tell(new OperatorCommandResult(true, $"node {_options.Self.Name} is leaving: it releases its addresses"
            + (vms == 0 ? "" : $", its {vms} VM(s) move to other hosts or stop")
            + ", then it leaves the cluster (haven cluster status shows it leaving until then)"), Self);
    }

    /// <summary>The VMs the state places on this host (running, starting, stopping, or migrating from or to it).</summary>
    private List<string> VmsHere() => [.. _state.Vms.Values.Where(v => v.Node == Me || v.Target == Me).Select(v => v.Name)];

    /// <summary>
    /// The second step of a leave this incarnation asked for: once this host is Leaving, holds no address and
    /// runs no VM, it sends NodeLeft (again after later events, should one have come first and voided it).
    /// </summary>
    private void FinishLeaving()
    {
        if (!_leaveRequested || _left || _role != PartitionRole.Primary || !_viewSynced) return;
        if (_state.StateOf(Me) != NodeState.Leaving || _state.IpsOf(Me).Any() || VmsHere().Count > 0) return;
        if (_leftSentAt == _stream.Count) return;
        _leftSentAt = _stream.Count;
        Log.LogInformation("Node {Node} holds no address and no VM: it leaves the cluster", _options.Self.Name);
        Multicast(new NodeLeft(Me));
    }

    // ---- health (CTDB monitor) ------------------------------------------------------------------

    private void OnReportHealth(ReportHealth report)
    {
        if (_health?.Healthy != report.Healthy)
            Log.LogInformation("Monitor of {Node}: {Health}{Reason}", _options.Self.Name, report.Healthy ? "healthy" : "UNHEALTHY",
                report.Healthy ? "" : $" ({report.Reason})");
        _health = report;
        ReportHealthState();
    }

    /// <summary>Puts this host's health into the replicated state when it differs (only the primary can); maintenance is not monitored.</summary>
    private void ReportHealthState()
    {
        if (_health is not { } health || _role != PartitionRole.Primary || !_viewSynced || _healthReportPending) return;
        var state = _state.StateOf(Me);
        IClusterEvent? change = health.Healthy
            ? state == NodeState.Unhealthy ? new NodeHealthy(Me) : null
            : state is NodeState.Up or NodeState.Standby ? new NodeUnhealthy(Me, health.Reason) : null;
        if (change is null || !WouldApply(change)) return; // e.g. NodeHealthy while a fence request for this host is open: after the next batch
        _healthReportPending = true;
        Multicast(change);
    }

    // ---- standby, maintenance, address moves, extra addresses -----------------------------------

    private void OnSetNodeMode(SetNodeMode command)
    {
        if (_role != PartitionRole.Primary)
        {
            Reply(false, $"this host is not in the primary partition ({_role.ToString().ToLowerInvariant()}); ask a primary member");
            return;
        }
        var plan = new Plan(_state);
        if (command.Node is null)
        {
            if (command.Mode is not (NodeMode.MaintenanceOn or NodeMode.MaintenanceOff))
            {
                Reply(false, $"{Word(command.Mode)} needs a node name");
                return;
            }
            foreach (var node in _state.Nodes.Values.OrderBy(n => n.Id))
                if (ModeEvent(node.Id, command.Mode) is { } e) plan.Add(e);
            if (plan.Events.Count == 0)
            {
                Reply(false, command.Mode == NodeMode.MaintenanceOn ? "no node can enter maintenance (every member already is, or none is active)" : "no node is in maintenance");
                return;
            }
        }
        else
        {
            var target = _options.Nodes.FirstOrDefault(n => n.Name == command.Node);
            if (target is null)
            {
                Reply(false, $"unknown node '{command.Node}' (nodes: {string.Join(", ", _options.Nodes.Select(n => n.Name))})");
                return;
            }
            var e = ModeEvent(target.Id, command.Mode);
            var current = _state.StateOf(target.Id);
            var why = e is null ? null : _state.Validate(e);
            if (e is null || why is not null)
            {
                Reply(false, $"node {target.Name} is {current?.ToString().ToLowerInvariant() ?? "not joined"}: it cannot {Word(command.Mode)}{(why is null ? "" : $" ({why})")}");
                return;
            }
            plan.Add(e);
        }
        MulticastEvents(plan.Events);
        var names = string.Join(", ", plan.Events.Select(e => NameOf(NodeOf(e))));
        Reply(true, command.Mode switch
        {
            NodeMode.Standby => $"node {names} is going to standby: its addresses move to other hosts",
            NodeMode.Unstandby => $"node {names} leaves standby and may take resources again",
            NodeMode.MaintenanceOn => $"maintenance on for {names}: Haven stops acting on them; they are never fenced and nothing on them moves",
            _ => $"maintenance off for {names}",
        });
    }

    /// <summary>The event that puts the node into the mode, or null when its state does not allow it.</summary>
    private IClusterEvent? ModeEvent(NodeId node, NodeMode mode)
    {
        var state = _state.StateOf(node);
        return mode switch
        {
            NodeMode.Standby when state is NodeState.Up or NodeState.Maintenance or NodeState.Unhealthy => new NodeStandby(node),
            NodeMode.Unstandby when state == NodeState.Standby => new NodeUp(node),
            NodeMode.MaintenanceOn when state is NodeState.Up or NodeState.Standby or NodeState.Unhealthy => new NodeMaintenance(node),
            // A node lost while in maintenance was never fenced: leaving maintenance treats it as lost.
            NodeMode.MaintenanceOff when state == NodeState.Maintenance => _viewIds.Contains(node) ? new NodeUp(node) : new NodeUnreachable(node),
            _ => null,
        };
    }

    private static NodeId NodeOf(IClusterEvent e) => e switch
    {
        NodeStandby s => s.Node,
        NodeUp u => u.Node,
        NodeMaintenance m => m.Node,
        NodeUnreachable u => u.Node,
        _ => throw new ArgumentOutOfRangeException(nameof(e), e, "not a node mode event"),
    };

    private static string Word(NodeMode mode) => mode switch
    {
        NodeMode.Standby => "go to standby",
        NodeMode.Unstandby => "leave standby",
        NodeMode.MaintenanceOn => "enter maintenance",
        _ => "leave maintenance",
    };

    private void OnMoveAddress(MoveAddress command)
    {
        if (_role != PartitionRole.Primary)
        {
            Reply(false, $"this host is not in the primary partition ({_role.ToString().ToLowerInvariant()}); ask a primary member");
            return;
        }
        var ip = IPAddress.TryParse(command.Address.Split('/')[0], out var parsed) ? parsed.ToString() : null;
        var address = ip is null ? null : PublicAddressesNow().FirstOrDefault(a => a.Ip == ip);
        if (address is null)
        {
            Reply(false, ip is null ? $"'{command.Address}' is not an IP address" : $"{ip} is not a public address of this cluster (haven ip list shows them)");
            return;
        }
        var target = _options.Nodes.FirstOrDefault(n => n.Name == command.Node);
        if (target is null)
        {
            Reply(false, $"unknown node '{command.Node}' (nodes: {string.Join(", ", _options.Nodes.Select(n => n.Name))})");
            return;
        }
        if (_state.StateOf(target.Id) != NodeState.Up || _state.Demoted.Contains(target.Id) || !_viewIds.Contains(target.Id))
        {
            Reply(false, $"node {target.Name} is {_state.StateOf(target.Id)?.ToString().ToLowerInvariant() ?? "not joined"}: only an Up member of the primary partition takes addresses");
            return;
        }
        if (_state.Ips.TryGetValue(ip!, out var held))
        {
            if (held.Node == target.Id)
            {
                Reply(false, $"{ip} is already on {target.Name}");
                return;
            }
            var holderState = _state.StateOf(held.Node);
            if (holderState is NodeState.Maintenance or NodeState.Down or NodeState.Unreachable)
            {
                Reply(false, $"{ip} is held by {NameOf(held.Node)}, which is {holderState?.ToString().ToLowerInvariant()}: it cannot be moved now");
                return;
            }
            // The holder lets go first (on its interface), then announces the release and the take together.
            if (held.Node == Me) ReleaseThenMove(held, target.Id);
            else Multicast(new MoveAddressRequest(held.Ip, target.Id));
        }
        else
        {
            MulticastEvents([new IpTaken(address.Interface, address.Ip, address.Mask, target.Id)]);
        }
        Reply(true, $"{ip} is moving to {target.Name}");
    }

    /// <summary>A <see cref="MoveAddressRequest"/> for an address this host holds.</summary>
    private void OnMoveAddressRequest(MoveAddressRequest request)
    {
        if (_role != PartitionRole.Primary || !_viewSynced) return;
        if (_state.Ips.TryGetValue(request.Ip, out var held) && held.Node == Me) ReleaseThenMove(held, request.Target);
    }

    private void OnPublicAddressesChanged(PublicAddressesChanged change)
    {
        _extraAddresses = change.Addresses;
        Log.LogInformation("Extra public addresses now: {Count}", change.Addresses.Length);
        Self.Tell(ReconcileTick.Instance, Self);
    }

    private void Reply(bool accepted, string message) => Sender.Tell(new OperatorCommandResult(accepted, message), Self);
}
