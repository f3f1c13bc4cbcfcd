using System.Collections.Immutable;
using Haven.Actors.Cluster;
using Haven.Actors.Membership;
using Haven.Actors.Placement;

namespace Haven.Actors.Vms;

/// <summary>
/// What the DC decides about VMs in one round, as events checked in order against a scratch state.
/// Pure: the state, the view (members of the primary) and the options in, events out.
/// <list type="number">
/// <item>VMs declared in configuration that the state lacks are added.</item>
/// <item>A fenced, departed or unknown host's VMs are released (VmStopped on its behalf); a migration whose
/// source is gone passes to the target (VmMigrated: the target then has it or restarts it), one whose target
/// is gone fails back to the source. A host that is Down or Unreachable keeps its VMs until it is fenced.</item>
/// <item>A VM that should not run (desired stopped or disabled) is stopped where it runs; so is one on a leaving host
/// that placement will not move (not HA, or HA off): a host leaves only once it runs no VM.</item>
/// <item>Unless the global HA switch is off: the <see cref="PlacementEngine"/> places HA VMs that run nowhere
/// (never while any host is Down or Unreachable: it may run VMs this state does not know of), moves VMs off
/// standby, unhealthy and leaving hosts (live migration when the VM allows it, else stop and place), and
/// follows better scores — within batch-limit (actions in flight count) and migration-limit.</item>
/// </list>
/// A VM of an appliance group is placed only once the group's lower orders run (and its start delay passed, see
/// VmRecovery.Groups.cs). VMs without the HA flag are never placed, moved or recovered; an operator starts, stops and migrates them.
/// </summary>
public static partial class VmRecovery
{
    public static ImmutableArray<IClusterEvent> Decide(ClusterState state, IReadOnlyCollection<NodeId> view, VmServices services) =>
        Decide(state, view, services, null, out _);

    /// <summary>
    /// As <see cref="Decide(ClusterState, IReadOnlyCollection{NodeId}, VmServices)"/>, with the DC's clock for group start
    /// delays; <paramref name="wakeAt"/> is when a VM held by a start delay may start (the DC runs a round then).
    /// </summary>
    public static ImmutableArray<IClusterEvent> Decide(ClusterState state, IReadOnlyCollection<NodeId> view, VmServices services,
        VmGroupClock? clock, out DateTimeOffset? wakeAt)
    {
        wakeAt = null;
        ArgumentNullException.ThrowIfNull(state);
        ArgumentNullException.ThrowIfNull(services);
        var plan = new Plan(state);
        foreach (var added in services.Configured)
            if (!plan.State.Vms.ContainsKey(added.Vm.Name)) plan.Add(added);
        foreach (var vm in plan.State.Vms.Values.ToList()) ReleaseFromGoneHost(plan, vm);
        foreach (var vm in plan.State.Vms.Values.ToList())
            if (vm.Desired != VmDesiredState.Started && !vm.Unmanaged && vm.State is VmRunState.Starting or VmRunState.Running && Acts(plan.State, view, vm.Node!.Value))
                plan.Add(new VmStopping(vm.Name, vm.Node.Value, $"desired {vm.Desired.ToString().ToLowerInvariant()}"));
        RestartMultiplyActive(plan, view);
        StopOnShuttingDownHosts(plan, view);
        StopWhatLeavingHostsKeep(plan, view);
        if (plan.State.VmHaEnabled() && !plan.State.Vms.IsEmpty) wakeAt = Place(plan, view, services, clock);
        if (clock is not null && BansExpireAt(plan.State, services.Policy, clock.Now) is { } expiry && (wakeAt is null || expiry < wakeAt))
            wakeAt = expiry; // a ban that failure-timeout lifts later needs a round then
        if (clock is not null && LocksExpireAt(plan.State, services.Policy, clock.Now) is { } unlock && (wakeAt is null || unlock < wakeAt))
            wakeAt = unlock; // so does a shutdown-lock that shutdown-lock-limit ends
        return [.. plan.Events];
    }

