using System.Collections.Immutable;

namespace Haven.Actors.Placement;

/// <summary>
/// A plan in the words of Pacemaker's Transition Summary (crm_simulate -S), so that a Pacemaker user can diff the two:
/// <code>
///   * Fence (reboot) node3 'peer is no longer part of the cluster'
///   * Start      rsc1     (          node1 )
///   * Move       rsc2     ( node1 -> node2 )
///   * Stop       rsc3     (          node1 )  due to node availability
/// </code>
/// Fencing first (in the order given), then one line per resource that changes, in the engine's assignment order:
/// Start, Stop, Move (stop and start elsewhere, also off a fenced node), Migrate (live), Recover (a failed resource,
/// in place or elsewhere), Restart (kept on one of several nodes it was found on). Columns as Pacemaker pads them:
/// the action to 8, the name to a width that grows to the name's length + 2 whenever a longer name comes, the node
/// part right-aligned to the widest.
/// </summary>
public static class TransitionSummary
{
    /// <summary>The default reason for a lost node the engine fences when the caller gives none.</summary>
    public const string LostReason = "peer is no longer part of the cluster";

    /// <summary>Why a resource stops, unless the caller says otherwise (Pacemaker's "due to node availability").</summary>
    public const string NodeAvailability = "node availability";

    /// <summary>The summary lines (without the "Transition Summary:" header).</summary>
    /// <param name="fences">nodes to fence with Pacemaker's reason, in Pacemaker's order; any other node the plan fences follows with <see cref="LostReason"/>.</param>
    /// <param name="stopReasons">what a resource's Stop line says it is due to, by resource (others: node availability; a
    /// partition without quorum stops its resources "due to no quorum").</param>
    /// <param name="blockedStarts">starts that cannot run (Pacemaker's "Start rsc ( node ) due to no quorum (blocked)"), by
    /// resource: where it would start and why it does not; listed in the resource's place in the assignment order.</param>
    public static ImmutableArray<string> Lines(PlacementInput input, PlacementPlan plan, IEnumerable<(string Node, string Reason)>? fences = null,
        IReadOnlyDictionary<string, string>? stopReasons = null, IReadOnlyDictionary<string, (string Node, string Reason)>? blockedStarts = null)
    {
        string StopReason(string rsc) => stopReasons is not null && stopReasons.TryGetValue(rsc, out var why) ? why : NodeAvailability;
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(plan);
        var lines = ImmutableArray.CreateBuilder<string>();
        var given = (fences ?? []).ToList();
        var fenced = plan.Fence.ToHashSet(StringComparer.Ordinal);
        foreach (var (node, reason) in given.Where(f => fenced.Contains(f.Node)))
            lines.Add($"  * Fence (reboot) {node} '{reason}'");
        foreach (var node in plan.Fence.Where(n => given.All(f => f.Node != n)))
            lines.Add($"  * Fence (reboot) {node} '{LostReason}'");

        var vms = input.Vms.IsDefault ? [] : input.Vms.ToDictionary(v => v.Name, StringComparer.Ordinal);
        var byVm = plan.Actions.GroupBy(a => a.Vm, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.ToList(), StringComparer.Ordinal);
        var lost = (input.Nodes.IsDefault ? [] : input.Nodes).Where(n => n.Health == NodeHealth.Lost).Select(n => n.Name).ToHashSet(StringComparer.Ordinal);
        var items = new List<(string Change, string Rsc, string? From, string? To, string? Reason)>();
        foreach (var name in plan.Order)
        {
            if (!vms.TryGetValue(name, out var vm)) continue;
            var (_, unmanaged) = plan.Outcome(name);
            if (unmanaged) continue;
            var actions = byVm.TryGetValue(name, out var list) ? list : [];
            var keepsOne = vm.Wanted && !vm.AlsoRunningOn.IsDefaultOrEmpty; // multiple-active stop_start: one line, as Pacemaker
            foreach (var a in actions)
            {
                switch (a.Action)
                {
                    case PlacementActionKind.Stop when keepsOne && a.From != vm.CurrentNode:
                        continue;
                    case PlacementActionKind.Stop:
                        items.Add(("Stop", name, a.From, null, StopReason(name)));
                        break;
                    case PlacementActionKind.Start when a.From is null:
                        items.Add(("Start", name, null, a.To, null));
                        break;
                    case PlacementActionKind.Start or PlacementActionKind.Move:
                        items.Add((vm.Failed ? "Recover" : "Move", name, a.From, a.To, null));
                        break;
                    case PlacementActionKind.Migrate:
                        items.Add(("Migrate", name, a.From, a.To, null));
                        break;
                    case PlacementActionKind.Recover:
                        items.Add(("Recover", name, a.From, a.To == a.From ? null : a.To, null));
                        break;
                    case PlacementActionKind.Restart:
                        items.Add(("Restart", name, a.From, null, null));
                        break;
                }
            }
            // on a fenced node and going nowhere: Pacemaker still lists the stop (the fence does it)
            if (actions.Count == 0 && vm.Running && vm.CurrentNode is { } on && lost.Contains(on) && fenced.Contains(on) && plan.Outcome(name).Node is null)
                items.Add(("Stop", name, on, null, StopReason(name)));
            if (actions.Count == 0 && blockedStarts is not null && blockedStarts.TryGetValue(name, out var blocked))
                items.Add(("Start", name, null, blocked.Node, $"{blocked.Reason} (blocked)"));
        }

        int rscWidth = 5, detailWidth = 5;
        var details = new List<string>(items.Count);
        foreach (var item in items)
        {
            if (item.Rsc.Length > rscWidth) rscWidth = item.Rsc.Length + 2;
            var d = item.From is not null && item.To is not null ? $"{item.From} -> {item.To}" : item.From ?? item.To ?? "";
            if (d.Length > detailWidth) detailWidth = d.Length;
            details.Add(d);
        }
        for (var i = 0; i < items.Count; i++)
        {
            var (change, rsc, _, _, reason) = items[i];
            lines.Add($"  * {change,-8}   {rsc.PadRight(rscWidth)}   ( {details[i].PadLeft(detailWidth)} ){(reason is null ? "" : "  due to " + reason)}");
        }
        return lines.ToImmutable();
    }
}
