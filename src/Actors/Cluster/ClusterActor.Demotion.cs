using Haven.Actors.SplitBrain;
using Haven.Actors.Vms;
using Microsoft.Extensions.Logging;

namespace Haven.Actors.Cluster;

/// <summary>
/// What a host whose side lost does with its VMs, by the no-quorum-policy (Pacemaker's): stop, demote and fence stop every
/// managed VM this host runs (graceful, then forced) and keep them stopped until the host is primary again; freeze and ignore
/// leave them running, and so does every policy an unmanaged (or blocked) VM, which the cluster never stops. The demotion is finished — the watchdog hears Demoted, and under fence the host reboots itself — once the
/// addresses are released and every VM stopped. A host in maintenance keeps its VMs whatever the policy.
/// </summary>
public sealed partial class ClusterActor
{
    private long _demotion; // counts demotions: a late release of an earlier one does not finish a later one
    private readonly HashSet<string> _demotionStops = new(StringComparer.Ordinal);
    private bool _demotionAddressesReleased;
    private bool _demotionFinished;
    private bool _demotionReboot;

    /// <summary>While demoted under a stopping policy, the VM actors keep the Stop they were given until this host is primary again.</summary>
    private bool _demotedStop;

    /// <summary>The HostActor released every address the demotion let go of.</summary>
    private void OnAddressesReleasedOnDemotion(AddressesReleasedOnDemotion m)
    {
        if (m.Demotion != _demotion) return;
        _demotionAddressesReleased = true;
        FinishDemotion();
    }

    /// <summary>Stops this host's VMs if the policy says so; returns the demotion's number for its address release.</summary>
    private long DemoteVms(NoQuorumPolicy policy, string reason)
    {
        _demotion++;
        _demotionAddressesReleased = false;
        _demotionFinished = false;
        _demotionStops.Clear();
        _demotionReboot = policy is NoQuorumPolicy.Fence or NoQuorumPolicy.Suicide;
        var stops = policy is NoQuorumPolicy.Stop or NoQuorumPolicy.Demote or NoQuorumPolicy.Fence or NoQuorumPolicy.Suicide;
        if (!stops || _state.StateOf(Me) == NodeState.Maintenance)
        {
            Log.LogWarning("Node {Node} keeps its VMs running while demoted (no-quorum-policy {Policy}{Maintenance})", _options.Self.Name,
                policy.ToString().ToLowerInvariant(), stops ? ", but it is in maintenance" : "");
            return _demotion;
        }
        _demotedStop = true;
        foreach (var (name, local) in _localVms)
        {
            if (local.Last is not { Role: VmLocalRole.Run or VmLocalRole.MigrateOut } last) continue;
            if (last.Vm?.Unmanaged == true) continue; // Pacemaker's is-managed=false (or blocked): the cluster never stops it
            _demotionStops.Add(name);
            Assign(name, local, last.Vm, VmLocalRole.Stop, "", last.HostMaintenance);
        }
        if (_demotionStops.Count > 0)
            Log.LogWarning("Node {Node} stops its VMs {Vms} while demoted ({Reason}; no-quorum-policy {Policy})", _options.Self.Name,
                string.Join(", ", _demotionStops.Order(StringComparer.Ordinal)), reason, policy.ToString().ToLowerInvariant());
        return _demotion;
    }

    /// <summary>A VM actor's report while demoted: a stop it was given is done.</summary>
    private void DemotionReport(IClusterEvent e)
    {
        if (e is VmStopped stopped && stopped.Node == Me && _demotionStops.Remove(stopped.Name)) FinishDemotion();
    }

    private void FinishDemotion()
    {
        if (_role != PartitionRole.Minority || _demotionFinished || !_demotionAddressesReleased || _demotionStops.Count > 0) return;
        _demotionFinished = true;
        _deps.SelfFence?.Demoted();
        if (!_demotionReboot) return;
        if (_deps.SelfReboot is not { } reboot)
        {
            Log.LogError("Node {Node} lost and no-quorum-policy is fence, but no self-reboot is wired into this host: it stays up with everything stopped",
                _options.Self.Name);
            return;
        }
        Log.LogError("Node {Node} lost and released everything: rebooting itself (no-quorum-policy fence)", _options.Self.Name);
        Effect(reboot.RebootAsync("no-quorum-policy fence: this side lost the split-brain decision", CancellationToken.None), "reboot this host");
    }

    private sealed record AddressesReleasedOnDemotion(long Demotion);
}
