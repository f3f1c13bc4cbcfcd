using System.Collections.Immutable;
using System.Globalization;

namespace Haven.Actors.Placement;

/// <summary>
/// What the engine decided: nodes to fence first, actions in order, VMs that fit nowhere — and, for every VM,
/// the scores and rules behind its place (<see cref="Explain"/>).
/// </summary>
public sealed class PlacementPlan
{
    private readonly string[] vmNames;      // ordinal order
    private readonly string[] nodeNames;    // ordinal order
    private readonly Decision[] decisions;  // by vmNames index
    private readonly PlacementStrategy strategy;

    internal PlacementPlan(
        ImmutableArray<string> fence, ImmutableArray<PlacementAction> actions, ImmutableArray<string> unplaced,
        string[] vmNames, string[] nodeNames, Decision[] decisions, PlacementStrategy strategy)
    {
        Fence = fence;
        Actions = actions;
        Unplaced = unplaced;
        this.vmNames = vmNames;
        this.nodeNames = nodeNames;
        this.decisions = decisions;
        this.strategy = strategy;
    }

    /// <summary>How many VMs that move, start or stay unplaced keep their candidate nodes for <see cref="Explain"/> (the first in assignment order): bounds a plan's memory.</summary>
    public const int RecordedCandidates = 1000;

    /// <summary>Lost nodes that ran something: fenced before anything of theirs starts elsewhere. Name order.</summary>
    public ImmutableArray<string> Fence { get; }

    /// <summary>What to do, highest priority first.</summary>
    public ImmutableArray<PlacementAction> Actions { get; }

    /// <summary>VMs that should run but fit on no online node. Name order.</summary>
    public ImmutableArray<string> Unplaced { get; }

    /// <summary>Every VM in the order the engine assigned them (Pacemaker's order: see <see cref="PlacementEngine"/>).</summary>
    public ImmutableArray<string> Order { get; init; } = [];

    /// <summary>Unmanaged VMs found where they should not be (stopped target role, banned, on several nodes): reported, not touched.</summary>
    public ImmutableArray<string> Reports { get; init; } = [];

    /// <summary>Where the plan leaves <paramref name="vm"/> (null: nowhere) and whether the engine left it alone (unmanaged).</summary>
    /// <exception cref="ArgumentException">No VM of that name was in the input.</exception>
    public (string? Node, bool Unmanaged) Outcome(string vm)
    {
        var d = decisions[Index(vm)];
        return (d.To >= 0 ? nodeNames[d.To] : null, d.Kind == DecisionKind.Unmanaged);
    }

    private int Index(string vm)
    {
        ArgumentNullException.ThrowIfNull(vm);
        var i = Array.BinarySearch(vmNames, vm, StringComparer.Ordinal);
        return i >= 0 ? i : throw new ArgumentException($"no VM named '{vm}' in this plan", nameof(vm));
    }

