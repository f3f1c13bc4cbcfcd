using System.Collections.Immutable;
using Haven.Actors.Cluster;
using Haven.Actors.Fencing;
using Haven.Actors.Membership;
using Haven.Actors.Runtime;
using Microsoft.Extensions.Logging;

namespace Haven.Actors.Coordinator;

/// <summary>
/// The DC's fencing bookkeeping, and the verdict on each fence outcome; which fences to request, start or wait for
/// (the two-host priority delay) is decided in <see cref="DcRound"/>. The fence itself — the fencing rules and the
/// devices — is the <see cref="FenceActor"/>'s, a child of this actor, which answers every <see cref="FenceNode"/>
/// with a <see cref="FenceOutcome"/>.
/// </summary>
public sealed partial class CoordinatorActor
{
    // Fences under way: asked of the fence actor, or a confirmation proposed.
    private readonly SortedSet<NodeId> _fencing = [];
    private readonly SortedDictionary<NodeId, DateTimeOffset> _fenceRetryAt = new();

    // Fences this DC saw succeed whose FenceSucceeded may have been lost to a membership change (the
    // fenced node's own departure often is one): proposed again without powering the node off twice.
    // Keyed by the fence request (the stream position of its FenceRequested): a confirmation never
    // answers a later request for the same node.
    private readonly SortedDictionary<NodeId, (long RequestAt, string Device, double? Seconds)> _fenceConfirmed = new();
    private readonly SortedDictionary<NodeId, (long RequestAt, DateTimeOffset At)> _fenceNotBefore = new();

    // Fences that failed as impossible (fencing off, no device for the node): journaled once, and not
    // requested again while the fencing rules are the ones they failed under.
    private readonly SortedDictionary<NodeId, FencingPolicy> _fenceImpossible = new();

    // The same, kept across the node's rejoins: an on-fail fence of a VM on a node that cannot be fenced under these rules
    // is not asked again and again (it would down, fail to fence and readmit the node for ever).
    private readonly SortedDictionary<NodeId, FencingPolicy> _fenceNeverPossible = new();

    // Verdicts on fence outcomes sent to the ClusterActor and not yet accepted: their fence still counts as under way.
    private readonly Dictionary<(NodeId Node, long RequestAt), (FenceOutcome Outcome, Verdict Verdict)> _verdicts = [];

    private IActorRef? _fenceActor;

    /// <summary>The child that fences (created at the first fence).</summary>
    private IActorRef FenceActorRef => _fenceActor ??= Context.ActorOf(FenceActor.Props(_fencer, _selfReboot), "fence");

    /// <summary>An applied batch: a closed request is no longer under way, an operator's confirmation ends its retries, a join its impossibility.</summary>
    private void OnApplied(DcApplied applied)
    {
        _facts = applied.Facts;
        foreach (var e in applied.Events)
        {
            switch (e)
            {
                case FenceSucceeded f:
                    // The request is closed: nothing is in flight for it any more, also when this DC only re-proposed a
                    // confirmation it had (which, unlike a fence, has no outcome to clear it) — else a later request
                    // for the same node is never started by this DC.
                    _fenceConfirmed.Remove(f.Target);
                    _fencing.Remove(f.Target);
                    break;
                case FenceConfirmed f: // the operator's word closes the request: nothing of it is retried or re-proposed
                    // A re-proposed confirmation has no outcome to clear it (as for FenceSucceeded): else the node stays in
                    // flight on this DC and a later request for it is never started.
                    if (_fenceConfirmed.Remove(f.Target)) _fencing.Remove(f.Target);
                    _fenceRetryAt.Remove(f.Target);
                    _fenceNotBefore.Remove(f.Target);
                    _fenceImpossible.Remove(f.Target);
                    break;
                case NodeJoined j: // a later loss of the node is journaled afresh
                    _fenceImpossible.Remove(j.Node);
                    break;
            }
        }
    }

    /// <summary>FenceRetryDelay, doubling with each consecutive failure up to 5 minutes (a dead fence device must not flood the journal).</summary>
    private TimeSpan FenceRetryDelay(int failuresBefore)
    {
        var max = TimeSpan.FromMinutes(5);
        var delay = _fenceRetryDelay;
        for (var i = 0; i < failuresBefore && delay < max; i++) delay *= 2;
        return delay < max ? delay : max;
    }

    /// <summary>The verdict on an outcome, on the facts this actor has; the ClusterActor accepts it or sends newer facts.</summary>
    private void OnFenceOutcome(FenceOutcome outcome)
    {
        var verdict = VerdictOn(outcome);
        _verdicts[(outcome.Node, outcome.RequestAt)] = (outcome, verdict);
        Context.Parent.Tell(new DcOutcomeProposal(_facts.Version, _facts.ViewId, outcome, verdict.Events), Self);
    }

