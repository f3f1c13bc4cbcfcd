using System.Collections.Immutable;
using Haven.Actors.Fencing;
using Haven.Actors.FloatingIps;
using Haven.Actors.Membership;
using Haven.Actors.Runtime;
using Microsoft.Extensions.Logging;

namespace Haven.Actors.Cluster;

/// <summary>
/// What the DC decides (membership, fencing, CTDB-style recovery), what every host does locally when an
/// event names it, demotion, and the reconciliation of local facts after a rejoin.
/// </summary>
public sealed partial class ClusterActor
{
    private int _proposalsInFlight;
    private bool _heuristicsReportPending;
    private readonly SortedSet<NodeId> _fencing = [];
    private readonly SortedDictionary<NodeId, DateTimeOffset> _fenceRetryAt = new();

    // Fences this DC saw succeed whose FenceSucceeded may have been lost to a membership change (the
    // fenced node's own departure often is one): proposed again without powering the node off twice.
    // Keyed by the fence request (the stream position of its FenceRequested): a confirmation never
    // answers a later request for the same node.
    private readonly SortedDictionary<NodeId, (long RequestAt, string Device, double? Seconds)> _fenceConfirmed = new();
    private readonly SortedDictionary<NodeId, long> _fenceRequestAt = new();
    private readonly SortedDictionary<NodeId, DateTimeOffset> _fenceStartedAt = new();
    private readonly SortedDictionary<NodeId, (long RequestAt, DateTimeOffset At)> _fenceNotBefore = new();

    /// <summary>The device a <see cref="NodeFenced"/> names when recover-on-failure recovered a host that was never confirmed off.</summary>
    public const string UnconfirmedDevice = "none: NOT confirmed off (recover-on-failure)";

    private bool IsDc => _role == PartitionRole.Primary && _viewSynced && DcOfView() == Me;

    private void ResetProposals()
    {
        _proposalsInFlight = 0;
        _heuristicsReportPending = false;
        _healthReportPending = false;
        _fencing.Clear();
    }

    private void OwnProposalDelivered()
    {
        if (_proposalsInFlight > 0) _proposalsInFlight--;
    }

    private void Propose(IReadOnlyList<IClusterEvent> events)
    {
        if (events.Count == 0) return;
        MulticastEvents(events);
        _proposalsInFlight++;
    }

    /// <summary>One event as itself, several as one <see cref="ReplicateBatch"/> (one multicast, one journal write on every host).</summary>
    private void MulticastEvents(IReadOnlyList<IClusterEvent> events)
    {
        if (events.Count == 1)
        {
            Multicast(events[0]);
            return;
        }
        var records = events.Select(e =>
        {
            var (manifest, payload) = Persistence.Serializer.Serialize(e);
            return new WireRecord(manifest, System.Text.Encoding.UTF8.GetString(payload));
        }).ToImmutableArray();
        Multicast(new ReplicateBatch(records));
    }

    /// <summary>
    /// The DC compares the state with the membership and the configuration and proposes the next batch
    /// of events. Each batch is checked against a scratch copy of the state, and the next round starts
    /// only once the DC's own proposals have been delivered, so nothing is proposed twice.
    /// </summary>
    private void Reconcile()
    {
        if (!IsDc || _proposalsInFlight > 0) return;
        var now = Context.System.TimeProvider.GetUtcNow();
        var plan = new Plan(_state);
        foreach (var member in _view) JoinIfNeeded(plan, member, now);
        if (plan.State.StateOf(Me) == NodeState.Up && plan.State.Dc != Me) plan.Add(new DcChanged(Me));
        foreach (var id in _configured.Where(n => !_viewIds.Contains(n))) DownIfLost(plan, id, now);
        ReportLostInMaintenance(plan.State);
        RecoverResources(plan);
        RecoverVms(plan);
        if (plan.Events.Count > 0) Propose(plan.Events);
        StartFencing();
    }

