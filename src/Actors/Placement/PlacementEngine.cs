using System.Collections.Immutable;

namespace Haven.Actors.Placement;

/// <summary>
/// Decides where every VM runs. Pure and deterministic: nodes and VMs are taken in ordinal name order
/// (the input's order never matters), and per-node load lives in arrays, so a plan costs
/// O(VMs · log VMs + VMs to place · nodes).
/// <list type="number">
/// <item>A lost node that ran a VM is fenced; its VMs are started elsewhere (action start, from the lost node).</item>
/// <item>A running VM on an online node stays while its score there (preference + stickiness) is not beaten by
/// another node's preference, it is not banned there, and it fits. VMs claim room in priority order.</item>
/// <item>Every other VM that should run is placed in priority order (higher first), then name order: highest
/// score among online nodes with room and not banned; ties by strategy (<see cref="PlacementStrategy"/>).</item>
/// <item>Capacity (cpu, memory) is never exceeded; what fits nowhere is unplaced (and stopped if it ran).</item>
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
        var freeCpu = new long[nodes.Length];
        var freeMem = new long[nodes.Length];
        var capCpu = new long[nodes.Length];
        var capMem = new long[nodes.Length];
        var count = new int[nodes.Length];
        for (var n = 0; n < nodes.Length; n++)
        {
            var node = nodes[n];
            if (!nodeIndex.TryAdd(node.Name, n)) throw new ArgumentException($"node '{node.Name}' is listed twice");
            if (node.Capacity.Cpu < 0 || node.Capacity.Memory < 0)
                throw new ArgumentException($"node '{node.Name}' has negative capacity (cpu {node.Capacity.Cpu}, memory {node.Capacity.Memory})");
            online[n] = node.Health == NodeHealth.Online;
            freeCpu[n] = capCpu[n] = node.Capacity.Cpu;
            freeMem[n] = capMem[n] = node.Capacity.Memory;
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
        }

        // priority order: higher first, then name (stable over the name order)
        var order = new int[vms.Length];
        var negPriority = new long[vms.Length];
        for (var v = 0; v < vms.Length; v++) { order[v] = v; negPriority[v] = -(long)vms[v].Priority * vms.Length + v; }
        Array.Sort(negPriority, order);
        var co = Colocations.Build(vms, vmNames);
        if (co is not null) order = PartnersFirst(order, co);
        var at = new int[vms.Length];
        Array.Fill(at, Pending);
        var scratch = new int[nodes.Length];

        var decisions = new Decision[vms.Length];
        var fence = new SortedSet<string>(StringComparer.Ordinal);
        var toPlace = new List<int>();

        // pass 1: what stays, what must be placed
        foreach (var v in order)
        {
            var vm = vms[v];
            ref var d = ref decisions[v];
            d.From = current[v];
            d.To = -1;
            d.Priority = vm.Priority;
            var cur = current[v];
            if (cur >= 0 && !online[cur]) fence.Add(nodeNames[cur]);
            if (!vm.Wanted)
            {
                d.Kind = cur >= 0 && !online[cur] ? DecisionKind.LeftOnLostNode : DecisionKind.NotWanted;
                at[v] = Nowhere;
                continue;
            }
            if (cur < 0) { d.Reason = PlaceReason.NotRunning; toPlace.Add(v); continue; }
            if (!online[cur]) { d.Reason = PlaceReason.FromLostNode; toPlace.Add(v); continue; }

            var stickiness = vm.Stickiness ?? options.ResourceStickiness;
            var pref = Preference(vm, nodeNames[cur]);
            d.Stickiness = stickiness;
            d.Score = Clamp((long)pref + stickiness);
            if (pref <= PlacementScores.Banned) { d.Reason = PlaceReason.CurrentBanned; toPlace.Add(v); continue; }
            if (co is not null && co.Constrained(v))
            {
                PreferenceScores(vm, nodeIndex, scratch);
                var notes = new List<string>();
                var waits = ApplyColocations(v, co, at, scratch, vmNames, nodeNames, notes);
                d.Notes = notes;
                if (waits) { d.Reason = PlaceReason.FollowsPartner; toPlace.Add(v); continue; }
                if (scratch[cur] <= PlacementScores.Banned) { d.Reason = PlaceReason.Colocation; toPlace.Add(v); continue; }
                d.Score = Clamp((long)scratch[cur] + stickiness);
                var bestOther = int.MinValue;
                for (var n = 0; n < nodes.Length; n++)
                    if (n != cur && online[n] && scratch[n] > PlacementScores.Banned) bestOther = Math.Max(bestOther, scratch[n]);
                if (bestOther > d.Score) { d.Reason = PlaceReason.BetterScore; toPlace.Add(v); continue; }
            }
            else if (BestOther(vm, nodeNames[cur], nodeIndex, online) > d.Score) { d.Reason = PlaceReason.BetterScore; toPlace.Add(v); continue; }
            if (!Fits(cur, vm.Utilization, freeCpu, freeMem)) { d.Reason = PlaceReason.CurrentFull; toPlace.Add(v); continue; }
            Take(cur, vm.Utilization, freeCpu, freeMem, count);
            d.Kind = DecisionKind.Stayed;
            d.To = cur;
            at[v] = cur;
        }

        // pass 2: place, priority order
        var actions = ImmutableArray.CreateBuilder<PlacementAction>();
        var unplaced = new List<string>();
        var scores = new int[nodes.Length];
        foreach (var v in toPlace)
        {
            var vm = vms[v];
            ref var d = ref decisions[v];
            Array.Clear(scores);
            if (!vm.Preferences.IsDefault)
                foreach (var p in vm.Preferences) scores[nodeIndex[p.Node]] = Clamp(p.Score);
            var cur = current[v];
            if (cur >= 0 && online[cur] && scores[cur] > PlacementScores.Banned) scores[cur] = Clamp((long)scores[cur] + d.Stickiness);
            if (co is not null && co.Constrained(v))
            {
                var notes = new List<string>();
                ApplyColocations(v, co, at, scores, vmNames, nodeNames, notes);
                d.Notes = notes;
            }

            var candidates = new Candidate[nodes.Length];
            var best = -1;
            for (var n = 0; n < nodes.Length; n++)
            {
                var fits = Fits(n, vm.Utilization, freeCpu, freeMem);
                candidates[n] = new Candidate(n, scores[n], online[n], fits, freeCpu[n], freeMem[n], count[n]);
                if (!online[n] || !fits || scores[n] <= PlacementScores.Banned) continue;
                if (best < 0 || Better(n, best, options.Strategy, scores, count, freeCpu, freeMem, capCpu, capMem)) best = n;
            }
            d.Candidates = candidates;
            if (best < 0)
            {
                d.Kind = DecisionKind.Unplaced;
                at[v] = Nowhere;
                unplaced.Add(vm.Name);
                if (cur >= 0 && online[cur]) actions.Add(new PlacementAction(vm.Name, PlacementActionKind.Stop, nodeNames[cur], null));
                continue;
            }
            Take(best, vm.Utilization, freeCpu, freeMem, count);
            d.Kind = DecisionKind.Placed;
            d.To = best;
            at[v] = best;
            if (best == cur) continue; // the better score was its own node after all
            var kind = cur < 0 || !online[cur] ? PlacementActionKind.Start
                : vm.AllowMigrate ? PlacementActionKind.Migrate : PlacementActionKind.Move;
            actions.Add(new PlacementAction(vm.Name, kind, cur >= 0 ? nodeNames[cur] : null, nodeNames[best]));
        }

        // stops of unwanted VMs running on online nodes come first: they free room
        var stops = new List<PlacementAction>();
        for (var v = 0; v < vms.Length; v++)
            if (decisions[v].Kind == DecisionKind.NotWanted && current[v] >= 0)
                stops.Add(new PlacementAction(vms[v].Name, PlacementActionKind.Stop, nodeNames[current[v]], null));
        actions.InsertRange(0, stops);

        unplaced.Sort(StringComparer.Ordinal);
        return new PlacementPlan([.. fence], Waves(actions, options), [.. unplaced], vmNames, nodeNames, decisions, options.Strategy);
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

    /// <summary>Whether node <paramref name="a"/> beats node <paramref name="b"/> (b is earlier in name order).</summary>
    private static bool Better(int a, int b, PlacementStrategy strategy, int[] scores, int[] count,
        long[] freeCpu, long[] freeMem, long[] capCpu, long[] capMem)
    {
        if (scores[a] != scores[b]) return scores[a] > scores[b];
        switch (strategy)
        {
            case PlacementStrategy.Minimal:
                return false;
            case PlacementStrategy.Balanced:
                var fa = Fraction(freeCpu[a], capCpu[a]) + Fraction(freeMem[a], capMem[a]);
                var fb = Fraction(freeCpu[b], capCpu[b]) + Fraction(freeMem[b], capMem[b]);
                if (fa != fb) return fa > fb;
                return count[a] < count[b];
            default:
                return count[a] < count[b];
        }
    }

    private static double Fraction(long free, long cap) => cap == 0 ? 0 : (double)free / cap;

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
            if (string.Equals(p.Node, node, StringComparison.Ordinal)) score = Clamp(p.Score);
        return score;
    }

    private static int BestOther(PlacementVm vm, string current, Dictionary<string, int> nodeIndex, bool[] online)
    {
        var best = 0; // nodes without a preference score 0
        if (vm.Preferences.IsDefault) return best;
        foreach (var p in vm.Preferences)
            if (!string.Equals(p.Node, current, StringComparison.Ordinal) && online[nodeIndex[p.Node]]) best = Math.Max(best, Clamp(p.Score));
        return best;
    }

    private static int Clamp(long score) => (int)Math.Clamp(score, PlacementScores.Banned, PlacementScores.Infinity);
}
