using System.Collections.Immutable;
using Haven.Actors.Coordinator;
using Haven.Actors.Runtime;
using Haven.Actors.Vms;
using Microsoft.Extensions.Logging;

namespace Haven.Actors.Cluster;

/// <summary>
/// VMs on this host (what the DC decides about them is in <see cref="DcRound"/>, with <see cref="VmRecovery"/>): what a host does when the state puts a VM
/// on it: one <see cref="VmActor"/> child per VM this host runs, starts, stops or migrates (named
/// <c>vm-NAME-N</c>). The children's reports are multicast from here. After every applied VM event the
/// VM's child gets its new assignment; every sync-interval the whole state is compared with the children
/// (after a sync replaced history, or on becoming primary). On a host's first comparison each VM the
/// state does not put here gets a child too, which makes sure it does not run here (orphans left by a
/// restart of the daemon), then stops.
/// </summary>
public sealed partial class ClusterActor
{
    private static readonly VmServices NoVmServices = new(new Dictionary<string, IHypervisor>());
    private readonly Dictionary<string, LocalVm> _localVms = new(StringComparer.Ordinal);
    private readonly HashSet<string> _vmSwept = new(StringComparer.Ordinal);
    private long _vmSequence;
    private long _vmChildren;

    private VmServices VmServices => _deps.Vms ?? NoVmServices;

    /// <summary>Registers the VM commands' handlers (called from the constructor).</summary>
    private void RegisterVmHandlers()
    {
        Receive<VmReport>(OnVmReport);
        Receive<VmActorIdle>(OnVmIdle);
        Receive<VmSyncTick>(_ => SyncLocalVms());
        Receive<AddVm>(c =>
        {
            var spec = c.Vm with { Name = VmSpecRules.Canonical(c.Vm.Name) };
            var unknown = VmSpecRules.CheckNodeNames(spec, [.. _options.Nodes.Select(n => n.Name)]);
            var partner = spec.With.Concat(spec.Apart).Select(c => c.Vm).FirstOrDefault(p => !_state.Vms.ContainsKey(p) && p != spec.Name);
            if (unknown is not null)
                Reply(false, unknown);
            else if (partner is not null)
                Reply(false, $"VM {spec.Name} is constrained with unknown VM '{partner}' (add that VM first)");
            else VmCommand(new VmAdded(spec, c.Desired), $"VM {spec.Name} is managed now");
        });
        Receive<RemoveVm>(c => VmCommand(new VmRemoved(VmSpecRules.Canonical(c.Name), c.Force), $"VM {VmSpecRules.Canonical(c.Name)} is no longer managed"
            + (c.Force ? " (forced: a host that still finds it running forces it off)" : "")));
        Receive<SetVmDesired>(c => VmCommand(new VmDesired(VmSpecRules.Canonical(c.Name), c.Desired), DesiredAccepted(VmSpecRules.Canonical(c.Name), c.Desired)));
        Receive<SetVmHa>(c => VmCommand(new VmHa(VmSpecRules.Canonical(c.Name), c.Enabled),
            $"HA of VM {VmSpecRules.Canonical(c.Name)} is {(c.Enabled ? "on" : "off")}"));
        Receive<CleanupVm>(c =>
        {
            var name = VmSpecRules.Canonical(c.Name);
            Membership.NodeId? node = null;
            if (c.Node is { } n)
            {
                if (_state.Nodes.Values.FirstOrDefault(i => i.Name == n) is not { } info) { Reply(false, $"unknown node '{n}'"); return; }
                node = info.Id;
            }
            VmCommand(new VmCleanedUp(name, node), $"VM {name}: fail counts {(c.Node is null ? "on every node" : $"on {c.Node}")} cleaned up");
        });
        Receive<SetVmManaged>(c => VmCommand(new VmManaged(VmSpecRules.Canonical(c.Name), c.Managed),
            $"VM {VmSpecRules.Canonical(c.Name)} is {(c.Managed ? "managed" : "unmanaged")} now"));
        Receive<MigrateVm>(OnMigrateVm);
        Receive<ClearVmMove>(c => VmCommand(new VmMoveCleared(VmSpecRules.Canonical(c.Name)),
            $"VM {VmSpecRules.Canonical(c.Name)}: move preference cleared (placement may move it again)"));
        Receive<ExplainVm>(c =>
        {
            var name = VmSpecRules.Canonical(c.Name);
            if (!_state.Vms.ContainsKey(name)) Reply(false, $"VM '{name}' is not managed");
            else Sender.Tell(new VmExplanation(name, VmRecovery.Explain(_state, _viewIds, VmServices, name, Context.System.TimeProvider.GetUtcNow())), Self);
        });
        Timers.StartPeriodicTimer("vm-sync", VmSyncTick.Instance, VmServices.Policy.SyncInterval); // stashed until recovery completes
    }

    /// <summary>A VM whose role here is <paramref name="role"/> stays as it is while this host is Down with no fence under way.</summary>
    private bool KeptWhileDown(VmLocalRole role) =>
        role != VmLocalRole.Absent && _state.StateOf(Me) == NodeState.Down && !_state.PendingFences.ContainsKey(Me);

    /// <summary>This host is Down or Fenced in the state, or a fence request for it is open.</summary>
    private bool SelfUnclean => Hosts.HostEffects.Unclean(_state, Me);

    // ---- local VM actors ----------------------------------------------------------------------------

    private void SyncLocalVms()
    {
        if (_role != PartitionRole.Primary || !_viewSynced || _left) return;
        foreach (var name in _state.Vms.Keys) SyncVm(name);
        foreach (var name in _localVms.Keys.Where(n => !_state.Vms.ContainsKey(n)).ToList()) SyncVm(name);
        ReportHoldings();
    }

