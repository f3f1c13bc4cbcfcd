using System.Collections.Immutable;

namespace Haven.Actors.Placement;

/// <summary>
/// Decides where every VM runs, as Pacemaker's scheduler assigns resources. Pure and deterministic: nodes are taken in
/// ordinal name order, VMs in assignment order (below), and per-node load lives in arrays, so a plan costs
/// O(VMs · log VMs + VMs · nodes).
/// <list type="number">
/// <item>Assignment order: higher priority first; under placement-strategy default then <see cref="PlacementVm.Order"/>
/// (a CIB's order of definition); under the others then running VMs by their score where they run, then by their
/// scores node by node; then <see cref="PlacementVm.Order"/>, then name.</item>
/// <item>Each VM in turn gets the node with the highest score — preferences, plus stickiness on the node it runs on, plus
/// colocation — among online nodes where it fits; a node where that sum is negative is banned (Pacemaker: a resource
/// cannot run where its score is below zero). Ties: under balanced the node with more free capacity in more dimensions,
/// then (all but minimal) the node with fewest resources so far, then the node it runs on, then name order.
/// A running VM whose best node is its own stays; a higher-priority VM taken first may take its room (preemption).</item>
/// <item>A lost node that ran a managed VM, or is unclean, is fenced; its VMs are started elsewhere (action start, from the lost node).
/// A standby node runs nothing (its VMs move, it is not fenced); a maintenance node and an unmanaged VM are left as
/// they are.</item>
/// <item>Capacity (cpu, memory) is never exceeded; what fits nowhere is unplaced (and stopped if it ran). A failed VM is
/// recovered (stopped, started where it scores best); one found on several nodes is stopped on all but the one chosen.</item>
/// <item>Colocation: a VM comes after the VMs it runs with and follows them; anti-affinity bans (or, soft, lowers)
/// the partner's node (see PlacementEngine.Colocation.cs).</item>
/// <item>Actions come in waves of at most batch-limit actions and migration-limit live migrations.</item>
/// </list>
/// </summary>
public static partial class PlacementEngine
{
    /// <summary>Plans recovery and placement for <paramref name="input"/>.</summary>
    /// <exception cref="ArgumentException">Duplicate names, unknown nodes, negative utilization or capacity.</exception>
    public static PlacementPlan Plan(PlacementInput input)
    {
        ArgumentNullException.ThrowIfNull(input);
        var options = input.Options ?? PlacementOptions.Default;

        // nodes in name order, load in arrays
        var nodes = input.Nodes.IsDefault ? [] : input.Nodes.ToArray();
        var nodeNames = new string[nodes.Length];
        for (var n = 0; n < nodes.Length; n++) nodeNames[n] = nodes[n].Name ?? throw new ArgumentException($"node {n} has no name");
        Array.Sort(nodeNames, nodes, StringComparer.Ordinal);
        var nodeIndex = new Dictionary<string, int>(nodes.Length, StringComparer.Ordinal);
        var online = new bool[nodes.Length];
        var lost = new bool[nodes.Length];
        var freeCpu = new long[nodes.Length];
        var freeMem = new long[nodes.Length];
        var count = new int[nodes.Length];
        var fence = new SortedSet<string>(StringComparer.Ordinal);
        for (var n = 0; n < nodes.Length; n++)
        {
            var node = nodes[n];
            if (!nodeIndex.TryAdd(node.Name, n)) throw new ArgumentException($"node '{node.Name}' is listed twice");
            if (node.Capacity.Cpu < 0 || node.Capacity.Memory < 0)
                throw new ArgumentException($"node '{node.Name}' has negative capacity (cpu {node.Capacity.Cpu}, memory {node.Capacity.Memory})");
            online[n] = node.Health == NodeHealth.Online;
            lost[n] = node.Health == NodeHealth.Lost;
            if (lost[n] && node.Unclean) fence.Add(node.Name);
            freeCpu[n] = node.Capacity.Cpu;
            freeMem[n] = node.Capacity.Memory;
        }

        // VMs in name order
        var vms = input.Vms.IsDefault ? [] : input.Vms.ToArray();
        var vmNames = new string[vms.Length];
        for (var v = 0; v < vms.Length; v++) vmNames[v] = vms[v].Name ?? throw new ArgumentException($"VM {v} has no name");
        Array.Sort(vmNames, vms, StringComparer.Ordinal);
        var current = new int[vms.Length];
        for (var v = 0; v < vms.Length; v++)
        {
            var vm = vms[v];
            if (v > 0 && vmNames[v - 1] == vmNames[v]) throw new ArgumentException($"VM '{vm.Name}' is listed twice");
            if (vm.Utilization.Cpu < 0 || vm.Utilization.Memory < 0)
                throw new ArgumentException($"VM '{vm.Name}' has negative utilization (cpu {vm.Utilization.Cpu}, memory {vm.Utilization.Memory})");
            current[v] = -1;
            if (vm.Running && vm.CurrentNode is not null)
                current[v] = nodeIndex.TryGetValue(vm.CurrentNode, out var c) ? c
                    : throw new ArgumentException($"VM '{vm.Name}' runs on unknown node '{vm.CurrentNode}'");
            if (!vm.Preferences.IsDefault)
                foreach (var p in vm.Preferences)
                    if (!nodeIndex.ContainsKey(p.Node)) throw new ArgumentException($"VM '{vm.Name}' prefers unknown node '{p.Node}'");
            if (!vm.AlsoRunningOn.IsDefault)
                foreach (var other in vm.AlsoRunningOn)
                    if (other is null || !nodeIndex.ContainsKey(other)) throw new ArgumentException($"VM '{vm.Name}' runs on unknown node '{other}'");
        }

        var order = AssignmentOrder(vms, current, online, options, nodeIndex);
        var co = Colocations.Build(vms, vmNames);
        if (co is not null) order = PartnersFirst(order, co);
        var at = new int[vms.Length];
        Array.Fill(at, Pending);

        var decisions = new Decision[vms.Length];
        var actions = ImmutableArray.CreateBuilder<PlacementAction>();
        var stops = new List<PlacementAction>(); // stops of unwanted VMs and of extra copies come first: they free room
        var unplaced = new List<string>();
        var reports = new List<string>();
        var scores = new int[nodes.Length];
        var recorded = 0;
        foreach (var v in order)
        {
            var vm = vms[v];
            ref var d = ref decisions[v];
            d.From = current[v];
            d.To = -1;
            d.Priority = vm.Priority;
            var cur = current[v];
            if (!vm.Managed || (cur >= 0 && nodes[cur].Health == NodeHealth.Maintenance))
            {
                d.Kind = DecisionKind.Unmanaged;
                at[v] = cur >= 0 ? cur : Nowhere;
                if (cur < 0) continue;
                d.To = cur;
                Take(cur, vm.Utilization, freeCpu, freeMem, count);
                var why = !vm.Wanted ? "its target role is Stopped"
                    : Preference(vm, nodeNames[cur]) < 0 ? $"it is banned from {nodeNames[cur]}"
                    : !vm.AlsoRunningOn.IsDefaultOrEmpty ? $"it is also running on {string.Join(", ", vm.AlsoRunningOn)}"
                    : null;
                if (why is not null) reports.Add($"{vm.Name} is unmanaged and running on {nodeNames[cur]} although {why}: left as it is");
                continue;
            }
            if (cur >= 0 && lost[cur]) fence.Add(nodeNames[cur]);
            if (!vm.AlsoRunningOn.IsDefault)
                foreach (var other in vm.AlsoRunningOn)
                    if (lost[nodeIndex[other]]) fence.Add(other);
            if (!vm.Wanted && cur >= 0 && !lost[cur]) stops.Add(new PlacementAction(vm.Name, PlacementActionKind.Stop, nodeNames[cur], null));
            if (!vm.AlsoRunningOn.IsDefault)
                foreach (var other in vm.AlsoRunningOn)
                    if (!lost[nodeIndex[other]]) stops.Add(new PlacementAction(vm.Name, PlacementActionKind.Stop, other, null));
            if (!vm.Wanted)
            {
                d.Kind = cur >= 0 && lost[cur] ? DecisionKind.LeftOnLostNode : DecisionKind.NotWanted;
                at[v] = Nowhere;
                continue;
            }

            // scores: preferences, stickiness where it runs, colocation
            Array.Clear(scores);
            if (!vm.Preferences.IsDefault)
                foreach (var p in vm.Preferences) scores[nodeIndex[p.Node]] = Clamp((long)scores[nodeIndex[p.Node]] + p.Score);
            var stickiness = cur >= 0 && online[cur] ? vm.Stickiness ?? options.ResourceStickiness : 0;
            d.Stickiness = stickiness;
            if (cur >= 0 && online[cur] && scores[cur] > PlacementScores.Banned) scores[cur] = Clamp((long)scores[cur] + stickiness);
            if (co is not null && co.Constrained(v))
            {
                var notes = new List<string>();
                var before = (int[])scores.Clone();
                ApplyColocations(v, co, at, scores, vmNames, nodeNames, notes);
                if (!AnyAllowed(scores, online) && AnyAllowed(before, online))
                {
                    notes.Clear();
                    before.CopyTo(scores, 0);
                    ApplyColocations(v, co, at, scores, vmNames, nodeNames, notes, hardOnly: true);
                }
                d.Notes = notes;
            }

            var best = -1;
            for (var n = 0; n < nodes.Length; n++)
            {
                if (!online[n] || scores[n] < 0 || !Fits(n, vm.Utilization, freeCpu, freeMem)) continue;
                if (best < 0 || Better(n, best, cur, options.Strategy, scores, count, freeCpu, freeMem)) best = n;
            }
            if (cur >= 0) d.Score = scores[cur];
            d.Reason = cur < 0 ? PlaceReason.NotRunning
                : lost[cur] ? PlaceReason.FromLostNode
                : !online[cur] ? PlaceReason.NodeStandby
                : vm.Failed ? PlaceReason.Failed
                : scores[cur] < 0 ? (Preference(vm, nodeNames[cur]) + (long)stickiness < 0 ? PlaceReason.CurrentBanned : PlaceReason.Colocation)
                : !Fits(cur, vm.Utilization, freeCpu, freeMem) ? PlaceReason.CurrentFull
                : PlaceReason.BetterScore;
            if ((best != cur || best < 0 || vm.Failed || !vm.AlsoRunningOn.IsDefaultOrEmpty) && recorded++ < PlacementPlan.RecordedCandidates)
                d.Candidates = Candidates(vm, scores, online, freeCpu, freeMem, count);
            if (best < 0)
            {
                d.Kind = DecisionKind.Unplaced;
                at[v] = Nowhere;
                unplaced.Add(vm.Name);
                if (cur >= 0 && !lost[cur]) actions.Add(new PlacementAction(vm.Name, PlacementActionKind.Stop, nodeNames[cur], null));
                continue;
            }
            Take(best, vm.Utilization, freeCpu, freeMem, count);
            d.To = best;
            at[v] = best;
            if (best == cur)
            {
                d.Kind = vm.Failed || !vm.AlsoRunningOn.IsDefaultOrEmpty ? DecisionKind.Placed : DecisionKind.Stayed;
                if (vm.Failed) actions.Add(new PlacementAction(vm.Name, PlacementActionKind.Recover, nodeNames[cur], nodeNames[cur]));
                else if (!vm.AlsoRunningOn.IsDefaultOrEmpty) actions.Add(new PlacementAction(vm.Name, PlacementActionKind.Restart, nodeNames[cur], nodeNames[cur]));
                continue;
            }
            d.Kind = DecisionKind.Placed;
            var kind = cur < 0 || lost[cur] ? PlacementActionKind.Start
                : vm.Failed ? PlacementActionKind.Recover
                : vm.AllowMigrate && vm.AlsoRunningOn.IsDefaultOrEmpty ? PlacementActionKind.Migrate : PlacementActionKind.Move;
            actions.Add(new PlacementAction(vm.Name, kind, cur >= 0 ? nodeNames[cur] : null, nodeNames[best]));
        }
        actions.InsertRange(0, stops);

        unplaced.Sort(StringComparer.Ordinal);
        var assigned = new string[order.Length];
        for (var i = 0; i < order.Length; i++) assigned[i] = vmNames[order[i]];
        return new PlacementPlan([.. fence], Waves(actions, options), [.. unplaced], vmNames, nodeNames, decisions, options.Strategy)
        {
            Order = [.. assigned],
            Reports = [.. reports],
        };
    }