    /// <summary>
    /// A member of the view joins unless it is Down: a downed node that is still (or again) reachable was
    /// never confirmed off, so it is fenced first and rejoins after its restart (Pacemaker's unclean node).
    /// </summary>
    private void JoinIfNeeded(Plan plan, Member member, DateTimeOffset now)
    {
        var state = plan.State.StateOf(member.Id);
        if (state == NodeState.Down || plan.State.PendingFences.ContainsKey(member.Id))
        {
            RequestFence(plan, member.Id, now, "downed while still a member: it must be confirmed off before it rejoins");
            return;
        }
        var hello = _hellos.GetValueOrDefault(member.Id);
        var mayRejoin = state switch
        {
            null or NodeState.Fenced => true,
            NodeState.Left => hello?.Fresh == true, // a node that left comes back only by restarting
            _ => false,
        };
        if (mayRejoin) plan.Add(new NodeJoined(member.Id, member.Name));
        if (plan.State.StateOf(member.Id) is NodeState.Joining or NodeState.Unreachable) plan.Add(new NodeUp(member.Id));
    }

    private void DownIfLost(Plan plan, NodeId id, DateTimeOffset now)
    {
        var state = plan.State.StateOf(id);
        if (state is null or NodeState.Fenced or NodeState.Left or NodeState.Maintenance) return; // maintenance: never fenced
        if (state != NodeState.Down)
        {
            if (state != NodeState.Unreachable) plan.Add(new NodeUnreachable(id));
            plan.Add(new NodeDown(id, "lost from the membership; the split-brain resolver kept the other side"));
        }
        RequestFence(plan, id, now, "lost from the primary partition");
    }

    private void RequestFence(Plan plan, NodeId id, DateTimeOffset now, string reason)
    {
        if (plan.State.PendingFences.ContainsKey(id)) return;
        if (_fenceRetryAt.TryGetValue(id, out var at) && at > now)
        {
            Timers.StartSingleTimer($"fence-retry-{id.Value}", ReconcileTick.Instance, at - now);
            return;
        }
        plan.Add(new FenceRequested(id, Me, reason));
    }

    /// <summary>
    /// CTDB's order: startrecovery, releaseip for what fenced or departed hosts held (bookkeeping: they cannot be
    /// asked) and for what standby or unhealthy hosts hold (they release it themselves), takeip on the new
    /// holders, ipreallocated, recovered. Addresses on a host in maintenance never move.
    /// </summary>
    private void RecoverResources(Plan plan)
    {
        var state = plan.State;
        var configured = PublicAddressesNow();
        var configuredIps = configured.Select(a => a.Ip).ToHashSet(StringComparer.Ordinal);
        bool Pinned(IpAssignment a) => state.StateOf(a.Node) == NodeState.Maintenance;
        var gone = state.Ips.Values.Where(a => state.StateOf(a.Node) is NodeState.Fenced or NodeState.Left or null).ToList();
        var unconfigured = state.Ips.Values.Where(a => !configuredIps.Contains(a.Ip) && !Pinned(a) && !gone.Contains(a)).ToList();
        // While any node is unclean (down, not yet confirmed off) no address moves: it may hold addresses
        // this primary does not know of (events it applied alone before it was lost).
        var unclean = state.Nodes.Values.Any(n => n.State is NodeState.Down or NodeState.Unreachable);
        var eligible = unclean ? [] : _view.Select(m => m.Id)
            .Where(id => state.StateOf(id) == NodeState.Up && !state.Demoted.Contains(id)).ToList();
        var pinned = state.Ips.Values.Where(Pinned).Select(a => a.Ip).ToHashSet(StringComparer.Ordinal);
        var allocation = AddressAllocator.Allocate(
            configured.Where(a => !pinned.Contains(a.Ip)).Select(a => new FloatingAddress(a.Ip, a.Mask, a.Interface, NodeIdOf(a.PreferredHost), a.Group)),
            state.Ips.Values.Where(a => !Pinned(a) && configuredIps.Contains(a.Ip)).ToDictionary(a => a.Ip, a => a.Node),
            eligible);
        // Addresses move from fenced or departed holders (bookkeeping: they cannot be asked). A live holder that
        // may hold nothing (standby, unhealthy) releases its addresses itself and only then reports it
        // (HandOverAddresses), so the next holder never takes an address that is still on another interface.
        var freed = gone.Select(a => a.Ip).ToHashSet(StringComparer.Ordinal);
        var takes = allocation.Moves.Where(m => m.TakeOn is not null && (m.ReleaseFrom is null || freed.Contains(m.Ip))).ToList();
        var releases = gone.Concat(unconfigured).OrderBy(a => a.Ip, StringComparer.Ordinal).ToList();
        if (unclean) takes.Clear();
        var work = releases.Count > 0 || takes.Count > 0;
        if (work && !state.RecoveryInProgress) plan.Add(new RecoveryStarted(Me));
        if (!plan.State.RecoveryInProgress) return;
        foreach (var a in releases) plan.Add(new IpReleased(a.Interface, a.Ip, a.Mask, a.Node));
        foreach (var m in takes) plan.Add(new IpTaken(m.Interface, m.Ip, m.Mask, m.TakeOn!.Value));
        if (!work) // nothing left to move: close the round
        {
            plan.Add(new IpReallocated());
            plan.Add(new RecoveryCompleted());
        }
    }

