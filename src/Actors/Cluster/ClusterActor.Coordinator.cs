using System.Collections.Immutable;
using Haven.Actors.Coordinator;
using Haven.Actors.Hosts;
using Haven.Actors.Membership;
using Haven.Actors.Runtime;
using Haven.Actors.Vms;
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
    /// of events: it gathers what the round reads, <see cref="DcRound.Decide"/> decides, and this carries
    /// the decision out. The next round starts only once the DC's own proposals have been delivered, so
    /// nothing is proposed twice.
    /// </summary>
    private void Reconcile()
    {
        if (!IsDc || _proposalsInFlight > 0) return;
        var decision = DcRound.Decide(RoundInputs());
        CarryOut(decision);
    }

    private DcInputs RoundInputs() => new()
    {
        State = _state,
        Self = Me,
        View = _view,
        ViewIds = _viewIds,
        Configured = _configured,
        Nodes = _options.Nodes,
        Now = Context.System.TimeProvider.GetUtcNow(),
        PublicAddresses = [.. PublicAddressesNow()],
        Restarted = [.. _hellos.Where(h => h.Value.Fresh && !_helloBeforeLeave.Contains(h.Key)).Select(h => h.Key)],
        LostInMaintenance = _lostInMaintenance,
        Fencing = new DcFencingInputs
        {
            Policy = FencingPolicyNow(),
            Quorate = QuorateForFencing,
            InFlight = [.. _fencing],
            RequestAt = _fenceRequestAt.ToImmutableDictionary(),
            Confirmed = _fenceConfirmed.ToImmutableDictionary(),
            NotBefore = _fenceNotBefore.ToImmutableDictionary(),
            RetryAt = _fenceRetryAt.ToImmutableDictionary(),
            Impossible = _fenceImpossible.ToImmutableDictionary(),
            NeverPossible = _fenceNeverPossible.ToImmutableDictionary(),
        },
        Vms = new DcVmInputs { Services = VmServices, IdleRound = _idleVmRound, RunningSince = _vmRunningSince },
    };

    /// <summary>In the round's order: keep its bookkeeping, arm its wake-ups, propose its events, then act on the open fence requests.</summary>
    private void CarryOut(DcDecision decision)
    {
        _lostInMaintenance = decision.LostInMaintenance;
        foreach (var id in decision.ExpiredImpossible) _fenceImpossible.Remove(id);
        foreach (var (id, wait) in decision.NotBefore) _fenceNotBefore[id] = wait;
        if (decision.VmRound is { } vms) (_idleVmRound, _vmRunningSince) = (vms.IdleRound, vms.RunningSince);
        foreach (var note in decision.Notes) LogNote(note);
        foreach (var wake in decision.WakeUps) Timers.StartSingleTimer(wake.Key, ReconcileTick.Instance, wake.After);
        if (decision.Events.Length > 0) Propose(decision.Events);
        foreach (var step in decision.Fences)
        {
            switch (step)
            {
                case FenceStep.Repropose r:
                    _fencing.Add(r.Target);
                    Propose([r.Event]);
                    break;
                case FenceStep.Start s:
                    _fencing.Add(s.Target);
                    FenceActorRef.Tell(s.Command, Self);
                    break;
                case FenceStep.Wait w:
                    Timers.StartSingleTimer(w.WakeUp.Key, ReconcileTick.Instance, w.WakeUp.After);
                    break;
            }
        }
    }

    private void LogNote(DcNote note)
    {
        switch (note)
        {
            case DcNote.LostInMaintenance n:
                Log.LogWarning("Node {Node} is in maintenance and no longer a member: it is not fenced and nothing on it moves until maintenance is turned off", n.Node);
                break;
            case DcNote.NotReadmitted n:
                Log.LogInformation("Not readmitting {Node} yet: {Problem}", n.Node, n.Problem);
                break;
            case DcNote.FenceBlocked n:
                Log.LogWarning("VM {Vm}: the on-fail fence of {Node} cannot be carried out ({Reason}): blocked instead", n.Vm, n.Node, n.Reason);
                break;
            case DcNote.PriorityDelay n:
                Log.LogInformation("Waiting {Delay} before fencing {Node}: it held more than this host (priority-delay)", n.Delay, n.Node);
                break;
        }
    }

    // ---- local side effects -------------------------------------------------------------------

    /// <summary>
    /// Only the host an event names acts on it; replay never acts. The DC's and this host's bookkeeping first, then
    /// what <see cref="HostEffects"/> gives this host to do.
    /// </summary>
    private void LocalEffects(ClusterState before, IClusterEvent e)
    {
        switch (e)
        {
            case HeuristicsChanged h when h.Node == Me:
                _heuristicsReportPending = false;
                break;
            case NodeUnhealthy u when u.Node == Me:
                _healthReportPending = false;
                break;
            case NodeHealthy h when h.Node == Me:
                _healthReportPending = false;
                break;
            case FenceSucceeded f:
                // The request is closed: nothing is in flight for it any more, also when this DC only re-proposed a
                // confirmation it had (which, unlike a fence, has no outcome to clear it) — else a later request
                // for the same node is never started by this DC.
                _fenceConfirmed.Remove(f.Target);
                _fencing.Remove(f.Target);
                break;
            case FenceConfirmed f: // the operator's word closes the request: nothing of it is retried or re-proposed
                _fenceConfirmed.Remove(f.Target);
                _fenceRetryAt.Remove(f.Target);
                _fenceNotBefore.Remove(f.Target);
                _fenceImpossible.Remove(f.Target);
                break;
            case NodeJoined j: // a later loss of the node is journaled afresh
                _fenceImpossible.Remove(j.Node);
                break;
        }
        var host = new HostFacts(Me, _left, _localVms.Count == 0 ? [] : [.. _localVms.Keys]);
        foreach (var command in HostEffects.For(before, e, _state, host)) CarryOut(command);
    }

    /// <summary>Carries out one of this host's commands (<see cref="HostEffects"/>).</summary>
    private void CarryOut(HostCommand command)
    {
        switch (command)
        {
            case HostCommand.TakeAddress t:
                if (!t.Probe)
                    Log.LogInformation("Taking {Ip} without a duplicate-address probe: its last holder {Node} was fenced, confirmed off, while it held it",
                        t.Address.Ip, NameOf(t.VacatedBy ?? default));
                Take(t.Address, 0, t.Probe);
                break;
            case HostCommand.ReleaseAddress r:
                Effect(_deps.Addresses.ReleaseAsync(r.Address, CancellationToken.None), $"release {r.Address.Ip}");
                break;
            case HostCommand.LeaveCluster:
                _left = true;
                _role = PartitionRole.Joining;
                _ = _deps.Transport.LeaveAsync();
                ShutdownLeft();
                break;
            case HostCommand.SyncVm s:
                SyncVm(s.Vm);
                break;
            case HostCommand.VmAbsent v:
                if (_localVms.TryGetValue(v.Vm, out var local)) Assign(v.Vm, local, null, VmLocalRole.Absent, "");
                break;
        }
    }

    private void Effect(Task task, string what) =>
        task.ContinueWith(t => Log.LogError(t.Exception?.GetBaseException(), "Could not {Action}", what),
            CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted | TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);

    /// <summary>
    /// This side lost: release what the no-quorum-policy says (addresses unless ignore, VMs for stop, demote and fence:
    /// see DemoteVms), remember it locally, decide nothing. The watchdog hears Demoted once all of it is released.
    /// </summary>
    private void Demote(string reason)
    {
        var already = _role == PartitionRole.Minority;
        _role = PartitionRole.Minority;
        ResetProposals();
        if (already) return;
        Log.LogWarning("Node {Node} demotes: its side lost the split-brain decision ({Reason})", _options.Self.Name, reason);
        var maintenance = _state.StateOf(Me) == NodeState.Maintenance;
        if (maintenance) Log.LogWarning("Node {Node} is in maintenance: it keeps its addresses while demoted", _options.Self.Name);
        var policy = _options.SplitBrain.NoQuorumPolicy;
        var held = maintenance || policy == SplitBrain.NoQuorumPolicy.Ignore ? [] : _state.IpsOf(Me).ToList();
        _deps.SelfFence?.Demoting();
        var demotion = DemoteVms(policy, reason);
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
            if (!ReferenceEquals(f, last)) return;
            // The watchdog may stop resetting this host only once everything it held is really gone; a
            // release that fails leaves the demotion unfinished, and the watchdog resets the host.
            Task.WhenAll(releases).ContinueWith(t =>
                {
                    if (t.IsCompletedSuccessfully) self.Tell(new AddressesReleasedOnDemotion(demotion), self);
                },
                CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        });
    }

    /// <summary>What this host did while demoted stays in its journal; the state is whole again once it is primary.</summary>
    private void MarkLocalFactsReconciled() =>
        Persist(new LocalFactsReconciled(_unreconciled.Count), f => _unreconciled.RemoveRange(0, Math.Min(f.Count, _unreconciled.Count)));

    private string NameOf(NodeId id) => DcRound.NameOf(_options.Nodes, _state, id);
}