    private void SyncVm(string name)
    {
        if (_role == PartitionRole.Primary) _demotedStop = false;
        else if (_demotedStop) return; // demoted under a stopping no-quorum-policy: the VMs stay stopped until this host is primary
        var services = VmServices; // without any: a VM placed here fails at once ("no … hypervisor") and moves on
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
        Log.LogDebug("VM {Vm} on {Node}: {Role}", name, _options.Self.Name, role);
        local.Actor.Tell(local.Last, Self);
    }

    private void OnVmIdle(VmActorIdle idle)
    {
        if (!_localVms.TryGetValue(idle.Vm, out var local) || !ReferenceEquals(local.Actor, Sender) && local.Actor.Path != Sender.Path) return;
        if (local.Last is not { Role: VmLocalRole.Absent } last || last.Seq != idle.Seq) return; // a newer assignment is on its way
        _localVms.Remove(idle.Vm);
        Context.Stop(local.Actor);
        ReportHoldings();
    }

    /// <summary>A child's outcome goes into the replicated state (only a synced primary member can put it there).</summary>
    private void OnVmReport(VmReport report)
    {
        if (_role == PartitionRole.Minority) DemotionReport(report.Event);
        if (_role != PartitionRole.Primary || !_viewSynced || _left) return; // the child re-sends it
        if (report.Event is VmOperationFailed failed)
        {
            ReportFailedOperation(failed);
            return;
        }
        if (_state.Validate(report.Event) is { } reason)
        {
            Log.LogDebug("Not reporting {Event}: {Reason}", report.Event, reason);
            return;
        }
        Multicast(report.Event);
    }

    /// <summary>
    /// A failed operation's on-fail, with what follows in the same batch: standby puts this host in standby; fence is the
    /// DC's (it downs and fences the host the VM names in FenceFor: see FenceForFailedOperations). The stop's default is fence when fencing
    /// is enabled, else block; fence without fencing enabled, or on the DC itself (which never fences itself), is block.
    /// </summary>
    private void ReportFailedOperation(VmOperationFailed failed)
    {
        var fencing = FencingPolicyNow().Enabled;
        var onFail = failed.Operation == "stop" ? new VmOnFailPolicy(Stop: failed.OnFail).ForStop(fencing) : failed.OnFail;
        var reason = failed.Reason;
        if (onFail == VmOnFail.Fence && (!fencing || DcOfView() == Me))
        {
            onFail = VmOnFail.Block;
            reason += fencing ? " (this host is the DC, which is never fenced by itself: blocked instead)" : " (fencing is disabled: blocked instead)";
        }
        var e = failed with { OnFail = onFail, Reason = reason };
        var plan = new Plan(_state);
        if (!plan.Add(e))
        {
            Log.LogDebug("Not reporting {Event}: {Reason}", e, _state.Validate(e));
            return;
        }
        if (onFail == VmOnFail.Standby && plan.State.StateOf(Me) == NodeState.Up)
            plan.Add(new NodeStandby(Me));
        Log.LogWarning("VM {Vm} failed to {Operation} on {Node}: on-fail {OnFail}", failed.Name, failed.Operation, _options.Self.Name, VmOnFailPolicy.Name(onFail));
        MulticastEvents(plan.Events);
    }

    // ---- operator commands --------------------------------------------------------------------------

    private void OnMigrateVm(MigrateVm command)
    {
        var name = VmSpecRules.Canonical(command.Name);
        var target = _options.Nodes.FirstOrDefault(n => n.Name == command.Node);
        if (target is null)
        {
            Reply(false, $"unknown node '{command.Node}' (nodes: {string.Join(", ", _options.Nodes.Select(n => n.Name))})");
            return;
        }
        if (!_state.Vms.TryGetValue(name, out var vm))
        {
            Reply(false, $"VM '{name}' is not managed");
            return;
        }
        if (vm.State != VmRunState.Running || vm.Node is not { } from)
        {
            Reply(false, $"VM {name} is {vm.State.ToString().ToLowerInvariant()}; only a running VM can be migrated");
            return;
        }
        VmCommand(new VmMigrating(name, from, target.Id, ByOperator: true),
            $"VM {name} is migrating from {NameOf(from)} to {target.Name}; it stays there until `haven vm clear {name}`");
    }

    /// <summary>What an accepted start/stop/disable says: what the cluster will do, not that it is done (the VM may still be stopping).</summary>
    private static string DesiredAccepted(string vm, VmDesiredState desired) => desired switch
    {
        VmDesiredState.Started => $"VM {vm} is to run: the cluster starts it where placement puts it (haven vm list shows when it runs)",
        VmDesiredState.Stopped => $"VM {vm} is to stop: the cluster stops it where it runs (haven vm list shows when it has stopped)",
        _ => $"VM {vm} is disabled: the cluster stops it and keeps it stopped (haven vm list shows when it has stopped)",
    };

    private void VmCommand(IClusterEvent e, string accepted)
    {
        if (_role != PartitionRole.Primary)
        {
            Reply(false, $"this host is not in the primary partition ({_role.ToString().ToLowerInvariant()}); ask a primary member");
            return;
        }
        if (_state.Validate(e) is { } reason)
        {
            Reply(false, reason);
            return;
        }
        Multicast(e);
        Reply(true, accepted);
    }

    private sealed class LocalVm(IActorRef actor)
    {
        public IActorRef Actor { get; } = actor;
        public VmAssignment? Last { get; set; }
    }

    private sealed record VmSyncTick
    {
        public static readonly VmSyncTick Instance = new();
    }
}
