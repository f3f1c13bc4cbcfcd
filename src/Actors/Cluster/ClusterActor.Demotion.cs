using Haven.Actors.Hosts;
using Haven.Actors.SplitBrain;
using Haven.Actors.Vms;
using Microsoft.Extensions.Logging;

namespace Haven.Actors.Cluster;

/// <summary>
/// What a host whose side lost does with its VMs, by the no-quorum-policy (Pacemaker's): stop, demote and fence stop every
/// managed VM this host runs (graceful, then forced) and keep them stopped until the host is primary again; freeze and ignore
/// leave them running, and so does every policy an unmanaged (or blocked) VM, which the cluster never stops. The demotion is finished — the watchdog hears Demoted, and under fence the host reboots itself — once the
/// addresses are released and every VM stopped. A host in maintenance keeps its VMs whatever the policy. The HostActor stops
/// the VMs (<see cref="StopVmsForDemotion"/>) and says when they are stopped (<see cref="VmsStoppedOnDemotion"/>).
/// </summary>
public sealed partial class ClusterActor
{
    private long _demotion; // counts demotions: a late release of an earlier one does not finish a later one
    private bool _demotionAddressesReleased;
    private bool _demotionVmsStopped;
    private bool _demotionFinished;
    private bool _demotionReboot;

    /// <summary>The HostActor released every address the demotion let go of.</summary>
    private void OnAddressesReleasedOnDemotion(AddressesReleasedOnDemotion m)
    {
        if (m.Demotion != _demotion) return;
        _demotionAddressesReleased = true;
        FinishDemotion();
    }

    /// <summary>The HostActor stopped every VM the demotion stops (HostActor.Vms.cs).</summary>
    private void OnVmsStoppedOnDemotion(VmsStoppedOnDemotion m)
    {
        if (m.Demotion != _demotion) return;
        _demotionVmsStopped = true;
        FinishDemotion();
    }

    /// <summary>Has the HostActor stop this host's VMs if the policy says so; returns the demotion's number for its address release.</summary>
    private long DemoteVms(NoQuorumPolicy policy, string reason)
    {
        _demotion++;
        _demotionAddressesReleased = false;
        _demotionVmsStopped = false;
        _demotionFinished = false;
        _demotionReboot = policy is NoQuorumPolicy.Fence or NoQuorumPolicy.Suicide;
        Host.Tell(new StopVmsForDemotion(_demotion, policy, reason, HostViewNow()), Self);
        return _demotion;
    }

    private void FinishDemotion()
    {
        if (_role != PartitionRole.Minority || _demotionFinished || !_demotionAddressesReleased || !_demotionVmsStopped) return;
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
