using Haven.Actors.Membership;

namespace Haven.Actors.SplitBrain;

/// <summary>
/// A split-brain strategy: a pure decision over one side's last stable view. Every strategy answers
/// "nothing to down" (<see cref="DowningDecisionKind.DownUnreachable"/> with an empty set) when no
/// member is unreachable.
/// </summary>
public abstract class DowningStrategy
{
    public abstract string Name { get; }

    public SplitBrainDecision Decide(SplitBrainView view)
    {
        ArgumentNullException.ThrowIfNull(view);
        view.Validate();
        return view.Unreachable.IsEmpty
            ? SplitBrainDecision.DownUnreachable(view, "no member is unreachable")
            : DecideSplit(view);
    }

    protected abstract SplitBrainDecision DecideSplit(SplitBrainView view);
}

/// <summary>
/// static-quorum: the side with at least <see cref="QuorumSize"/> members survives, a smaller side downs
/// itself. Settings validation requires more than half of the configured nodes, so two sides never both
/// survive (both may lose).
/// </summary>
public sealed class StaticQuorumStrategy(int quorumSize) : DowningStrategy
{
    public int QuorumSize { get; } = quorumSize;

    public override string Name => "static-quorum";

    protected override SplitBrainDecision DecideSplit(SplitBrainView view) =>
        view.Reachable.Count >= QuorumSize
            ? SplitBrainDecision.DownUnreachable(view, $"{view.Reachable.Count} reachable members meet quorum-size {QuorumSize}")
            : SplitBrainDecision.DownReachable(view, $"{view.Reachable.Count} reachable members are below quorum-size {QuorumSize}");
}

/// <summary>
/// keep-oldest: the side holding the oldest member (lowest join order, then lowest node id) survives.
/// With <see cref="DownIfAlone"/>, an oldest member that is alone on its side while the other side has
/// two or more members gives way: its side downs itself and the other side survives.
/// </summary>
public sealed class KeepOldestStrategy(bool downIfAlone) : DowningStrategy
{
    public bool DownIfAlone { get; } = downIfAlone;

    public override string Name => "keep-oldest";

    protected override SplitBrainDecision DecideSplit(SplitBrainView view)
    {
        var age = view.Configured.ToDictionary(c => c.Id, c => c.JoinOrder);
        var oldest = view.All.OrderBy(n => age[n]).ThenBy(n => n).First();
        var oldestHere = view.Reachable.Contains(oldest);
        var oldestSide = oldestHere ? view.Reachable : view.Unreachable;
        var otherSide = oldestHere ? view.Unreachable : view.Reachable;
        if (DownIfAlone && oldestSide.Count == 1 && otherSide.Count >= 2)
        {
            return oldestHere
                ? SplitBrainDecision.DownReachable(view, $"oldest member {oldest} is alone; the other side survives")
                : SplitBrainDecision.DownUnreachable(view, $"oldest member {oldest} is alone on the other side; this side survives");
        }
        return oldestHere
            ? SplitBrainDecision.DownUnreachable(view, $"this side holds the oldest member {oldest}")
            : SplitBrainDecision.DownReachable(view, $"the oldest member {oldest} is on the other side");
    }
}

/// <summary>
/// keep-referee: the side that reaches the referee node survives if it has at least
/// <see cref="MinimumMembers"/> members, otherwise everyone is downed; a side without the referee downs itself.
/// </summary>
public sealed class KeepRefereeStrategy(NodeId referee, int minimumMembers) : DowningStrategy
{
    public NodeId Referee { get; } = referee;

    public int MinimumMembers { get; } = minimumMembers;

    public override string Name => "keep-referee";

    protected override SplitBrainDecision DecideSplit(SplitBrainView view)
    {
        if (!view.Reachable.Contains(Referee))
            return SplitBrainDecision.DownReachable(view, $"the referee {Referee} is not reachable");
        return view.Reachable.Count >= MinimumMembers
            ? SplitBrainDecision.DownUnreachable(view, $"this side reaches the referee {Referee}")
            : SplitBrainDecision.DownAll(view, $"the referee's side has {view.Reachable.Count} members, fewer than {MinimumMembers}");
    }
}

/// <summary>down-all: any unreachable member downs the whole cluster (an operator brings it back).</summary>
public sealed class DownAllStrategy : DowningStrategy
{
    public override string Name => "down-all";

    protected override SplitBrainDecision DecideSplit(SplitBrainView view) =>
        SplitBrainDecision.DownAll(view, $"{view.Unreachable.Count} members are unreachable and the strategy downs all");
}

/// <summary>
/// votequorum: the engine decides. A quorate side survives; a side that is not quorate, or has no
/// verdict yet, downs itself. votequorum never makes two partitions quorate.
/// </summary>
public sealed class VoteQuorumStrategy : DowningStrategy
{
    public override string Name => "votequorum";

    protected override SplitBrainDecision DecideSplit(SplitBrainView view) => view.EngineQuorate switch
    {
        true => SplitBrainDecision.DownUnreachable(view, "votequorum reports this partition quorate"),
        false => SplitBrainDecision.DownReachable(view, "votequorum reports this partition not quorate"),
        null => SplitBrainDecision.DownReachable(view, "votequorum has given no verdict for this partition"),
    };
}