    /// <summary>The configured public addresses and, after them, the extra ones (HA_IP_FILE) not configured already.</summary>
    private List<PublicAddress> PublicAddressesNow()
    {
        var all = _options.PublicAddresses.ToList();
        var seen = all.Select(a => a.Ip).ToHashSet(StringComparer.Ordinal);
        all.AddRange(_extraAddresses.Where(a => seen.Add(a.Ip)));
        return all;
    }

    private NodeId? NodeIdOf(string? name) => name is null ? null : _options.Nodes.FirstOrDefault(n => n.Name == name)?.Id;

    private void StartFencing()
    {
        var now = Context.System.TimeProvider.GetUtcNow();
        // The DC carries out every open request, also those a previous DC made before it was lost.
        foreach (var request in _state.PendingFences.Values.OrderBy(r => r.Target))
        {
            if (request.Target == Me) continue; // the DC is never unclean (DcOfView); a stale request waits for the next DC
            if (_fencing.Contains(request.Target)) continue;
            var requestAt = _fenceRequestAt.GetValueOrDefault(request.Target);
            if (_fenceConfirmed.TryGetValue(request.Target, out var confirmed) && confirmed.RequestAt == requestAt)
            {
                _fencing.Add(request.Target);
                Propose([new FenceSucceeded(request.Target, confirmed.Device, confirmed.Seconds)]);
                continue;
            }
            if (WaitForPriorityDelay(request.Target, requestAt, now)) continue;
            _fencing.Add(request.Target);
            var target = new FenceTarget(request.Target, NameOf(request.Target), request.Reason);
            _fenceStartedAt[request.Target] = now;
            var self = Self;
            var decision = FencingRules.Decide(_options.Fencing, new FencingContext(_viewIds.Length, _configured.Count, QuorateForFencing));
            if (decision.Verdict != FenceVerdict.Proceed)
            {
                var why = decision.Verdict == FenceVerdict.RebootSelf
                    ? $"{decision.Reason} (a self-reboot is left to the watchdog; {target.Name} is not fenced)"
                    : $"refused by the fencing rules: {decision.Reason}";
                self.Tell(new FenceOutcome(request.Target, requestAt, new FenceResult(false, "", why)), self);
                continue;
            }
            Log.LogInformation("Fencing {Node} ({Reason})", target.Name, target.Reason);
            Task<FenceResult> fence;
            try
            {
                fence = _deps.Fencer.FenceAsync(target, CancellationToken.None);
            }
            catch (Exception e)
            {
                fence = Task.FromException<FenceResult>(e);
            }
            fence.ContinueWith(t => self.Tell(new FenceOutcome(request.Target, requestAt, t.IsCompletedSuccessfully
                    ? t.Result
                    : new FenceResult(false, "", t.Exception?.GetBaseException().Message ?? "fencing was cancelled")), self),
                CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        }
    }

    /// <summary>
    /// Two-host fence races: the DC holding less than its peer waits priority-delay before fencing it, so
    /// that the busier host wins (HA-Lizard, Pacemaker's priority-fencing-delay). True while it waits.
    /// </summary>
    private bool WaitForPriorityDelay(NodeId target, long requestAt, DateTimeOffset now)
    {
        var delay = FencingRules.PriorityDelay(_options.Fencing, _configured.Count, Weight(Me), Weight(target), Me < target);
        if (delay <= TimeSpan.Zero) return false;
        if (!_fenceNotBefore.TryGetValue(target, out var wait) || wait.RequestAt != requestAt)
        {
            wait = (requestAt, now + delay);
            _fenceNotBefore[target] = wait;
            Log.LogInformation("Waiting {Delay} before fencing {Node}: it held more than this host (priority-delay)", delay, NameOf(target));
        }
        if (now >= wait.At) return false;
        Timers.StartSingleTimer($"fence-delay-{target.Value}", ReconcileTick.Instance, wait.At - now);
        return true;
    }

    /// <summary>
    /// Quorum as quorum-required means it: Corosync's votequorum, except in a two-host cluster, where (as in
    /// HA-Lizard) the split-brain resolver's decision — the heuristics — stands in for the missing majority.
    /// Without a quorum provider (a one-host transport) the primary partition counts as quorate.
    /// </summary>
    private bool QuorateForFencing => _configured.Count == 2 ? _role == PartitionRole.Primary : _quorum?.Quorate ?? true;

    /// <summary>What a host holds, for the priority delay: its addresses.</summary>
    private long Weight(NodeId node) => _state.IpsOf(node).Count();

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
        double? seconds = _fenceStartedAt.Remove(outcome.Node, out var started) ? Math.Round((now - started).TotalSeconds, 3) : null;
        _fenceNotBefore.Remove(outcome.Node);
        if (outcome.Result.Success)
        {
            Log.LogInformation("Fenced {Node} via {Device} in {Seconds} s", NameOf(outcome.Node), outcome.Result.Device, seconds);
            _fenceRetryAt.Remove(outcome.Node);
            _fenceConfirmed[outcome.Node] = (outcome.RequestAt, outcome.Result.Device, seconds);
            Propose([new FenceSucceeded(outcome.Node, outcome.Result.Device, seconds)]);
        }
        else if (FencingRules.AfterFailure(_options.Fencing) == FailedFenceRecovery.RecoverAnyway)
        {
            // HA-Lizard's FENCE_HA_ONFAIL: unsafe by choice of the operator, and said so in the journal.
            Log.LogError("Fencing {Node} failed: {Reason}; recover-on-failure is on, so its resources are recovered WITHOUT confirmation that it is off",
                NameOf(outcome.Node), outcome.Result.Detail);
            Propose([new FenceFailed(outcome.Node, outcome.Result.Detail, seconds), new NodeFenced(outcome.Node, UnconfirmedDevice)]);
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

    // ---- local side effects -------------------------------------------------------------------

    /// <summary>Only the host an event names acts on it; replay never acts.</summary>
    private void LocalEffects(ClusterState before, IClusterEvent e)
    {
        switch (e)
        {
            case NodeUp u when u.Node == Me:
                ReassertAddresses();
                break;
            case HeuristicsChanged h when h.Node == Me:
                _heuristicsReportPending = false;
                break;
            case NodeUnhealthy u when u.Node == Me:
                _healthReportPending = false;
                break;
            case NodeHealthy h when h.Node == Me:
                _healthReportPending = false;
                ReassertAddresses();
                break;
            case FenceSucceeded f:
                _fenceConfirmed.Remove(f.Target);
                break;
            case IpTaken t when t.Node == Me:
                Take(new PublicAddress(t.Ip, t.Mask, t.Interface), 0);
                break;
            case IpReleased r when r.Node == Me && before.Ips.ContainsKey(r.Ip):
                Effect(_deps.Addresses.ReleaseAsync(new PublicAddress(r.Ip, r.Mask, r.Interface), CancellationToken.None), $"release {r.Ip}");
                break;
            case NodeLeft l when l.Node == Me:
                _left = true;
                _role = PartitionRole.Joining;
                _ = _deps.Transport.LeaveAsync();
                break;
        }
        VmLocalEffects(before, e);
    }

    private void Effect(Task task, string what) =>
        task.ContinueWith(t => Log.LogError(t.Exception?.GetBaseException(), "Could not {Action}", what),
            CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted | TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);

    /// <summary>This side lost: release everything this host holds, remember it locally, decide nothing.</summary>
    private void Demote(string reason)
    {
        var already = _role == PartitionRole.Minority;
        _role = PartitionRole.Minority;
        ResetProposals();
        if (already) return;
        Log.LogWarning("Node {Node} demotes: its side lost the split-brain decision ({Reason})", _options.Self.Name, reason);
        var maintenance = _state.StateOf(Me) == NodeState.Maintenance;
        if (maintenance) Log.LogWarning("Node {Node} is in maintenance: it keeps its addresses while demoted", _options.Self.Name);
        var held = maintenance ? [] : _state.IpsOf(Me).ToList();
        _deps.SelfFence?.Demoting();
        var facts = new List<ILocalFact> { new DemotedLocally(reason) };
        facts.AddRange(held.Select(a => new ReleasedLocally(a.Interface, a.Ip, a.Mask)));
        var releases = new List<Task>();
        var last = facts[^1];
        var self = Self;
        PersistAll(facts, f =>
        {
            _unreconciled.Add(f);
            if (f is ReleasedLocally r)
            {
                var release = _deps.Addresses.ReleaseAsync(new PublicAddress(r.Ip, r.Mask, r.Interface), CancellationToken.None);
                Effect(release, $"release {r.Ip}");
                releases.Add(release);
            }
            if (!ReferenceEquals(f, last) || _deps.SelfFence is not { } selfFence) return;
            // The watchdog may stop resetting this host only once everything it held is really gone; a
            // release that fails leaves the demotion unfinished, and the watchdog resets the host.
            Task.WhenAll(releases).ContinueWith(t =>
                {
                    if (t.IsCompletedSuccessfully) selfFence.Demoted();
                },
                CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        });
    }

    /// <summary>
    /// On becoming primary, this host puts back on its interfaces every address the (primary's) state
    /// gives it: after a reboot or a fence they are gone, after a demotion it released them. Nobody else
    /// holds them — the state says so — and taking is idempotent.
    /// </summary>
    private void ReassertAddresses()
    {
        // Only an Up host holds addresses; a fenced or downed one waits: the DC releases what it held,
        // or its NodeUp brings it back here.
        // Standby and unhealthy hosts too: they keep what nobody else could take (HandOverAddresses gives it away).
        if (_state.StateOf(Me) is not (NodeState.Up or NodeState.Standby or NodeState.Unhealthy)) return;
        foreach (var a in _state.IpsOf(Me)) Take(new PublicAddress(a.Ip, a.Mask, a.Interface), 0);
    }

    /// <summary>
    /// Takes an address the state gives this host. A failure (another machine still answers for it — its
    /// previous holder may not have let go yet — or a command failed) is logged and retried with backoff
    /// (1 s, 2 s, 4 s, … up to 30 s) for as long as the state gives it to this Up host.
    /// </summary>
    private void Take(PublicAddress address, int attempt)
    {
        var self = Self;
        Task task;
        try
        {
            task = _deps.Addresses.TakeAsync(address, CancellationToken.None);
        }
        catch (Exception e)
        {
            task = Task.FromException(e);
        }
        task.ContinueWith(t =>
            {
                Log.LogError("Could not take {Ip} (attempt {Attempt}): {Reason}; retrying while it is this host's",
                    address.Ip, attempt + 1, t.Exception?.GetBaseException().Message);
                self.Tell(new RetryTake(address.Ip, attempt + 1, Due: false), self);
            },
            CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted | TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
    }

    private void OnRetryTake(RetryTake retry)
    {
        if (!_state.Ips.TryGetValue(retry.Ip, out var held) || held.Node != Me || _state.StateOf(Me) != NodeState.Up
            || _role != PartitionRole.Primary) return;
        if (retry.Due)
        {
            Take(new PublicAddress(held.Ip, held.Mask, held.Interface), retry.Attempt);
            return;
        }
        var delay = TimeSpan.FromSeconds(Math.Min(30, 1 << Math.Min(retry.Attempt - 1, 5)));
        Timers.StartSingleTimer($"take-{retry.Ip}", retry with { Due = true }, delay);
    }

    /// <summary>What this host did while demoted stays in its journal; the state is whole again once it is primary.</summary>
    private void MarkLocalFactsReconciled() =>
        Persist(new LocalFactsReconciled(_unreconciled.Count), f => _unreconciled.RemoveRange(0, Math.Min(f.Count, _unreconciled.Count)));

    private string NameOf(NodeId id) => _options.Nodes.FirstOrDefault(n => n.Id == id)?.Name ?? _state.Nodes.GetValueOrDefault(id)?.Name ?? $"node-{id.Value}";

    /// <summary>A batch of events, each checked against the state the ones before it produce.</summary>
    private sealed class Plan(ClusterState state)
    {
        public ClusterState State { get; private set; } = state;
        public List<IClusterEvent> Events { get; } = [];

        public void Add(IClusterEvent e)
        {
            if (!State.TryApply(e, out var next, out _)) return;
            State = next;
            Events.Add(e);
        }
    }
}
