using System.Collections.Immutable;
using Haven.Actors.Membership;

namespace Haven.Actors.SplitBrain;

/// <summary>A configured node with its age: a lower <see cref="JoinOrder"/> joined the cluster earlier (is older).</summary>
public sealed record ConfiguredNode(NodeId Id, long JoinOrder);

/// <summary>
/// What one side knows when it decides: the last stable membership split into the members this node
/// reaches (itself included) and those it does not, the configured nodes with their age, and optional
/// extra verdicts. <see cref="HeuristicsReachable"/> is whether this side reaches every configured
/// heuristic address; <see cref="OtherSideHeuristicsReachable"/> is the other side's result when this side
/// knows it (for example from a witness), otherwise null. <see cref="EngineQuorate"/> is votequorum's verdict.
/// </summary>
public sealed record SplitBrainView(
    ImmutableSortedSet<NodeId> Reachable,
    ImmutableSortedSet<NodeId> Unreachable,
    ImmutableArray<ConfiguredNode> Configured,
    bool? EngineQuorate = null,
    bool? HeuristicsReachable = null,
    bool? OtherSideHeuristicsReachable = null)
{
    /// <summary>Every member of the last stable view: reachable and unreachable.</summary>
    public ImmutableSortedSet<NodeId> All => Reachable.Union(Unreachable);

    /// <summary>Whether this side holds the lowest node id of the last stable view.</summary>
    public bool HoldsLowestNode => !Reachable.IsEmpty && (Unreachable.IsEmpty || Reachable.Min < Unreachable.Min);

    /// <summary>Throws <see cref="ArgumentException"/> naming what is wrong with the view.</summary>
    public void Validate()
    {
        if (Reachable.IsEmpty)
            throw new ArgumentException("The view has no reachable member; this node itself is always reachable.", nameof(Reachable));
        var both = Reachable.Intersect(Unreachable);
        if (!both.IsEmpty)
            throw new ArgumentException($"Nodes {string.Join(", ", both)} are both reachable and unreachable.", nameof(Unreachable));
        var configured = Configured.Select(c => c.Id).ToHashSet();
        if (configured.Count != Configured.Length)
            throw new ArgumentException("The configured node list names a node twice.", nameof(Configured));
        var unknown = All.Where(n => !configured.Contains(n)).ToList();
        if (unknown.Count > 0)
            throw new ArgumentException($"Nodes {string.Join(", ", unknown)} are members but not configured.", nameof(Configured));
    }
}

/// <summary>What the decision downs: the other side (this side survives), this side (it demotes), or everyone.</summary>
public enum DowningDecisionKind
{
    DownUnreachable,
    DownReachable,
    DownAll,
}

/// <summary>A split-brain decision: its kind, the nodes to down (sorted) and a reason for the log. Equality compares contents.</summary>
public sealed record SplitBrainDecision(DowningDecisionKind Kind, ImmutableSortedSet<NodeId> NodesToDown, string Reason)
{
    /// <summary>Whether the deciding side keeps running (it downs only the unreachable nodes).</summary>
    public bool ThisSideSurvives => Kind == DowningDecisionKind.DownUnreachable;

    public static SplitBrainDecision DownUnreachable(SplitBrainView view, string reason) =>
        new(DowningDecisionKind.DownUnreachable, view.Unreachable, reason);

    public static SplitBrainDecision DownReachable(SplitBrainView view, string reason) =>
        new(DowningDecisionKind.DownReachable, view.Reachable, reason);

    public static SplitBrainDecision DownAll(SplitBrainView view, string reason) =>
        new(DowningDecisionKind.DownAll, view.All, reason);

    public bool Equals(SplitBrainDecision? other) =>
        other is not null && Kind == other.Kind && NodesToDown.SetEquals(other.NodesToDown) && Reason == other.Reason;

    public override int GetHashCode() => HashCode.Combine(Kind, NodesToDown.Count, Reason);
}