    /// <summary>
    /// The order VMs are assigned in: priority (higher first); under placement-strategy default then the input's
    /// <see cref="PlacementVm.Order"/>; under the others first the score where a VM runs (running VMs first), then its
    /// scores node by node in name order; ties by <see cref="PlacementVm.Order"/>, then name.
    /// </summary>
    private static int[] AssignmentOrder(PlacementVm[] vms, int[] current, bool[] online, PlacementOptions options, Dictionary<string, int> nodeIndex)
    {
        var order = new int[vms.Length];
        for (var v = 0; v < vms.Length; v++) order[v] = v;
        if (options.Strategy == PlacementStrategy.Default)
        {
            Array.Sort(order, (a, b) =>
                vms[a].Priority != vms[b].Priority ? vms[b].Priority.CompareTo(vms[a].Priority)
                : vms[a].Order != vms[b].Order ? vms[a].Order.CompareTo(vms[b].Order)
                : a.CompareTo(b));
            return order;
        }
        // per VM: its score where it runs (stickiness counted even on a lost node, as Pacemaker does) and its non-zero
        // scores by node rank (online nodes first, then name order), compared as a vector with zeros elsewhere
        var rank = new int[online.Length];
        var r = 0;
        for (var n = 0; n < online.Length; n++) if (online[n]) rank[n] = r++;
        for (var n = 0; n < online.Length; n++) if (!online[n]) rank[n] = r++;
        var here = new int[vms.Length];
        var vectors = new (int Rank, int Score)[vms.Length][];
        var entries = new List<(int Rank, int Score)>();
        for (var v = 0; v < vms.Length; v++)
        {
            var vm = vms[v];
            var cur = current[v];
            entries.Clear();
            if (!vm.Preferences.IsDefaultOrEmpty)
                foreach (var p in vm.Preferences)
                {
                    var k = rank[nodeIndex[p.Node]];
                    var i = entries.FindIndex(e => e.Rank == k);
                    if (i < 0) entries.Add((k, Clamp(p.Score))); else entries[i] = (k, Clamp((long)entries[i].Score + p.Score));
                }
            if (cur >= 0)
            {
                var stick = vm.Stickiness ?? options.ResourceStickiness;
                var i = entries.FindIndex(e => e.Rank == rank[cur]);
                if (i < 0) entries.Add((rank[cur], Clamp(stick))); else entries[i] = (rank[cur], Clamp((long)entries[i].Score + stick));
                here[v] = entries[i < 0 ? entries.Count - 1 : i].Score;
            }
            else here[v] = PlacementScores.Banned - 1;
            entries.Sort((x, y) => x.Rank.CompareTo(y.Rank));
            vectors[v] = [.. entries];
        }
        Array.Sort(order, (a, b) =>
        {
            if (vms[a].Priority != vms[b].Priority) return vms[b].Priority.CompareTo(vms[a].Priority);
            if (here[a] != here[b]) return here[b].CompareTo(here[a]);
            var va = vectors[a];
            var vb = vectors[b];
            int i = 0, j = 0;
            while (i < va.Length || j < vb.Length)
            {
                var k = Math.Min(i < va.Length ? va[i].Rank : int.MaxValue, j < vb.Length ? vb[j].Rank : int.MaxValue);
                var sa = i < va.Length && va[i].Rank == k ? va[i++].Score : 0;
                var sb = j < vb.Length && vb[j].Rank == k ? vb[j++].Score : 0;
                if (sa != sb) return sb.CompareTo(sa);
            }
            return vms[a].Order != vms[b].Order ? vms[a].Order.CompareTo(vms[b].Order) : a.CompareTo(b);
        });
        return order;
    }