    /// <summary>The scores and rules that put <paramref name="vm"/> where it is, one line each.</summary>
    /// <exception cref="ArgumentException">No VM of that name was in the input.</exception>
    public IReadOnlyList<string> Explain(string vm)
    {
        var d = decisions[Index(vm)];
        var lines = new List<string>();
        var inv = CultureInfo.InvariantCulture;
        string Node(int n) => nodeNames[n];
        switch (d.Kind)
        {
            case DecisionKind.NotWanted:
                lines.Add($"{vm}: target role is Stopped" + (d.From >= 0 ? $", stop it on {Node(d.From)}" : ", stays stopped"));
                return lines;
            case DecisionKind.Unmanaged:
                lines.Add(d.To >= 0 ? $"{vm}: unmanaged (or its node {Node(d.To)} is in maintenance): left running there, its room counted"
                    : $"{vm}: unmanaged: left stopped");
                return lines;
            case DecisionKind.LeftOnLostNode:
                lines.Add($"{vm}: target role is Stopped; it was on lost node {Node(d.From)}, fencing stops it");
                return lines;
            case DecisionKind.Stayed:
                lines.Add(d.Notes is null
                    ? string.Create(inv, $"{vm}: stays on {Node(d.To)}: score {d.Score} = preference {d.Score - d.Stickiness} + stickiness {d.Stickiness}, no node scores higher, and it fits")
                    : string.Create(inv, $"{vm}: stays on {Node(d.To)}: score {d.Score} = preference and colocation + stickiness {d.Stickiness}, no node scores higher, and it fits"));
                lines.AddRange((d.Notes ?? []).Select(n => "  " + n));
                return lines;
        }

        lines.Add(d.Reason switch
        {
            PlaceReason.FromLostNode => $"{vm}: was running on lost node {Node(d.From)}: fence it, then start elsewhere",
            PlaceReason.NotRunning => $"{vm}: not running: start it",
            PlaceReason.CurrentBanned => $"{vm}: its score on its node {Node(d.From)} is negative (banned): must leave",
            PlaceReason.NodeStandby => $"{vm}: its node {Node(d.From)} is in standby: must leave",
            PlaceReason.Failed => $"{vm}: failed on {Node(d.From)}: recover it (stop, then start where it scores best)",
            PlaceReason.Colocation => $"{vm}: a colocation bans its node {Node(d.From)}: must leave",
            PlaceReason.CurrentFull => $"{vm}: no longer fits on {Node(d.From)} (higher priority VMs took the room)",
            _ => $"{vm}: a node scores higher than {Node(d.From)} with stickiness",
        });
        if (d.Notes is not null)
        {
            lines.Add("colocation:");
            lines.AddRange(d.Notes.Select(n => "  " + n));
        }
        lines.Add($"placement-strategy {strategy.ToString().ToLowerInvariant()}, priority {d.Priority}; candidates:");
        if (d.Candidates is null) lines.Add(string.Create(inv, $"  (not recorded: only the first {RecordedCandidates} VMs placed keep their candidates)"));
        foreach (var c in d.Candidates ?? [])
        {
            var what = c.Score < 0 ? "banned"
                : !c.Online ? "not online"
                : !c.Fits ? "no room" : "eligible";
            lines.Add(string.Create(inv, $"  {Node(c.Node)}: score {c.Score}, {what}, free cpu {Free(c.FreeCpu)} memory {Free(c.FreeMemory)}, {c.Vms} VMs"));
        }
        lines.Add(d.Kind == DecisionKind.Unplaced
            ? $"{vm}: cannot place: no online node both allowed and with room"
            : $"{vm}: chose {Node(d.To)} (highest score, ties broken by {TieBreak(strategy)}, then name)");
        return lines;
    }

    private static string Free(long value) => value >= long.MaxValue / 2 ? "unlimited" : value.ToString(CultureInfo.InvariantCulture);

    private static string TieBreak(PlacementStrategy s) => s switch
    {
        PlacementStrategy.Balanced => "more free capacity in more dimensions, then fewest resources, then the node it runs on",
        PlacementStrategy.Minimal => "first node in name order",
        _ => "fewest resources, then the node it runs on",
    };
}

internal enum DecisionKind : byte { Stayed, Placed, Unplaced, NotWanted, LeftOnLostNode, Unmanaged }

internal enum PlaceReason : byte { None, FromLostNode, NotRunning, CurrentBanned, CurrentFull, BetterScore, Colocation, NodeStandby, Failed }

internal readonly record struct Candidate(int Node, int Score, bool Online, bool Fits, long FreeCpu, long FreeMemory, int Vms);

internal struct Decision
{
    public DecisionKind Kind;
    public PlaceReason Reason;
    public int From;
    public int To;
    public int Score;
    public int Stickiness;
    public int Priority;
    public Candidate[]? Candidates;
    public List<string>? Notes; // colocation, one line per constraint (only for constrained VMs)
}