    private Verdict VerdictOn(FenceOutcome outcome)
    {
        var node = outcome.Node;
        if (!_facts.Dc || !_facts.State.PendingFences.ContainsKey(node) || _facts.RequestAt.GetValueOrDefault(node) != outcome.RequestAt)
            return Verdict.Ignore;
        double? seconds = outcome.Seconds;
        if (outcome.Result.Success)
            return new Verdict(VerdictKind.Fenced, [new FenceSucceeded(node, outcome.Result.Device, seconds)]);
        if (FencingRules.AfterFailure(_facts.Policy) == FailedFenceRecovery.RecoverAnyway)
            return new Verdict(VerdictKind.RecoverAnyway, [new FenceFailed(node, outcome.Result.Detail, seconds), new NodeFenced(node, ClusterActor.UnconfirmedDevice)]);
        if (outcome.Result.Impossible)
            return new Verdict(VerdictKind.Impossible, [new FenceFailed(node, $"{outcome.Result.Detail}; not retried until the fencing rules change", seconds)])
                { Policy = _facts.Policy };
        var failures = _facts.State.Nodes.GetValueOrDefault(node)?.FenceFailures ?? 0; // before this one
        var delay = FenceRetryDelay(failures);
        return new Verdict(VerdictKind.Failed, [new FenceFailed(node, outcome.Result.Detail, seconds)]) { Delay = delay, RetryAt = Now + delay };
    }

    /// <summary>The verdict was replicated (or had nothing to replicate, on current facts): the fence is over, and what it taught is kept.</summary>
    private void OnOutcomeAccepted(FenceOutcome accepted)
    {
        if (!_verdicts.Remove((accepted.Node, accepted.RequestAt), out var pending)) return;
        var (outcome, verdict) = pending;
        var node = outcome.Node;
        _fencing.Remove(node);
        // Every open request is either in flight on this DC or closed. A round skips a node whose attempt is under way,
        // and the attempt may answer an earlier request (started before that one closed and this one opened, as a new DC
        // re-asks a fence its predecessor saw fail): ignored, it replicates nothing, so no applied event brings the
        // round that starts the open request — this asks for it (seeds 1911656740, 1785090212: a Down member, never fenced).
        if (verdict.Events.IsEmpty) Context.Parent.Tell(DcRoundDue.Instance, Self);
        if (verdict.Kind == VerdictKind.Ignore) return;
        _fenceNotBefore.Remove(node);
        switch (verdict.Kind)
        {
            case VerdictKind.Fenced:
                Log.LogInformation("Fenced {Node} via {Device} in {Seconds} s", NameOf(node), outcome.Result.Device, (double?)outcome.Seconds);
                _fenceRetryAt.Remove(node);
                _fenceConfirmed[node] = (outcome.RequestAt, outcome.Result.Device, outcome.Seconds);
                break;
            case VerdictKind.RecoverAnyway:
                // HA-Lizard's FENCE_HA_ONFAIL: unsafe by choice of the operator, and said so in the journal.
                Log.LogError("Fencing {Node} failed: {Reason}; recover-on-failure is on, so its resources are recovered WITHOUT confirmation that it is off",
                    NameOf(node), outcome.Result.Detail);
                break;
            case VerdictKind.Impossible:
                Log.LogError("Fencing {Node} is impossible: {Reason}; its resources stay where they are; not retried until the fencing rules change or an operator confirms it off (haven fence confirm)",
                    NameOf(node), outcome.Result.Detail);
                _fenceRetryAt.Remove(node);
                _fenceImpossible[node] = verdict.Policy;
                _fenceNeverPossible[node] = verdict.Policy;
                break;
            case VerdictKind.Failed:
                Log.LogError("Fencing {Node} failed: {Reason}; its resources stay where they are until it is fenced; next attempt in {Delay}",
                    NameOf(node), outcome.Result.Detail, verdict.Delay);
                _fenceRetryAt[node] = verdict.RetryAt;
                break;
        }
    }

    private enum VerdictKind
    {
        Ignore,
        Fenced,
        RecoverAnyway,
        Impossible,
        Failed,
    }

    /// <summary>What an outcome makes the DC propose, and what it keeps once that was accepted.</summary>
    private sealed record Verdict(VerdictKind Kind, ImmutableArray<IClusterEvent> Events)
    {
        public static readonly Verdict Ignore = new(VerdictKind.Ignore, []);

        public FencingPolicy Policy { get; init; } = new();
        public TimeSpan Delay { get; init; }
        public DateTimeOffset RetryAt { get; init; }
    }
}
