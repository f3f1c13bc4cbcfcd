using Haven.Actors.Cluster;
using Haven.Actors.Vms;

namespace Haven.Actors.Simulation;

/// <summary>
/// Operator and monitor faults: a host's monitor fails or passes again (<see cref="ReportHealth"/>), an operator
/// puts a node into or out of standby or maintenance. They come from their own seeded Random, so the cluster
/// faults keep their order; the convergence phase clears them the way an operator would.
/// </summary>
public sealed partial class ClusterSimulation
{
    private Random? _nodeRandom;

    private Random NodeRandom => _nodeRandom ??= new Random(unchecked(_options.Seed * 4_256_249 + 17));

    private Random? _leaveRandom;

    private Random LeaveRandom => _leaveRandom ??= new Random(unchecked(_options.Seed * 7_368_787 + 41));

    /// <summary>
    /// One step in sixty: an operator runs `haven cluster leave` (or, under shutdown-lock, stops the daemon cleanly) on a member of the primary partition, or restarts
    /// the daemon of a host that has left (it joins again). From its own seeded Random, so the other faults keep their order.
    /// </summary>
    private bool LeaveChaos()
    {
        if (LeaveRandom.Next(60) != 0) return false;
        if (!Enabled(SimulationFaults.Leaves)) return false;
        var left = _hosts.Where(h => h.HasLeft).ToList();
        if (left.Count > 0 && LeaveRandom.Next(2) == 0)
        {
            var host = left[LeaveRandom.Next(left.Count)];
            Record($"operator: restart n{host.Id}'s daemon after it left", () => RestartAfterLeave(host));
            return true;
        }
        var primary = _hosts.Where(h => h.Running && h.Cluster is not null && !h.Hung && !h.LeaveSent && h.LastView?.Role == PartitionRole.Primary).ToList();
        if (primary.Count == 0) return false;
        var leaving = primary[LeaveRandom.Next(primary.Count)];
        // under shutdown-lock (the pacemaker kind) half the leaves are a clean daemon stop: its VMs stop there, locked to it
        var clean = _options.ShutdownLock && LeaveRandom.Next(2) == 0;
        Record(clean ? $"operator: clean stop of n{leaving.Id}'s daemon (shutdown-lock)" : $"operator: cluster leave on n{leaving.Id}", () =>
        {
            leaving.LeaveSent = true;
            leaving.Cluster!.Tell(clean ? ShutDownCleanly.Instance : LeaveCluster.Instance, null);
        });
        return true;
    }

    private void RestartAfterLeave(SimulatedHost host)
    {
        host.Stop();
        host.LeaveSent = false;
        Boot(host);
    }

    /// <summary>Convergence: a host that left is restarted (its operator brings it back), so that every host ends up a member.</summary>
    private bool RestartLeftHosts()
    {
        var left = _hosts.Where(h => h.HasLeft).ToList();
        if (left.Count == 0) return false;
        Record("converge: restart " + string.Join(",", left.Select(h => "n" + h.Id)) + " after leaving", () =>
        {
            foreach (var host in left) RestartAfterLeave(host);
        });
        return true;
    }

    /// <summary>One step in twenty-five is an operator or monitor fault. True when it took the step.</summary>
    private bool NodeChaos()
    {
        if (NodeRandom.Next(25) != 0) return false;
        var running = _hosts.Where(h => h.Running && h.Cluster is not null && !h.Hung).ToList();
        if (running.Count == 0) return false;
        var host = running[NodeRandom.Next(running.Count)];
        var node = _members[NodeRandom.Next(_members.Length)].Name;
        var choice = NodeRandom.Next(6);
        if (!Enabled(choice < 2 ? SimulationFaults.Monitor : SimulationFaults.Operator)) return false;
        switch (choice)
        {
            case 0:
                Record($"n{host.Id}'s monitor fails", () => host.Cluster!.Tell(new ReportHealth(false, "simulated monitor failure"), null));
                break;
            case 1:
                Record($"n{host.Id}'s monitor passes", () => host.Cluster!.Tell(new ReportHealth(true, ""), null));
                break;
            case 2:
                NodeOperator($"operator: node standby {node}", new SetNodeMode(node, NodeMode.Standby));
                break;
            case 3:
                NodeOperator($"operator: node unstandby {node}", new SetNodeMode(node, NodeMode.Unstandby));
                break;
            case 4:
                NodeOperator($"operator: maintenance on --node {node}", new SetNodeMode(node, NodeMode.MaintenanceOn));
                break;
            default:
                NodeOperator($"operator: maintenance off --node {node}", new SetNodeMode(node, NodeMode.MaintenanceOff));
                break;
        }
        return true;
    }

