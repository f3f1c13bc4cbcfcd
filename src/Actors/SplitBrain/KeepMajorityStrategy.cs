namespace Haven.Actors.SplitBrain;

/// <summary>
/// keep-majority (the default): the side with more members of the last stable view survives. A tie is
/// resolved so that exactly one side survives whenever both sides decide from the same facts
/// (docs/split-brain.md proves it for every split of 2..7 nodes):
/// <list type="number">
/// <item>More members wins; IP heuristics never outweigh a real member (the extra heuristic vote counts
/// only when the totals would otherwise tie).</item>
/// <item>On a tie with heuristics enabled and both results known: the side that reaches every heuristic
/// address beats the side that does not.</item>
/// <item>A remaining tie (heuristics off, or both sides reach, or neither) goes to the side holding the
/// lowest node id.</item>
/// <item>On a tie with heuristics enabled but the other side's result unknown, this side cannot tell
/// rules 2 and 3 apart, so it survives only if both would let it: it holds the lowest node id AND
/// reaches the heuristic addresses. This never yields two survivors, but may yield none (the lowest
/// side is cut off from the heuristic addresses). No rule using only local facts can do better: see
/// the proof in docs/split-brain.md.</item>
/// </list>
/// An unknown result for this side (<see cref="SplitBrainView.HeuristicsReachable"/> null) counts as not reaching.
/// </summary>
public sealed class KeepMajorityStrategy(bool useHeuristics) : DowningStrategy
{
    public bool UseHeuristics { get; } = useHeuristics;

    public override string Name => "keep-majority";

    protected override SplitBrainDecision DecideSplit(SplitBrainView view)
    {
        int mine = view.Reachable.Count, theirs = view.Unreachable.Count;
        if (mine > theirs)
            return SplitBrainDecision.DownUnreachable(view, $"this side has the majority ({mine} of {mine + theirs})");
        if (mine < theirs)
            return SplitBrainDecision.DownReachable(view, $"this side is the minority ({mine} of {mine + theirs})");

        var lowest = view.All.Min;
        if (!UseHeuristics)
            return LowestWins(view, lowest, "tie");

        var here = view.HeuristicsReachable ?? false;
        if (view.OtherSideHeuristicsReachable is { } there)
        {
            if (here && !there)
                return SplitBrainDecision.DownUnreachable(view, "tie; only this side reaches the heuristic addresses");
            if (!here && there)
                return SplitBrainDecision.DownReachable(view, "tie; only the other side reaches the heuristic addresses");
            return LowestWins(view, lowest, here ? "tie; both sides reach the heuristic addresses" : "tie; neither side reaches the heuristic addresses");
        }
        if (!here)
            return SplitBrainDecision.DownReachable(view, "tie; this side does not reach the heuristic addresses");
        return view.HoldsLowestNode
            ? SplitBrainDecision.DownUnreachable(view, $"tie; this side reaches the heuristic addresses and holds the lowest node {lowest}")
            : SplitBrainDecision.DownReachable(view, $"tie; the other side's heuristic result is unknown and it holds the lowest node {lowest}");
    }

    private static SplitBrainDecision LowestWins(SplitBrainView view, Membership.NodeId lowest, string why) =>
        view.HoldsLowestNode
            ? SplitBrainDecision.DownUnreachable(view, $"{why}; this side holds the lowest node {lowest}")
            : SplitBrainDecision.DownReachable(view, $"{why}; the other side holds the lowest node {lowest}");
}
