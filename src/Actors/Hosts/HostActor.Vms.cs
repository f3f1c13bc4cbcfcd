using Haven.Actors.Cluster;
using Haven.Actors.Coordinator;
using Haven.Actors.Runtime;
using Haven.Actors.SplitBrain;
using Haven.Actors.Vms;
using Microsoft.Extensions.Logging;

namespace Haven.Actors.Hosts;

/// <summary>
/// VMs on this host (what the DC decides about them is in <see cref="DcRound"/>, with <see cref="VmRecovery"/>): one
/// <see cref="VmActor"/> child per VM this host runs, starts, stops or migrates (named <c>vm-NAME-N</c>). After every
/// applied event (<see cref="HostApplied"/>) the VM's child gets its new assignment; every sync-interval
/// (<see cref="SyncLocalVms"/>) the whole state is compared with the children. On a host's first comparison each VM
/// the state does not put here gets a child too, which makes sure it does not run here (orphans left by a restart of
/// the daemon), then stops. The children's reports go to the ClusterActor, which multicasts them.
/// </summary>
public sealed partial class HostActor
{
    private readonly Dictionary<string, LocalVm> _localVms = new(StringComparer.Ordinal);
    private readonly HashSet<string> _vmSwept = new(StringComparer.Ordinal);
    private long _vmSequence;
    private long _vmChildren;
    private HostView? _view;

    private long _demotion; // the demotion whose stops are counted
    private readonly HashSet<string> _demotionStops = new(StringComparer.Ordinal);

    /// <summary>While demoted under a stopping policy, the VM actors keep the Stop they were given until this host is primary again.</summary>
    private bool _demotedStop;

    private ClusterState _state => _view!.State;

    private void RegisterVmHandlers()
    {
        Receive<HostApplied>(OnApplied);
        Receive<SyncLocalVms>(m =>
        {
            _view = m.View;
            SyncLocalVmsNow();
        });
        Receive<StopVmsForDemotion>(OnStopVmsForDemotion);
        Receive<ReportLocalVms>(m =>
        {
            _view = m.View;
            Context.Parent.Tell(LocalVmsNow(), Self);
        });
        Receive<VmReport>(OnVmReport);
        Receive<VmActorIdle>(OnVmIdle);
    }

    /// <summary>What <see cref="HostEffects"/> gives this host's VMs for an applied event (its address and leave commands are the ClusterActor's).</summary>
    private void OnApplied(HostApplied applied)
    {
        _view = applied.View;
        var host = new HostFacts(Me, _view.Left, _localVms.Count == 0 ? [] : [.. _localVms.Keys], []); // members: only the address commands (the ClusterActor's) read them
        foreach (var command in HostEffects.For(applied.Before, applied.Event, _state, host))
        {
            switch (command)
            {
                case HostCommand.SyncVm s:
                    SyncVm(s.Vm);
                    break;
                case HostCommand.VmAbsent v:
                    if (_localVms.TryGetValue(v.Vm, out var local)) Assign(v.Vm, local, null, VmLocalRole.Absent, "");
                    break;
            }
        }
    }

    /// <summary>A VM whose role here is <paramref name="role"/> stays as it is while this host is Down with no fence under way.</summary>
    private bool KeptWhileDown(VmLocalRole role) =>
        role != VmLocalRole.Absent && _state.StateOf(Me) == NodeState.Down && !_state.PendingFences.ContainsKey(Me);

    /// <summary>This host is Down or Fenced in the state, or a fence request for it is open.</summary>
    private bool SelfUnclean => HostEffects.Unclean(_state, Me);

    private string NameOf(Membership.NodeId id) => DcRound.NameOf(_view!.Nodes, _state, id);

    // ---- local VM actors ----------------------------------------------------------------------------

    private void SyncLocalVmsNow()
    {
        foreach (var name in _state.Vms.Keys) SyncVm(name);
        foreach (var name in _localVms.Keys.Where(n => !_state.Vms.ContainsKey(n)).ToList()) SyncVm(name);
        if (SelfUnclean) Context.Parent.Tell(LocalVmsNow(), Self);
    }

