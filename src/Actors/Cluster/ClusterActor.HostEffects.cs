using Haven.Actors.Hosts;
using Haven.Actors.Membership;
using Haven.Actors.Vms;
using Microsoft.Extensions.Logging;

namespace Haven.Actors.Cluster;

/// <summary>
/// What this host does because of an applied event (<see cref="HostEffects"/> decides it), demotion, and the
/// reconciliation of local facts after a rejoin.
/// </summary>
public sealed partial class ClusterActor
{
    // ---- local side effects -------------------------------------------------------------------

    /// <summary>
    /// Only the host an event names acts on it; replay never acts. This host's reports first, the event kept for the
    /// coordinator's bookkeeping, then what <see cref="HostEffects"/> gives this host to do.
    /// </summary>
    private void LocalEffects(ClusterState before, IClusterEvent e)
    {
        if (_coordinator is not null) _appliedForDc.Add(e);
        OwnReportLanded(e);
        if (e is IpReleased r) ReleaseApplied(r.Ip);
        // This host's VMs are the HostActor's: it runs HostEffects for them (their commands need its children, which
        // this actor does not know), after the address and leave commands this actor carries out here.
        var view = HostViewNow();
        foreach (var command in HostEffects.For(before, e, _state, new HostFacts(Me, _left, [], _viewIds))) CarryOut(command);
        Host.Tell(new HostApplied(before, e, view), Self);
    }

    /// <summary>Carries out one of this host's commands (<see cref="HostEffects"/>).</summary>
    private void CarryOut(HostCommand command)
    {
        switch (command)
        {
            case HostCommand.TakeAddress t:
                if (Releasing(t.Address.Ip)) break; // being given away: its release is under way (_releasing)
                if (!t.Probe)
                    Log.LogInformation("Taking {Ip} without a duplicate-address probe: its last holder {Node} was fenced, confirmed off, while it held it",
                        t.Address.Ip, NameOf(t.VacatedBy ?? default));
                Take(t.Address, 0, t.Probe);
                break;
            case HostCommand.AddressesWait w:
                Log.LogWarning("Not putting back {Ips} yet: {Unclean} may hold them through events this partition never received; they wait until fenced or back",
                    string.Join(", ", w.Addresses), string.Join(", ", w.Unclean.Select(NameOf)));
                break;
            case HostCommand.ReleaseAddress r:
                Release([r.Address]);
                break;
            case HostCommand.LeaveCluster:
                _left = true;
                _role = PartitionRole.Joining;
                _ = _deps.Transport.LeaveAsync();
                ShutdownLeft();
                break;
            case HostCommand.SyncVm or HostCommand.VmAbsent:
                break; // the HostActor's (HostApplied)
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
        RetireCoordinatorUnlessDc();
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
        var releases = new List<PublicAddress>();
        var last = facts[^1];
        PersistAll(facts, f =>
        {
            _unreconciled.Add(f);
            if (f is ReleasedLocally r) releases.Add(new PublicAddress(r.Ip, r.Mask, r.Interface));
            if (!ReferenceEquals(f, last)) return;
            // The watchdog may stop resetting this host only once everything it held is really gone (the HostActor
            // answers once all releases succeeded); a release that fails leaves the demotion unfinished, and the
            // watchdog resets the host.
            Release(releases, new AddressesReleasedOnDemotion(demotion));
        });
    }

    /// <summary>What this host did while demoted stays in its journal; the state is whole again once it is primary.</summary>
    private void MarkLocalFactsReconciled() =>
        Persist(new LocalFactsReconciled(_unreconciled.Count), f => _unreconciled.RemoveRange(0, Math.Min(f.Count, _unreconciled.Count)));
}