    /// <summary>The scores and rules the placement engine applies to <paramref name="vm"/>, one line each.</summary>
    public static IReadOnlyList<string> Explain(ClusterState state, IReadOnlyCollection<NodeId> view, VmServices services, string vm,
        DateTimeOffset? now = null)
    {
        if (!state.Vms.TryGetValue(vm, out var info)) throw new ArgumentException($"VM '{vm}' is not managed", nameof(vm));
        var lines = new List<string>
        {
            $"{vm}: {info.State.ToString().ToLowerInvariant()}{(info.Node is { } n ? $" on {NodeName(state, n)}" : "")}"
            + $"{(info.Target is { } t ? $" → {NodeName(state, t)}" : "")}, desired {info.Desired.ToString().ToLowerInvariant()}, "
            + $"HA {(info.Spec.Ha ? "on" : "off")}{(state.VmHaEnabled() ? "" : " (global HA is off: nothing is recovered)")}"
            + $"{(info.FailedOn.IsEmpty ? "" : $", gave up on {string.Join(", ", info.FailedOn.Select(f => NodeName(state, f)))}")}"
            + $"{(info.Unmanaged ? ", unmanaged (the cluster neither starts, stops nor moves it)" : "")}",
        };
        foreach (var node in info.FailedOn.Union(info.Failures.Keys))
        {
            var f = info.FailuresOn(node);
            var banned = BannedFor(info, services.Policy, now).Contains(node);
            lines.Add($"{vm}: fail count {f.Count} on {NodeName(state, node)} (migration-threshold {services.Policy.MigrationThreshold}"
                      + $"{(services.Policy.FailureTimeout > TimeSpan.Zero ? $", failure-timeout {services.Policy.FailureTimeout}" : "")}): "
                      + (banned ? "banned there until `haven vm cleanup`" + (services.Policy.FailureTimeout > TimeSpan.Zero ? " or the timeout" : "") : "may run there"));
        }
        if (LockLine(state, info, services.Policy, now) is { } locked) lines.Add(locked);
        if (info.MovedTo is { } to)
            lines.Add($"{vm}: moved to {NodeName(state, to)} by `haven vm migrate`: preferred there with INFINITY until `haven vm clear {vm}`");
        if (!info.Spec.Ha) lines.Add($"{vm}: not HA: the cluster never places, moves or recovers it");
        if (info.Spec.MultipleActive != VmMultipleActive.StopStart)
            lines.Add($"{vm}: multiple-active {VmMultipleActiveNames.Name(info.Spec.MultipleActive)} (a second copy is forced off where it is found, then {(info.Spec.MultipleActive == VmMultipleActive.Block ? "the VM is unmanaged" : "the VM is stopped")})");
        if (info.Spec.OnFail != VmOnFailPolicy.Default) lines.Add($"{vm}: on-fail {info.Spec.OnFail} (the others: Pacemaker's defaults)");
        if (info.Spec.Group is { } group)
        {
            DateTimeOffset? unused = null;
            lines.Add($"{vm}: group {group}, order {info.Spec.Order}, start delay {info.Spec.StartDelay.TotalSeconds}s"
                      + (GroupHolds(Groups(state), info, null, ref unused) is { } held ? $": held, {held}" : ""));
        }
        var plan = PlacementEngine.Plan(Input(state, view, services, now));
        lines.AddRange(plan.Explain(vm));
        return lines;
    }

    /// <summary>
    /// A leaving host's VMs that placement will not move (not HA, or the global HA switch off) are stopped there:
    /// the host leaves only once it runs no VM, and nothing may run on a host outside the cluster.
    /// </summary>
    private static void StopWhatLeavingHostsKeep(Plan plan, IReadOnlyCollection<NodeId> view)
    {
        var haOn = plan.State.VmHaEnabled();
        foreach (var vm in plan.State.Vms.Values.ToList())
            if (vm.State is VmRunState.Starting or VmRunState.Running && vm.Node is { } node && !vm.Unmanaged
                && plan.State.StateOf(node) == NodeState.Leaving && (!haOn || !Managed(vm)) && Acts(plan.State, view, node))
                plan.Add(new VmStopping(vm.Name, node, $"its host {NodeName(plan.State, node)} is leaving the cluster"));
    }

