using Haven.Actors.Fencing;
using Haven.Actors.Membership;
using Haven.Actors.Runtime;
using Microsoft.Extensions.Logging;

namespace Haven.Actors.Cluster;

/// <summary>
/// The DC's fencing bookkeeping, outcomes, retries and the events they propose; which fences to request, start or
/// wait for (the two-host priority delay) is decided in <see cref="Coordinator.DcRound"/>. The fence itself — the fencing rules and the devices — is the <see cref="FenceActor"/>'s, a
/// child of this actor, which answers every <see cref="FenceNode"/> with a <see cref="FenceOutcome"/>.
/// </summary>
public sealed partial class ClusterActor
{
    private readonly SortedSet<NodeId> _fencing = [];
    private readonly SortedDictionary<NodeId, DateTimeOffset> _fenceRetryAt = new();

    // Fences this DC saw succeed whose FenceSucceeded may have been lost to a membership change (the
    // fenced node's own departure often is one): proposed again without powering the node off twice.
    // Keyed by the fence request (the stream position of its FenceRequested): a confirmation never
    // answers a later request for the same node.
    private readonly SortedDictionary<NodeId, (long RequestAt, string Device, double? Seconds)> _fenceConfirmed = new();
    private readonly SortedDictionary<NodeId, long> _fenceRequestAt = new();
    private readonly SortedDictionary<NodeId, (long RequestAt, DateTimeOffset At)> _fenceNotBefore = new();

    // Fences that failed as impossible (fencing off, no device for the node): journaled once, and not
    // requested again while the fencing rules are the ones they failed under.
    private readonly SortedDictionary<NodeId, FencingPolicy> _fenceImpossible = new();

    // The same, kept across the node's rejoins: an on-fail fence of a VM on a node that cannot be fenced under these rules
    // is not asked again and again (it would down, fail to fence and readmit the node for ever).
    private readonly SortedDictionary<NodeId, FencingPolicy> _fenceNeverPossible = new();

    private IActorRef? _fenceActor;
    private (IReadOnlyDictionary<string, string>? Settings, FencingPolicy Policy) _fencingPolicy;

    /// <summary>The device a <see cref="NodeFenced"/> names when recover-on-failure recovered a host that was never confirmed off.</summary>
    public const string UnconfirmedDevice = "none: NOT confirmed off (recover-on-failure)";

    /// <summary>The child that fences (created at the first fence).</summary>
    private IActorRef FenceActorRef => _fenceActor ??= Context.ActorOf(FenceActor.Props(_deps.Fencer, _deps.SelfReboot), "fence");

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

    /// <summary>FenceRetryDelay, doubling with each consecutive failure up to 5 minutes (a dead fence device must not flood the journal).</summary>
    private TimeSpan FenceRetryDelay(int failuresBefore)
    {
        var max = TimeSpan.FromMinutes(5);
        var delay = _options.FenceRetryDelay;
        for (var i = 0; i < failuresBefore && delay < max; i++) delay *= 2;
        return delay < max ? delay : max;
    }

    private void OnFenceOutcome(FenceOutcome outcome)
    {
        _fencing.Remove(outcome.Node);
        if (!IsDc || !_state.PendingFences.ContainsKey(outcome.Node) || _fenceRequestAt.GetValueOrDefault(outcome.Node) != outcome.RequestAt) return;
        var now = Context.System.TimeProvider.GetUtcNow();
        double? seconds = outcome.Seconds;
        _fenceNotBefore.Remove(outcome.Node);
        if (outcome.Result.Success)
        {
            Log.LogInformation("Fenced {Node} via {Device} in {Seconds} s", NameOf(outcome.Node), outcome.Result.Device, seconds);
            _fenceRetryAt.Remove(outcome.Node);
            _fenceConfirmed[outcome.Node] = (outcome.RequestAt, outcome.Result.Device, seconds);
            Propose([new FenceSucceeded(outcome.Node, outcome.Result.Device, seconds)]);
        }
        else if (FencingRules.AfterFailure(FencingPolicyNow()) == FailedFenceRecovery.RecoverAnyway)
        {
            // HA-Lizard's FENCE_HA_ONFAIL: unsafe by choice of the operator, and said so in the journal.
            Log.LogError("Fencing {Node} failed: {Reason}; recover-on-failure is on, so its resources are recovered WITHOUT confirmation that it is off",
                NameOf(outcome.Node), outcome.Result.Detail);
            Propose([new FenceFailed(outcome.Node, outcome.Result.Detail, seconds), new NodeFenced(outcome.Node, UnconfirmedDevice)]);
        }
        else if (outcome.Result.Impossible)
        {
            Log.LogError("Fencing {Node} is impossible: {Reason}; its resources stay where they are; not retried until the fencing rules change or an operator confirms it off (haven fence confirm)",
                NameOf(outcome.Node), outcome.Result.Detail);
            _fenceRetryAt.Remove(outcome.Node);
            _fenceImpossible[outcome.Node] = FencingPolicyNow();
            _fenceNeverPossible[outcome.Node] = FencingPolicyNow();
            Propose([new FenceFailed(outcome.Node, $"{outcome.Result.Detail}; not retried until the fencing rules change", seconds)]);
        }
        else
        {
            var failures = _state.Nodes.GetValueOrDefault(outcome.Node)?.FenceFailures ?? 0; // before this one
            var delay = FenceRetryDelay(failures);
            Log.LogError("Fencing {Node} failed: {Reason}; its resources stay where they are until it is fenced; next attempt in {Delay}",
                NameOf(outcome.Node), outcome.Result.Detail, delay);
            _fenceRetryAt[outcome.Node] = now + delay;
            Propose([new FenceFailed(outcome.Node, outcome.Result.Detail, seconds)]);
        }
    }
}