    private static bool AnyAllowed(int[] scores, bool[] online)
    {
        for (var n = 0; n < scores.Length; n++)
            if (online[n] && scores[n] >= 0) return true;
        return false;
    }

    private static Candidate[] Candidates(PlacementVm vm, int[] scores, bool[] online, long[] freeCpu, long[] freeMem, int[] count)
    {
        var candidates = new Candidate[scores.Length];
        for (var n = 0; n < scores.Length; n++)
            candidates[n] = new Candidate(n, scores[n], online[n], Fits(n, vm.Utilization, freeCpu, freeMem), freeCpu[n], freeMem[n], count[n]);
        return candidates;
    }

    private static ImmutableArray<PlacementAction> Waves(ImmutableArray<PlacementAction>.Builder actions, PlacementOptions options)
    {
        var batch = options.BatchLimit > 0 ? options.BatchLimit : int.MaxValue;
        var migrations = options.MigrationLimit < 0 ? int.MaxValue : Math.Max(1, options.MigrationLimit);
        int wave = 0, inWave = 0, migrating = 0;
        var result = ImmutableArray.CreateBuilder<PlacementAction>(actions.Count);
        foreach (var a in actions)
        {
            var migrate = a.Action == PlacementActionKind.Migrate;
            if (inWave == batch || (migrate && migrating == migrations)) { wave++; inWave = 0; migrating = 0; }
            inWave++;
            if (migrate) migrating++;
            result.Add(wave == 0 ? a : a with { Wave = wave });
        }
        return result.MoveToImmutable();
    }