    private static void ReleaseFromGoneHost(Plan plan, VmInfo vm)
    {
        if (vm.Node is not { } node) return;
        var state = plan.State;
        var gone = Gone(state, node);
        if (vm.State == VmRunState.Migrating && vm.Target is { } target)
        {
            var targetGone = Gone(state, target);
            if (gone && targetGone)
            {
                plan.Add(new VmMigrationFailed(vm.Name, node, target, "both hosts of the migration were fenced or left", vm.Attempt));
                plan.Add(new VmStopped(vm.Name, node, $"its host {NodeName(state, node)} was {state.StateOf(node)?.ToString().ToLowerInvariant() ?? "removed"}"));
            }
            else if (gone && Alive(state, target))
                plan.Add(new VmMigrated(vm.Name, node, target, vm.Attempt)); // the target owns it now: it runs there, or the target restarts it
            else if (targetGone && Alive(state, node))
                plan.Add(new VmMigrationFailed(vm.Name, node, target, $"the target {NodeName(state, target)} was {state.StateOf(target)?.ToString().ToLowerInvariant() ?? "removed"}", vm.Attempt));
            return;
        }
        if (gone) plan.Add(new VmStopped(vm.Name, node, $"its host {NodeName(state, node)} was {state.StateOf(node)?.ToString().ToLowerInvariant() ?? "removed"}"));
    }

    private static DateTimeOffset? Place(Plan plan, IReadOnlyCollection<NodeId> view, VmServices services, VmGroupClock? clock)
    {
        DateTimeOffset? wakeAt = null;
        var state = plan.State;
        var groups = Groups(state);
        PlacementPlan placement;
        try
        {
            placement = PlacementEngine.Plan(Input(state, view, services, clock?.Now));
        }
        catch (ArgumentException)
        {
            return null; // inputs are filtered to known nodes; a bad capacity in configuration is reported by its validation
        }
        var options = services.Placement;
        var inFlight = state.Vms.Values.Count(v => InFlight(v.State));
        var migrating = state.Vms.Values.Count(v => v.State == VmRunState.Migrating);
        var budget = options.BatchLimit > 0 ? options.BatchLimit - inFlight : int.MaxValue;
        var migrations = options.MigrationLimit < 0 ? int.MaxValue : Math.Max(1, options.MigrationLimit) - migrating;
        // A host that is down or unreachable and not yet fenced may run VMs this state does not know of.
        var unclean = state.Nodes.Values.Any(n => n.State is NodeState.Down or NodeState.Unreachable);
        var byName = state.Nodes.Values.ToDictionary(n => n.Name, n => n.Id, StringComparer.Ordinal);
        // Pacemaker orders a start after the stops that make room for it (priority preemption): a start on a node with a
        // capacity waits while a VM leaves that node, in this plan or in flight; the round after the stop places it.
        var leaving = placement.Actions.Where(a => a.Action != PlacementActionKind.Start && a.From is not null && a.From != a.To)
            .Select(a => a.From!).Concat(state.Vms.Values.Where(v => v.State is VmRunState.Stopping or VmRunState.Migrating && v.Node is not null)
                .Select(v => NodeName(state, v.Node!.Value)))
            .Where(services.Capacities.ContainsKey).ToHashSet(StringComparer.Ordinal);
        foreach (var action in placement.Actions)
        {
            if (budget <= 0) break;
            if (!plan.State.Vms.TryGetValue(action.Vm, out var vm) || !Managed(vm) || InFlight(vm.State)) continue;
            if (vm.Node is null && action.Action == PlacementActionKind.Start && GroupHolds(groups, vm, clock, ref wakeAt) is not null) continue;
            var to = action.To is { } t ? byName[t] : (NodeId?)null;
            if (vm.Node is null && action.To is { } target && leaving.Contains(target)) continue; // a start waits; stops and migrations do not
            IClusterEvent? decision = action.Action switch
            {
                PlacementActionKind.Start when vm.Node is null => unclean ? null : new VmPlaced(vm.Name, to!.Value),
                PlacementActionKind.Start or PlacementActionKind.Migrate or PlacementActionKind.Move when vm.Node is { } from && Acts(plan.State, view, from) =>
                    vm.Spec.AllowMigrate && action.Action != PlacementActionKind.Move && migrations > 0
                        ? new VmMigrating(vm.Name, from, to!.Value)
                        : action.Action == PlacementActionKind.Migrate ? null
                        : new VmStopping(vm.Name, from, $"moving to {action.To} ({plan.State.StateOf(from)?.ToString().ToLowerInvariant()} host)"),
                PlacementActionKind.Stop when vm.Node is { } from && Acts(plan.State, view, from) =>
                    new VmStopping(vm.Name, from, "it fits on no node"),
                _ => null,
            };
            if (decision is null || !plan.Add(decision)) continue;
            budget--;
            if (decision is VmMigrating) migrations--;
        }
        // A leaving host waits for its VMs: one no other host can take is stopped there (the engine leaves a VM
        // on a node it counts as lost where it is, since it may not be running at all).
        foreach (var name in placement.Unplaced)
            if (plan.State.Vms.TryGetValue(name, out var vm) && vm.State is VmRunState.Starting or VmRunState.Running && vm.Node is { } node
                && plan.State.StateOf(node) == NodeState.Leaving && Acts(plan.State, view, node))
                plan.Add(new VmStopping(vm.Name, node, $"its host {NodeName(plan.State, node)} is leaving the cluster and no other host can take it"));
        return wakeAt;
    }

