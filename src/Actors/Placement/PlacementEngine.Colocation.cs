using System.Globalization;

namespace Haven.Actors.Placement;

/// <summary>
/// Colocation (Pacemaker's rsc_colocation) in the engine. Built only when some VM names another, so plans without
/// constraints cost nothing more. A VM is placed after the VMs it runs with (<see cref="PlacementVm.With"/>) and goes
/// where they end up: a hard one bans every other node, and a partner that runs nowhere leaves it unplaceable; a soft one
/// adds its score to the partner's node. Anti-affinity (<see cref="PlacementVm.Apart"/>) works both ways: a hard one bans
/// the partner's node, a soft one takes its score from it. Partners not yet decided count for nothing. As in Pacemaker, soft
/// colocations that would leave a VM no online node with a score of zero or more are dropped for it.
/// </summary>
public static partial class PlacementEngine
{
    private const int Pending = -1;   // at[v]: not decided yet
    private const int Nowhere = -2;   // at[v]: decided not to run

    /// <summary>Each VM's colocation edges by index: its own with-constraints, and anti-affinity both ways.</summary>
    private sealed class Colocations
    {
        public readonly (int Partner, int Score)[]?[] With;
        public readonly List<(int Partner, int Score)>?[] Apart;

        private Colocations(int count)
        {
            With = new (int, int)[]?[count];
            Apart = new List<(int, int)>?[count];
        }

        public bool Constrained(int v) => With[v] is not null || Apart[v] is not null;

        /// <summary>Null when no VM has a constraint.</summary>
        public static Colocations? Build(PlacementVm[] vms, string[] vmNames)
        {
            Colocations? result = null;
            for (var v = 0; v < vms.Length; v++)
            {
                var vm = vms[v];
                if (vm.With.IsDefaultOrEmpty && vm.Apart.IsDefaultOrEmpty) continue;
                result ??= new Colocations(vms.Length);
                if (!vm.With.IsDefaultOrEmpty)
                {
                    var with = new (int, int)[vm.With.Length];
                    for (var i = 0; i < with.Length; i++) with[i] = (Partner(vm, vm.With[i], vmNames), Magnitude(vm, vm.With[i]));
                    result.With[v] = with;
                }
                if (!vm.Apart.IsDefaultOrEmpty)
                    foreach (var c in vm.Apart)
                    {
                        var p = Partner(vm, c, vmNames);
                        var score = Magnitude(vm, c);
                        (result.Apart[v] ??= []).Add((p, score));
                        (result.Apart[p] ??= []).Add((v, score));
                    }
            }
            return result;
        }

        private static int Partner(PlacementVm vm, VmConstraint c, string[] vmNames)
        {
            var p = c.Vm is null ? -1 : Array.BinarySearch(vmNames, c.Vm, StringComparer.Ordinal);
            if (p < 0) throw new ArgumentException($"VM '{vm.Name}' is constrained with unknown VM '{c.Vm}'");
            if (vmNames[p] == vm.Name) throw new ArgumentException($"VM '{vm.Name}' is constrained with itself");
            return p;
        }

        private static int Magnitude(PlacementVm vm, VmConstraint c) => c.Score > 0 ? Math.Min(c.Score, PlacementScores.Infinity)
            : throw new ArgumentException($"VM '{vm.Name}': the score with '{c.Vm}' must be positive (1..INFINITY), got {c.Score}");
    }

    /// <summary>The priority order, changed only so that every VM comes after the VMs it runs with (cycles are cut).</summary>
    private static int[] PartnersFirst(int[] order, Colocations co)
    {
        var result = new int[order.Length];
        var seen = new bool[order.Length];
        var n = 0;
        var stack = new Stack<(int Vm, int Next)>(); // depth-first without recursion: chains may be long
        foreach (var root in order)
        {
            if (seen[root]) continue;
            seen[root] = true;
            stack.Push((root, 0));
            while (stack.TryPop(out var top))
            {
                var with = co.With[top.Vm];
                if (with is not null && top.Next < with.Length)
                {
                    stack.Push((top.Vm, top.Next + 1));
                    var p = with[top.Next].Partner;
                    if (!seen[p]) { seen[p] = true; stack.Push((p, 0)); }
                    continue;
                }
                result[n++] = top.Vm;
            }
        }
        return result;
    }

    /// <summary>
    /// Applies <paramref name="v"/>'s colocations to <paramref name="scores"/> (by node) from where the partners are
    /// (<paramref name="at"/>) and writes one line per constraint to <paramref name="notes"/>. Returns whether a hard
    /// with-partner is not decided yet (it is placed first: the VM must follow it).
    /// </summary>
    private static bool ApplyColocations(int v, Colocations co, int[] at, int[] scores, string[] vmNames, string[] nodeNames, List<string> notes,
        bool hardOnly = false)
    {
        var inv = CultureInfo.InvariantCulture;
        var waits = false;
        if (co.With[v] is { } with)
            foreach (var (p, score) in with)
            {
                var text = new VmConstraint(vmNames[p], score).ScoreText;
                var where = at[p];
                if (hardOnly && score < PlacementScores.Infinity) { notes.Add($"with {vmNames[p]} ({text}): ignored, it would leave no node allowed"); continue; }
                if (where == Pending)
                {
                    waits |= score >= PlacementScores.Infinity;
                    notes.Add($"with {vmNames[p]} ({text}): {vmNames[p]} is not placed yet");
                }
                else if (where == Nowhere)
                {
                    if (score < PlacementScores.Infinity) { notes.Add($"with {vmNames[p]} ({text}): {vmNames[p]} runs nowhere, no effect"); continue; }
                    Array.Fill(scores, PlacementScores.Banned);
                    notes.Add($"with {vmNames[p]} ({text}): {vmNames[p]} runs nowhere, so it cannot run either");
                }
                else if (score >= PlacementScores.Infinity)
                {
                    for (var n = 0; n < scores.Length; n++)
                        if (n != where) scores[n] = PlacementScores.Banned;
                    notes.Add($"with {vmNames[p]} ({text}): {vmNames[p]} is on {nodeNames[where]}, every other node is banned");
                }
                else
                {
                    if (scores[where] > PlacementScores.Banned) scores[where] = Clamp((long)scores[where] + score);
                    notes.Add(string.Create(inv, $"with {vmNames[p]} ({text}): {vmNames[p]} is on {nodeNames[where]}, +{score} there"));
                }
            }
        if (co.Apart[v] is { } apart)
            foreach (var (p, score) in apart)
            {
                var text = new VmConstraint(vmNames[p], score).ScoreText;
                var where = at[p];
                if (hardOnly && score < PlacementScores.Infinity) { notes.Add($"apart from {vmNames[p]} (-{text}): ignored, it would leave no node allowed"); continue; }
                if (where < 0)
                {
                    notes.Add($"apart from {vmNames[p]} (-{text}): {vmNames[p]} {(where == Pending ? "is not placed yet" : "runs nowhere")}");
                    continue;
                }
                scores[where] = score >= PlacementScores.Infinity ? PlacementScores.Banned
                    : scores[where] <= PlacementScores.Banned ? scores[where] : Clamp((long)scores[where] - score);
                notes.Add(score >= PlacementScores.Infinity
                    ? $"apart from {vmNames[p]} (-{text}): {vmNames[p]} is on {nodeNames[where]}, banned there"
                    : string.Create(inv, $"apart from {vmNames[p]} (-{text}): {vmNames[p]} is on {nodeNames[where]}, -{score} there"));
            }
        return waits;
    }
}