    private void SyncVm(string name)
    {
        if (_view!.Primary) _demotedStop = false;
        else if (_demotedStop) return; // demoted under a stopping no-quorum-policy: the VMs stay stopped until this host is primary
        var services = _vms; // without any: a VM placed here fails at once ("no … hypervisor") and moves on
        _state.Vms.TryGetValue(name, out var vm);
        // A host the state has downed, fenced or is fencing starts nothing: the cluster may already have moved its
        // VMs in a history this host has not seen, so it must not restart them (it forces them off instead) —
        // except, while it is Down and no fence is under way, a VM the state still places here: nothing can move
        // that one before this host is fenced, so it is left as it is (neither started nor stopped) until the
        // host is readmitted (ClusterActor.Rejoin.cs).
        var role = VmLocalRoles.For(vm, Me);
        if (SelfUnclean && KeptWhileDown(role)) return;
        if (SelfUnclean) role = VmLocalRole.Absent;
        var target = role == VmLocalRole.MigrateOut ? NameOf(vm!.Target!.Value) : "";
        var maintenance = _state.StateOf(Me) == NodeState.Maintenance;
        if (!_localVms.TryGetValue(name, out var local))
        {
            // Once per incarnation, a VM the state puts elsewhere is checked here too (an orphan is forced off).
            if (vm is null || (role == VmLocalRole.Absent && _vmSwept.Contains(name))) return;
            var hypervisor = services.Hypervisors.GetValueOrDefault(vm.Spec.Hypervisor);
            local = new LocalVm(Context.ActorOf(VmActor.Props(Me, hypervisor, services.Policy), $"vm-{name}-{++_vmChildren}"));
            _localVms[name] = local;
        }
        _vmSwept.Add(name);
        if (local.Last is { } last && last.Role == role && Equals(last.Vm, vm) && last.TargetName == target && last.HostMaintenance == maintenance) return;
        Assign(name, local, vm, role, target, maintenance);
    }

    private void Assign(string name, LocalVm local, VmInfo? vm, VmLocalRole role, string target, bool maintenance = false)
    {
        local.Last = new VmAssignment(++_vmSequence, vm, role, target, maintenance);
        Log.LogDebug("VM {Vm} on {Node}: {Role}", name, _selfName, role);
        local.Actor.Tell(local.Last, Self);
    }

    private void OnVmIdle(VmActorIdle idle)
    {
        if (!_localVms.TryGetValue(idle.Vm, out var local) || !ReferenceEquals(local.Actor, Sender) && local.Actor.Path != Sender.Path) return;
        if (local.Last is not { Role: VmLocalRole.Absent } last || last.Seq != idle.Seq) return; // a newer assignment is on its way
        _localVms.Remove(idle.Vm);
        Context.Stop(local.Actor);
        if (_view is not null && SelfUnclean) Context.Parent.Tell(LocalVmsNow(), Self);
    }

    /// <summary>A child's outcome goes to the ClusterActor (only a synced primary member can put it into the state); a demotion's stop is counted.</summary>
    private void OnVmReport(VmReport report)
    {
        Context.Parent.Tell(report, Self);
        if (_view is { Primary: false } && report.Event is VmStopped stopped && stopped.Node == Me && _demotionStops.Remove(stopped.Name))
            ReportDemotionStops();
    }

    /// <summary>What the rejoin's report reads: every VM of the state checked here (the sweep) and none still being forced off.</summary>
    private LocalVms LocalVmsNow() => new(_view!.Version, [.. _localVms.Keys.Order(StringComparer.Ordinal)],
        !_state.Vms.Values.Any(vm => !_vmSwept.Contains(vm.Name) && !KeptWhileDown(VmLocalRoles.For(vm, Me)))
        && !_localVms.Values.Any(l => l.Last?.Role == VmLocalRole.Absent));

    // ---- demotion (ClusterActor.Demotion.cs) ----------------------------------------------------------

    /// <summary>Stops this host's VMs if the policy says so (stop, demote, fence, suicide; not in maintenance, not an unmanaged VM).</summary>
    private void OnStopVmsForDemotion(StopVmsForDemotion m)
    {
        _view = m.View;
        var (policy, reason) = (m.Policy, m.Reason);
        _demotion = m.Demotion;
        _demotionStops.Clear();
        var stops = policy is NoQuorumPolicy.Stop or NoQuorumPolicy.Demote or NoQuorumPolicy.Fence or NoQuorumPolicy.Suicide;
        if (!stops || _state.StateOf(Me) == NodeState.Maintenance)
        {
            Log.LogWarning("Node {Node} keeps its VMs running while demoted (no-quorum-policy {Policy}{Maintenance})", _selfName,
                policy.ToString().ToLowerInvariant(), stops ? ", but it is in maintenance" : "");
            ReportDemotionStops();
            return;
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
            Log.LogWarning("Node {Node} stops its VMs {Vms} while demoted ({Reason}; no-quorum-policy {Policy})", _selfName,
                string.Join(", ", _demotionStops.Order(StringComparer.Ordinal)), reason, policy.ToString().ToLowerInvariant());
        ReportDemotionStops();
    }

    private void ReportDemotionStops()
    {
        if (_demotionStops.Count == 0) Context.Parent.Tell(new VmsStoppedOnDemotion(_demotion), Self);
    }

    private sealed class LocalVm(IActorRef actor)
    {
        public IActorRef Actor { get; } = actor;
        public VmAssignment? Last { get; set; }
    }
}