    private void NodeOperator(string label, object command)
    {
        var primary = _hosts.Where(h => h.Running && h.Cluster is not null && !h.Hung && h.LastView?.Role == PartitionRole.Primary).ToList();
        if (primary.Count == 0) primary = _hosts.Where(h => h.Running && h.Cluster is not null && !h.Hung).ToList();
        if (primary.Count == 0) return;
        var host = primary[NodeRandom.Next(primary.Count)];
        Record($"{label} (on n{host.Id})", () => host.Cluster!.Tell(command, null));
    }

    /// <summary>
    /// Convergence: every monitor passes, and the operator takes every node out of standby and maintenance —
    /// sent again each round while the state still shows one (a host restarted since has forgotten its report).
    /// </summary>
    /// <summary>
    /// The HA VMs that should run but that every node's fail count bans (migration-threshold reached through the
    /// run's injected failures): Pacemaker leaves such a resource stopped until an operator cleans it up, and so does
    /// Haven, so the converging operator runs `vm cleanup` — after which the VM must start, with no faults left.
    /// </summary>
    internal static IReadOnlyList<string> BannedEverywhere(ClusterState state, DateTimeOffset now, int nodes) =>
        state.Vms.Values
            .Where(v => v.Desired == VmDesiredState.Started && v.Spec.Ha && !v.Unmanaged && v.Node is null && v.FailedOn.Count < nodes
                        && state.Nodes.Count > 0
                        && state.Nodes.Keys.ToHashSet().IsSubsetOf(VmRecovery.BannedFor(v, SimulationVmPolicy, now)))
            .Select(v => v.Name)
            .Order(StringComparer.Ordinal)
            .ToList();

    private void ClearOperatorFaults()
    {
        var primary = _hosts.Where(h => h.Running && h.Cluster is not null && h.LastView?.Role == PartitionRole.Primary).ToList();
        if (primary.Count == 0) return;
        var state = primary[0].LastView!.State;
        var pending = state.Nodes.Values.Where(n => n.State is NodeState.Standby or NodeState.Maintenance or NodeState.Unhealthy).ToList();
        var haOff = !state.HaEnabled;
        if (state.Vms.Values.Any(v => v.Unmanaged))
            Record("converge: every VM managed (an unmanaged one still placed is stopped first)", () => ManageEveryVm(state, c => primary[0].Cluster!.Tell(c, null)));
        var banned = BannedEverywhere(state, _runtime.GetUtcNow(), _hosts.Length);
        if (banned.Count > 0)
            Record($"converge: operator: vm cleanup {string.Join(", ", banned)} (banned on every node by fail counts)", () =>
            {
                foreach (var vm in banned) primary[0].Cluster!.Tell(new CleanupVm(vm), null);
            });
        if (pending.Count == 0 && !haOff) return;
        Record(haOff ? "converge: monitors pass, no standby, no maintenance, HA on" : "converge: monitors pass, no standby, no maintenance", () =>
        {
            foreach (var host in _hosts.Where(h => h.Running && h.Cluster is not null)) host.Cluster!.Tell(new ReportHealth(true, ""), null);
            foreach (var node in pending)
            {
                var mode = node.State switch
                {
                    NodeState.Standby => NodeMode.Unstandby,
                    NodeState.Maintenance => NodeMode.MaintenanceOff,
                    _ => (NodeMode?)null,
                };
                if (mode is { } m) primary[0].Cluster!.Tell(new SetNodeMode(node.Name, m), null);
            }
            if (haOff) primary[0].Cluster!.Tell(new SetSetting(Configuration.ClusterWideSettings.HaEnabledKey, "on"), null);
        });
    }
}
