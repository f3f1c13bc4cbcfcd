using Haven.Actors.Fencing;
using Haven.Actors.Membership;

namespace Haven.Actors.Cluster;

/// <summary>
/// What the DC's fencing reads from this actor: the stream position of each open request (kept by every host, and in
/// its snapshots, so a new DC knows it), the fencing rules now, and quorum as fencing counts it. The bookkeeping of
/// the fences, the verdicts on their outcomes and the <see cref="FenceActor"/> are the <see cref="Coordinator.CoordinatorActor"/>'s.
/// </summary>
public sealed partial class ClusterActor
{
    private readonly SortedDictionary<NodeId, long> _fenceRequestAt = new();
    private (IReadOnlyDictionary<string, string>? Settings, FencingPolicy Policy) _fencingPolicy;

    /// <summary>The device a <see cref="NodeFenced"/> names when recover-on-failure recovered a host that was never confirmed off.</summary>
    public const string UnconfirmedDevice = "none: NOT confirmed off (recover-on-failure)";

    /// <summary>
    /// The fencing rules now: this host's own, with the rules set cluster-wide taken from the replicated
    /// state, so that <c>haven config set haven.fencing.min-hosts 3</c> holds from the next fence on.
    /// Resolved again only when the cluster-wide settings changed.
    /// </summary>
    private FencingPolicy FencingPolicyNow()
    {
        if (!ReferenceEquals(_fencingPolicy.Settings, _state.Settings))
            _fencingPolicy = (_state.Settings, FencingRulesConfig.Live(_options.Fencing, ResolvedSettings()));
        return _fencingPolicy.Policy;
    }

    /// <summary>
    /// Quorum as quorum-required means it: Corosync's votequorum, except in a two-host cluster, where (as in
    /// HA-Lizard) the split-brain resolver's decision — the heuristics — stands in for the missing majority.
    /// Without a quorum provider (a one-host transport) the primary partition counts as quorate.
    /// </summary>
    private bool QuorateForFencing => _configured.Count == 2 ? _role == PartitionRole.Primary : _quorum?.Quorate ?? true;
}
