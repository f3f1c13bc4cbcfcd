using System.Collections.Immutable;
using Haven.Actors.Coordinator;
using Haven.Actors.Hosts;
using Haven.Actors.Runtime;
using Haven.Actors.Vms;
using Microsoft.Extensions.Logging;

namespace Haven.Actors.Cluster;

/// <summary>
/// VMs on this host (what the DC decides about them is in <see cref="DcRound"/>, with <see cref="VmRecovery"/>): the operator's
/// VM commands, and the reports of this host's <see cref="VmActor"/>s, which are multicast from here. The VmActors are
/// children of the <see cref="HostActor"/> (Hosts/HostActor.Vms.cs): it hears every applied event (<see cref="HostApplied"/>)
/// and, every sync-interval, is told to compare the whole state with its children (<see cref="Hosts.SyncLocalVms"/>).
/// </summary>
public sealed partial class ClusterActor
{
    private static readonly VmServices NoVmServices = new(new Dictionary<string, IHypervisor>());

    private VmServices VmServices => _deps.Vms ?? NoVmServices;

    /// <summary>Registers the VM commands' handlers (called from the constructor).</summary>
    private void RegisterVmHandlers()
    {
        Receive<VmReport>(OnVmReport);
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

    /// <summary>This host is Down or Fenced in the state, or a fence request for it is open.</summary>
    private bool SelfUnclean => Hosts.HostEffects.Unclean(_state, Me);

    /// <summary>What the HostActor's VM effects read of this actor, as of now.</summary>
    private HostView HostViewNow() => new(_stateVersion, _state, _role == PartitionRole.Primary, _left, _options.Nodes);

    // ---- local VM actors (the HostActor's children: Hosts/HostActor.Vms.cs) -----------------------------

    private void SyncLocalVms()
    {
        if (_role != PartitionRole.Primary || !_viewSynced || _left) return;
        Host.Tell(new SyncLocalVms(HostViewNow()), Self);
        ReportHoldings();
    }

    /// <summary>A child's outcome goes into the replicated state (only a synced primary member can put it there).</summary>
    private void OnVmReport(VmReport report)
    {
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

    private sealed record VmSyncTick
    {
        public static readonly VmSyncTick Instance = new();
    }
}