    /// <summary>
    /// The engine's input: every known node (online: an Up, undemoted member of the view), every VM; a node where a VM's
    /// fail count reached migration-threshold is banned for it unless failure-timeout has passed since its last failure
    /// there (measured to <paramref name="now"/>; without a clock a ban does not expire).
    /// </summary>
    internal static PlacementInput Input(ClusterState state, IReadOnlyCollection<NodeId> view, VmServices services, DateTimeOffset? now = null)
    {
        var nodes = state.Nodes.Values.Select(n => new PlacementNode(n.Name, Health(state, view, n),
                services.Capacities.TryGetValue(n.Name, out var capacity) ? capacity : Capacity.Unlimited))
            .ToImmutableArray();
        var known = nodes.Select(n => n.Name).ToHashSet(StringComparer.Ordinal);
        var vms = state.Vms.Values.Select(vm =>
        {
            var at = vm.State == VmRunState.Migrating ? vm.Target : vm.Node;
            var current = at is { } id && state.Nodes.TryGetValue(id, out var info) ? info.Name : null;
            var pinned = InFlight(vm.State) || !Managed(vm);
            var banned = BannedFor(vm, services.Policy, now).Where(f => state.Nodes.ContainsKey(f)).Select(f => NodeName(state, f)).ToHashSet(StringComparer.Ordinal);
            var movedTo = vm.MovedTo is { } m && state.Nodes.TryGetValue(m, out var moved) && !banned.Contains(moved.Name) ? moved.Name : null;
            var preferences = vm.Spec.Preferences.Where(p => known.Contains(p.Node) && !banned.Contains(p.Node))
                .Concat(movedTo is null ? [] : [new NodePreference(movedTo, PlacementScores.Infinity)])
                .Concat(banned.Order(StringComparer.Ordinal).Select(f => new NodePreference(f, PlacementScores.Banned)))
                .ToImmutableArray();
            var (wanted, locked) = Locked(state, view, vm, services, now, Managed(vm) || current is not null, preferences);
            return new PlacementVm(vm.Name, new Capacity(vm.Spec.Cpu, vm.Spec.Memory), current, current is not null,
                vm.Spec.Priority, vm.Spec.AllowMigrate, locked,
                Wanted: wanted,
                Stickiness: pinned ? PlacementScores.Infinity : null,
                With: Known(state, vm, vm.Spec.With), Apart: Known(state, vm, vm.Spec.Apart),
                Managed: !vm.Unmanaged);
        }).ToImmutableArray();
        return new PlacementInput(nodes, vms, services.Placement);
    }