    /// <summary>
    /// Whether node <paramref name="a"/> beats node <paramref name="b"/> (b is earlier in name order) for a VM running on
    /// <paramref name="current"/> (-1: none), as Pacemaker sorts nodes: score; under balanced, more free capacity in more
    /// dimensions (absolute amounts); then, except under minimal, fewer resources assigned so far, then the current node;
    /// then name order.
    /// </summary>
    private static bool Better(int a, int b, int current, PlacementStrategy strategy, int[] scores, int[] count, long[] freeCpu, long[] freeMem)
    {
        if (scores[a] != scores[b]) return scores[a] > scores[b];
        if (strategy == PlacementStrategy.Minimal) return false;
        if (strategy == PlacementStrategy.Balanced)
        {
            var vote = freeCpu[a].CompareTo(freeCpu[b]) + freeMem[a].CompareTo(freeMem[b]);
            if (vote != 0) return vote > 0;
        }
        if (count[a] != count[b]) return count[a] < count[b];
        return a == current;
    }

    private static bool Fits(int n, Capacity need, long[] freeCpu, long[] freeMem) => need.Cpu <= freeCpu[n] && need.Memory <= freeMem[n];

    private static void Take(int n, Capacity need, long[] freeCpu, long[] freeMem, int[] count)
    {
        freeCpu[n] -= need.Cpu;
        freeMem[n] -= need.Memory;
        count[n]++;
    }

    private static int Preference(PlacementVm vm, string node)
    {
        if (vm.Preferences.IsDefault) return 0;
        var score = 0;
        foreach (var p in vm.Preferences)
            if (string.Equals(p.Node, node, StringComparison.Ordinal)) score = Clamp((long)score + p.Score);
        return score;
    }

    private static int Clamp(long score) => (int)Math.Clamp(score, PlacementScores.Banned, PlacementScores.Infinity);
}
