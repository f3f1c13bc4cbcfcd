using System.Collections.Immutable;
using Haven.Actors.Cluster;
using Haven.Actors.Fencing;
using Haven.Actors.Membership;

namespace Haven.Actors.Coordinator;

/// <summary>
/// What the ClusterActor knows and the DC's round reads, as of one state: <see cref="Version"/> counts the states the
/// ClusterActor has applied (every applied event, every installed snapshot), <see cref="ViewId"/> is its view. A
/// proposal decided on these facts is replicated only while both are still the ClusterActor's (see
/// <see cref="CoordinatorActor"/>); <see cref="Dc"/> says whether this host is the DC of a synced primary now.
/// </summary>
public sealed record DcFacts
{
    public required long Version { get; init; }
    public required long ViewId { get; init; }
    public required bool Dc { get; init; }
    public required ClusterState State { get; init; }
    public required ImmutableArray<Member> View { get; init; }
    public required ImmutableArray<NodeId> ViewIds { get; init; }
    public required ImmutableSortedSet<NodeId> Configured { get; init; }
    public required ImmutableArray<Member> Nodes { get; init; }
    public ImmutableArray<PublicAddress> PublicAddresses { get; init; } = [];
    public ImmutableHashSet<NodeId> Restarted { get; init; } = [];

    /// <summary>The fencing rules now (this host's, with the cluster-wide settings from the state).</summary>
    public FencingPolicy Policy { get; init; } = new();

    public bool Quorate { get; init; } = true;

    /// <summary>The stream position of each open request's FenceRequested (the ClusterActor keeps it: it is in its snapshots).</summary>
    public ImmutableDictionary<NodeId, long> RequestAt { get; init; } = ImmutableDictionary<NodeId, long>.Empty;
}

// ---- ClusterActor -> CoordinatorActor ----------------------------------------------------------

/// <summary>A batch was applied: the DC's bookkeeping follows the <paramref name="Events"/>, and the facts are the new state's.</summary>
public sealed record DcApplied(ImmutableArray<IClusterEvent> Events, DcFacts Facts);

/// <summary>The membership changed: nothing is in flight any more (a late fence outcome is still heard).</summary>
public sealed record DcViewChanged(DcFacts Facts);

/// <summary>Decide one round on these facts and answer with <see cref="DcProposals"/> carrying <paramref name="Round"/>.</summary>
public sealed record DecideRound(long Round, DcFacts Facts);

/// <summary>The proposals of <paramref name="Round"/> were decided on facts older than the ClusterActor's: not replicated.</summary>
public sealed record DcRoundDropped(long Round, ImmutableArray<NodeId> Reproposed);

/// <summary>The events proposed for <paramref name="Outcome"/> were replicated (or there were none, on current facts): keep what it taught.</summary>
public sealed record DcOutcomeAccepted(FenceOutcome Outcome);

/// <summary>The verdict on <paramref name="Outcome"/> was reached on stale facts: nothing of it was replicated; decide it again on the facts sent since.</summary>
public sealed record DcOutcomeDropped(FenceOutcome Outcome, DcFacts Facts);

// ---- CoordinatorActor -> ClusterActor ----------------------------------------------------------

/// <summary>
/// A round's proposals: <paramref name="Batches"/> in order (the round's events, then each re-proposed fence
/// confirmation alone), decided on the facts of <paramref name="Version"/> and <paramref name="ViewId"/>.
/// </summary>
public sealed record DcProposals(long Round, long Version, long ViewId, ImmutableArray<ImmutableArray<IClusterEvent>> Batches, ImmutableArray<NodeId> Reproposed);

/// <summary>What a fence outcome makes the DC propose (possibly nothing), decided on the facts of <paramref name="Version"/>.</summary>
public sealed record DcOutcomeProposal(long Version, long ViewId, FenceOutcome Outcome, ImmutableArray<IClusterEvent> Events);

/// <summary>The coordinator restarted after a failure: a round it was deciding is lost, and its bookkeeping starts afresh.</summary>
public sealed record DcRestarted
{
    public static readonly DcRestarted Instance = new();
}

/// <summary>A wake-up of the DC came due (a fence retry, a priority delay, a group start delay), or a fence attempt ended with nothing to replicate: the ClusterActor starts a round.</summary>
public sealed record DcRoundDue
{
    public static readonly DcRoundDue Instance = new();
}