    /// <summary>
    /// The nodes a VM may not be placed on for its failures: fail count at or over migration-threshold (0: none), and
    /// failure-timeout (zero: never) not passed since the last failure there (a failure without a time never expires).
    /// </summary>
    internal static IEnumerable<NodeId> BannedFor(VmInfo vm, VmPolicy policy, DateTimeOffset? now)
    {
        if (policy.MigrationThreshold <= 0) yield break;
        foreach (var node in vm.FailedOn.Union(vm.Failures.Keys))
        {
            var f = vm.FailuresOn(node);
            if (f.Count < policy.MigrationThreshold) continue;
            if (policy.FailureTimeout > TimeSpan.Zero && now is { } t && f.Last is { } last && t >= last + policy.FailureTimeout) continue;
            yield return node;
        }
    }

    /// <summary>When the next failure ban lifts by failure-timeout (null: none will).</summary>
    private static DateTimeOffset? BansExpireAt(ClusterState state, VmPolicy policy, DateTimeOffset now)
    {
        if (policy.FailureTimeout <= TimeSpan.Zero || policy.MigrationThreshold <= 0) return null;
        DateTimeOffset? first = null;
        foreach (var vm in state.Vms.Values)
            foreach (var node in BannedFor(vm, policy, now))
                if (vm.FailuresOn(node).Last is { } last && (first is null || last + policy.FailureTimeout < first))
                    first = last + policy.FailureTimeout;
        return first;
    }

    /// <summary>
    /// A node as the engine sees it: an Up, undemoted member of the view is online; a member in maintenance keeps its VMs
    /// as they are, their room counted there (Pacemaker's node attribute maintenance); everything else — standby,
    /// unhealthy and leaving hosts too — is lost for placement (its VMs move; one no other host can take stays on a
    /// standby host, unlike Pacemaker's standby, which stops it).
    /// </summary>
    private static NodeHealth Health(ClusterState state, IReadOnlyCollection<NodeId> view, NodeInfo node) =>
        !view.Contains(node.Id) || state.Demoted.Contains(node.Id) ? NodeHealth.Lost
        : node.State switch
        {
            NodeState.Up => NodeHealth.Online,
            NodeState.Maintenance => NodeHealth.Maintenance,
            _ => NodeHealth.Lost,
        };

    /// <summary>Colocations with VMs the state still has (a removed partner no longer constrains).</summary>
    private static ImmutableArray<VmConstraint> Known(ClusterState state, VmInfo vm, ImmutableArray<VmConstraint> constraints) =>
        constraints.IsDefaultOrEmpty || constraints.All(c => c.Vm != vm.Name && state.Vms.ContainsKey(c.Vm)) ? constraints
            : [.. constraints.Where(c => c.Vm != vm.Name && state.Vms.ContainsKey(c.Vm))];

    private static bool Managed(VmInfo vm) => vm.Spec.Ha && vm.Desired == VmDesiredState.Started && !vm.Unmanaged;

    private static bool InFlight(VmRunState state) => state is VmRunState.Starting or VmRunState.Stopping or VmRunState.Migrating;

    private static bool Gone(ClusterState state, NodeId node) => state.StateOf(node) is NodeState.Fenced or NodeState.Left or null;

    /// <summary>A member that can act on its VMs: in the view, not Down, not demoted, no fence request open.</summary>
    private static bool Alive(ClusterState state, NodeId node) =>
        state.StateOf(node) is NodeState.Up or NodeState.Standby or NodeState.Maintenance or NodeState.Unhealthy or NodeState.Leaving or NodeState.Joining
        && !state.PendingFences.ContainsKey(node);

    /// <summary>Whether the DC may ask the host to stop or move its VMs: a live member of the view, not in maintenance.</summary>
    private static bool Acts(ClusterState state, IReadOnlyCollection<NodeId> view, NodeId node) =>
        view.Contains(node) && Alive(state, node) && state.StateOf(node) != NodeState.Maintenance && !state.Demoted.Contains(node);

    private static string NodeName(ClusterState state, NodeId node) => state.Nodes.TryGetValue(node, out var info) ? info.Name : node.Unnamed;
}
