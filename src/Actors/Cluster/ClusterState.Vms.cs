using System.Collections.Immutable;
using Haven.Actors.Membership;
using Haven.Actors.Vms;

namespace Haven.Actors.Cluster;

/// <summary>
/// Managed VMs kept in the replicated state (issue "VMs"). VM transitions (event: from → to):
/// <list type="bullet">
/// <item>VmAdded: unknown → Stopped (valid definition, <see cref="VmSpecRules"/>); VmRemoved: a VM that runs nowhere (forced: any)</item>
/// <item>VmPlaced(node): Stopped, Failed → Starting on an Up, undemoted node, only when Started is desired and
/// no node is unclean (<see cref="UncleanNodes"/>: it may run the VM through events this stream never received)</item>
/// <item>VmStopped on a node shutting down under shutdown-lock locks the VM to it (ClusterState.ShutdownLock.cs); VmPlaced clears the lock</item>
/// <item>VmMultiplyActive (a host forced off a copy the state does not place there): stop_start marks the state's copy for a restart,
/// stop_only makes it desired stopped, block unmanaged (ClusterState.MultiplyActive.cs)</item>
/// <item>VmRunning: Starting → Running (same node); VmStopping: Starting, Running → Stopping (same node)</item>
/// <item>VmStopped, VmFailed: Starting, Running, Stopping → Stopped / Failed (runs nowhere). Never for a node
/// that is Down, Unreachable or has a fence request open: a lost host's VMs are released only once it is
/// fenced or has left, so nothing is started elsewhere before that</item>
/// <item>VmMigrating(from, to): Running on from → Migrating, when the VM allows migration and to is Up and
/// undemoted; VmMigrated: → Running on to; VmMigrationFailed: → Running on from — each only for the attempt in
/// progress (<see cref="VmInfo.Attempt"/>), so a stale report of an earlier attempt is rejected; a VmMigrated of the
/// current attempt after it was recorded failed (the VM still Running on from) is taken: the source saw it complete</item>
/// <item>VmFailed also counts the failure on its node (<see cref="VmInfo.Failures"/>); VmCleanedUp forgets the counts of one node
/// or all (a Failed VM becomes Stopped, a VM blocked by on-fail block on that node managed again) and releases a shutdown-lock; VmManaged sets <see cref="VmInfo.Unmanaged"/></item>
/// <item>VmOperationFailed (on-fail other than restart): counts the failure; block makes the VM unmanaged where it is; fence
/// leaves it on its node (the host is being fenced); stop → Stopped and desired stopped; standby → Failed</item>
/// <item>VmFenceBlocked: the pending on-fail fence (<see cref="VmInfo.FenceFor"/>) cannot be carried out → block (unmanaged where it is)</item>
/// </list>
/// </summary>
public sealed partial record ClusterState
{
    /// <summary>Managed VMs by (upper-case) name.</summary>
    public ImmutableSortedDictionary<string, VmInfo> Vms { get; private init; } =
        ImmutableSortedDictionary.Create<string, VmInfo>(StringComparer.Ordinal);

    /// <summary>
    /// The global HA switch (HA-Lizard's GLOBAL_VM_HA): when false the DC recovers and places nothing.
    /// It is the cluster-wide setting haven.ha.enabled (<see cref="HaEnabled"/>; default on).
    /// </summary>
    public bool VmHaEnabled() => HaEnabled;

    /// <summary>The VMs the state puts on <paramref name="node"/> (running, starting, stopping or migrating from it).</summary>
    public IEnumerable<VmInfo> VmsOn(NodeId node) => Vms.Values.Where(v => v.Node == node);

    /// <summary>The transition for a VM event, or null when the event is not one.</summary>
    private (ClusterState? State, string? Reason)? VmTransition(IClusterEvent clusterEvent) => clusterEvent switch
    {
        VmAdded e => AddVm(e),
        VmRemoved e => WithVm(e.Name, vm => vm.Placed && !e.Force
            ? (null, RemoveRefused(vm))
            : (this with { Vms = Vms.Remove(vm.Name), Version = Version + 1 }, null)),
        VmDesired e => WithVm(e.Name, vm => ChangeDesired(vm, e.Desired)),
        VmHa e => WithVm(e.Name, vm => vm.Spec.Ha == e.Enabled
            ? (null, $"HA of VM {vm.Name} is already {(e.Enabled ? "on" : "off")}")
            : Put(vm with { Spec = vm.Spec with { Ha = e.Enabled } })),
        VmPlaced e => WithVm(e.Name, vm => Place(vm, e.Node)),
        VmRunning e => WithVm(e.Name, vm => OnNode(vm, e.Node, [VmRunState.Starting], "run") ?? SameAttempt(vm, e.Attempt)
            ?? Put(vm with { State = VmRunState.Running, Reason = "" })),
        VmStopping e => WithVm(e.Name, vm => OnNode(vm, e.Node, [VmRunState.Starting, VmRunState.Running], "stop")
            ?? Put(vm with { State = VmRunState.Stopping, Reason = e.Reason })),
        VmStopped e => WithVm(e.Name, vm => Release(vm, e.Node, "stop") ?? SameAttempt(vm, e.Attempt)
            ?? Put(vm with { State = VmRunState.Stopped, Node = null, Reason = e.Reason, Lock = LockOnStop(vm, e.Node), RestartPending = false })),
        VmFailed e => WithVm(e.Name, vm => Release(vm, e.Node, "fail") ?? SameAttempt(vm, e.Attempt)
            ?? Put(vm with
            {
                State = VmRunState.Failed, Node = null, FailedOn = vm.FailedOn.Add(e.Node), Reason = e.Reason, RestartPending = false,
                Failures = vm.Failures.SetItem(e.Node, new VmFailures(vm.FailuresOn(e.Node).Count + 1, e.At ?? vm.FailuresOn(e.Node).Last)),
            })),
        VmOperationFailed e => WithVm(e.Name, vm => OperationFailed(vm, e)),
        VmFenceBlocked e => WithVm(e.Name, vm => FenceBlocked(vm, e)),
        VmMultiplyActive e => WithVm(e.Name, vm => MultiplyActive(vm, e)),
        VmCleanedUp e => WithVm(e.Name, vm => Cleanup(vm, e.Node)),
        VmManaged e => WithVm(e.Name, vm => vm.Unmanaged != e.Managed
            ? (null, $"VM {vm.Name} is already {(e.Managed ? "managed" : "unmanaged")}")
            : Put(vm with { Unmanaged = !e.Managed })),
        VmMigrating e => WithVm(e.Name, vm => StartMigration(vm, e.From, e.To, e.ByOperator)),
        VmMigrated e => WithVm(e.Name, vm => (LateMigrated(vm, e) ? null : Migration(vm, e.From, e.To, e.Attempt))
            ?? Put(vm with { State = VmRunState.Running, Node = e.To, Target = null, Reason = "" })),
        VmMigrationFailed e => WithVm(e.Name, vm => Migration(vm, e.From, e.To, e.Attempt)
            ?? Put(vm with { State = VmRunState.Running, Target = null, Reason = e.Reason, MovedTo = vm.MovedTo == e.To ? null : vm.MovedTo })),
        VmMoveCleared e => WithVm(e.Name, vm => vm.MovedTo is null
            ? (null, $"VM {vm.Name} has no move preference to clear (only `haven vm migrate` leaves one)")
            : Put(vm with { MovedTo = null })),
        _ => null,
    };

    private (ClusterState?, string?) AddVm(VmAdded e)
    {
        if (VmSpecRules.Check(e.Vm) is { } bad) return (null, bad);
        if (!Enum.IsDefined(e.Desired)) return (null, $"VM {e.Vm.Name}: desired state {e.Desired} is not valid");
        if (Vms.ContainsKey(e.Vm.Name)) return (null, $"VM {e.Vm.Name} is already managed");
        return Put(new VmInfo(e.Vm, e.Desired, VmRunState.Stopped, null, null, ImmutableSortedSet<NodeId>.Empty, ""));
    }

    private (ClusterState?, string?) ChangeDesired(VmInfo vm, VmDesiredState desired)
    {
        if (!Enum.IsDefined(desired)) return (null, $"VM {vm.Name}: desired state {desired} is not valid");
        var cleanup = desired == VmDesiredState.Started && (vm.State == VmRunState.Failed || !vm.FailedOn.IsEmpty);
        if (vm.Desired == desired && !cleanup) return (null, $"VM {vm.Name} is already {desired.ToString().ToLowerInvariant()}");
        return Put(vm with
        {
            Desired = desired,
            FailedOn = desired == VmDesiredState.Started ? ImmutableSortedSet<NodeId>.Empty : vm.FailedOn,
            Failures = desired == VmDesiredState.Started ? ImmutableSortedDictionary<NodeId, VmFailures>.Empty : vm.Failures,
            State = cleanup && vm.State == VmRunState.Failed ? VmRunState.Stopped : vm.State,
        });
    }

    /// <summary>
    /// A failed operation's on-fail (the failure counts on the node): block leaves the VM where it is, unmanaged; fence
    /// leaves it there until the host is fenced; stop and standby release it (the host forced it off), stop keeps it
    /// stopped. Restart, ignore and the default are never reported.
    /// </summary>
    private (ClusterState?, string?) OperationFailed(VmInfo vm, VmOperationFailed e)
    {
        if (!VmOnFailPolicy.Operations.Contains(e.Operation)) return (null, $"VM {vm.Name}: '{e.Operation}' is not start, monitor or stop");
        if (vm.Node == e.Node && SameAttempt(vm, e.Attempt) is { } stale) return stale;
        var failures = vm.Failures.SetItem(e.Node, new VmFailures(vm.FailuresOn(e.Node).Count + 1, e.At ?? vm.FailuresOn(e.Node).Last));
        var reason = $"{e.Operation} failed on {Named(e.Node)}: {e.Reason} (on-fail {VmOnFailPolicy.Name(e.OnFail)})";
        switch (e.OnFail)
        {
            case VmOnFail.Block:
                if (OnNode(vm, e.Node, [VmRunState.Starting, VmRunState.Running, VmRunState.Stopping], "block") is { } notThere) return notThere;
                if (vm.Unmanaged) return (null, $"VM {vm.Name} is already unmanaged (blocked)");
                return Put(vm with { Unmanaged = true, Failures = failures, Reason = reason });
            case VmOnFail.Fence:
                if (OnNode(vm, e.Node, [VmRunState.Starting, VmRunState.Running, VmRunState.Stopping], "fence for") is { } elsewhere) return elsewhere;
                if (PendingFences.ContainsKey(e.Node) || vm.FenceFor == e.Node) return (null, $"{Named(e.Node)} is already to be fenced for VM {vm.Name}");
                return Put(vm with { Failures = failures, Reason = reason, FenceFor = e.Node });
            case VmOnFail.Stop or VmOnFail.Standby:
                if (Release(vm, e.Node, "release") is { } bad) return bad;
                return Put(vm with
                {
                    State = e.OnFail == VmOnFail.Stop ? VmRunState.Stopped : VmRunState.Failed, Node = null, Target = null,
                    Desired = e.OnFail == VmOnFail.Stop ? VmDesiredState.Stopped : vm.Desired,
                    FailedOn = e.OnFail == VmOnFail.Standby ? vm.FailedOn.Add(e.Node) : vm.FailedOn,
                    Failures = failures, Reason = reason,
                });
            default:
                return (null, $"VM {vm.Name}: on-fail {VmOnFailPolicy.Name(e.OnFail)} is not reported as a failed operation");
        }
    }

    /// <summary>An on-fail fence that cannot be carried out becomes block: unmanaged where it is (its failure was counted already).</summary>
    private (ClusterState?, string?) FenceBlocked(VmInfo vm, VmFenceBlocked e)
    {
        if (vm.FenceFor != e.Node) return (null, $"VM {vm.Name}: no on-fail fence of {Named(e.Node)} is pending");
        if (OnNode(vm, e.Node, [VmRunState.Starting, VmRunState.Running, VmRunState.Stopping], "block") is { } bad) return bad;
        return Put(vm with { Unmanaged = true, FenceFor = null, Reason = $"{vm.Reason}; {e.Reason}: blocked instead (on-fail {VmOnFailPolicy.Name(VmOnFail.Block)})" });
    }

    /// <summary>Why a VM that may still run somewhere is not removed, and how the operator clears it.</summary>
    private string RemoveRefused(VmInfo vm)
    {
        var where = $"VM {vm.Name} is {Lower(vm.State)} on {Named(vm.Node)}";
        var force = $"or `haven vm remove {vm.Name} --force` forgets it wherever it is";
        if (Blocked(vm))
            return $"{where}, blocked: {vm.Reason}; it may still run there. Fix the cause, then `haven vm cleanup {vm.Name}` "
                   + $"(the host checks it again and stops it) and remove it; {force}";
        return vm.Unmanaged
            ? $"{where} and unmanaged: it may still run there. `haven vm manage {vm.Name}` and stop it before removing it; {force}"
            : $"{where}; stop it before removing it";
    }

    /// <summary>Made unmanaged by a failed operation's on-fail block (not by the operator): cleanup manages it again.</summary>
    private static bool Blocked(VmInfo vm) =>
        vm.Unmanaged && vm.Reason.EndsWith($"(on-fail {VmOnFailPolicy.Name(VmOnFail.Block)})", StringComparison.Ordinal);

    private (ClusterState?, string?) Cleanup(VmInfo vm, NodeId? node)
    {
        if (node is { } n && !Nodes.ContainsKey(n)) return (null, $"VM {vm.Name}: {Named(n)} is not known");
        var failed = node is { } one ? vm.FailedOn.Contains(one) || vm.Failures.ContainsKey(one) : !vm.FailedOn.IsEmpty || !vm.Failures.IsEmpty;
        var locked = vm.Lock is { } l && (node is null || node == l.Node);
        if (!failed && !locked && (node is not null || vm.State != VmRunState.Failed))
            return (null, $"VM {vm.Name} has no failures to clean up{(node is { } m ? $" on {Named(m)}" : "")}");
        var failedOn = node is { } k ? vm.FailedOn.Remove(k) : ImmutableSortedSet<NodeId>.Empty;
        var unblock = Blocked(vm) && (node is null || node == vm.Node);
        return Put(vm with
        {
            FailedOn = failedOn,
            Failures = node is { } f ? vm.Failures.Remove(f) : ImmutableSortedDictionary<NodeId, VmFailures>.Empty,
            State = vm.State == VmRunState.Failed ? VmRunState.Stopped : vm.State,
            Lock = locked ? null : vm.Lock,
            // Pacemaker's cleanup of a blocked resource: the failure is forgotten and the host acts on the VM again.
            Unmanaged = vm.Unmanaged && !unblock,
            Reason = unblock ? "" : vm.Reason,
        });
    }

    private (ClusterState?, string?) Place(VmInfo vm, NodeId node)
    {
        if (vm.Desired != VmDesiredState.Started) return (null, $"VM {vm.Name} is {vm.Desired.ToString().ToLowerInvariant()}; only a started VM is placed");
        if (vm.Placed)
            return (null, $"VM {vm.Name} is {Lower(vm.State)} on {Named(vm.Node)}; it is placed only once it runs nowhere");
        if (CanRunVms(node) is { } why) return (null, $"VM {vm.Name} cannot be placed on {Named(node)}: {why}");
        if (UnheldResourcesBlocked($"VM {vm.Name}") is { } blocked) return (null, blocked);
        return Put(vm with { State = VmRunState.Starting, Node = node, Target = null, Reason = "", Lock = null, Attempt = Version + 1 });
    }

    private (ClusterState?, string?) StartMigration(VmInfo vm, NodeId from, NodeId to, bool byOperator)
    {
        if (OnNode(vm, from, [VmRunState.Running], "migrate") is { } bad) return bad;
        if (!vm.Spec.AllowMigrate) return (null, $"VM {vm.Name} does not allow live migration");
        if (from == to) return (null, $"VM {vm.Name} already runs on {Named(to)}");
        if (CanRunVms(to) is { } why) return (null, $"VM {vm.Name} cannot migrate to {Named(to)}: {why}");
        return Put(vm with { State = VmRunState.Migrating, Target = to, Reason = "", Attempt = Version + 1, MovedTo = byOperator ? to : vm.MovedTo });
    }

    /// <summary>
    /// The source saw migration attempt <see cref="VmInfo.Attempt"/> complete after the attempt was recorded failed (the
    /// DC failed it for a target it thought gone, or the source's own failure from before a restart landed first): the VM
    /// runs on the target, and the source says so. Taken, so the state does not keep a VM on a source that no longer runs
    /// it (the source would restart it: twice). Only the attempt still current, with the VM running on the source.
    /// </summary>
    private static bool LateMigrated(VmInfo vm, VmMigrated e) =>
        e.Attempt != 0 && e.Attempt == vm.Attempt && vm.State == VmRunState.Running && vm.Node == e.From && e.To != e.From;

    /// <summary>An outcome answers the migration in progress; one naming another attempt (attempt 0: not named) is stale.</summary>
    private (ClusterState?, string?)? Migration(VmInfo vm, NodeId from, NodeId to, long attempt) =>
        vm.State != VmRunState.Migrating || vm.Node != from || vm.Target != to
            ? (null, $"VM {vm.Name} is not migrating from {Named(from)} to {Named(to)} (it is {Lower(vm.State)}{(vm.Node is { } n ? $" on {Named(n)}" : "")})")
            : attempt != 0 && attempt != vm.Attempt
                ? (null, $"VM {vm.Name}: the report answers migration attempt {attempt}, but attempt {vm.Attempt} is in progress")
                : null;

    /// <summary>
    /// A host's report answers the placement (or migration) it was made under: one naming another attempt is stale — made
    /// under an earlier placement on the same node and delivered late (re-sent, or held up by a hung daemon) — and taking it
    /// would release a VM that runs (seed 1231610135). Attempt 0 (older journals, the DC's own records) is not checked.
    /// </summary>
    private static (ClusterState?, string?)? SameAttempt(VmInfo vm, long attempt) =>
        attempt != 0 && attempt != vm.Attempt
            ? (null, $"VM {vm.Name}: the report answers placement attempt {attempt}, but attempt {vm.Attempt} is in progress")
            : null;

    /// <summary>Null when the VM is in one of <paramref name="states"/> on <paramref name="node"/>, else the rejection.</summary>
    private (ClusterState?, string?)? OnNode(VmInfo vm, NodeId node, VmRunState[] states, string verb)
    {
        if (vm.Node != node) return (null, $"VM {vm.Name} is not on {Named(node)} (it is {Lower(vm.State)}{(vm.Node is { } n ? $" on {Named(n)}" : "")}); cannot {verb} it there");
        if (Array.IndexOf(states, vm.State) < 0) return (null, $"VM {vm.Name} is {Lower(vm.State)} on {Named(node)}; cannot {verb} it (allowed from {string.Join(", ", states.Select(s => Lower(s)))})");
        return null;
    }

    /// <summary>A VM leaves a node only while the node is clean: a lost host's VMs wait for its fencing.</summary>
    private (ClusterState?, string?)? Release(VmInfo vm, NodeId node, string verb)
    {
        if (OnNode(vm, node, [VmRunState.Starting, VmRunState.Running, VmRunState.Stopping], verb) is { } bad) return bad;
        if (StateOf(node) is NodeState.Down or NodeState.Unreachable || PendingFences.ContainsKey(node))
            return (null, $"{Named(node)} is {Lower(StateOf(node))}{(PendingFences.ContainsKey(node) ? " with a fence request open" : "")}; "
                          + $"VM {vm.Name} stays on it until it is fenced or has left");
        return null;
    }

    /// <summary>A node as messages name it: its name, or "node ID" while the state does not know it.</summary>
    private string Named(NodeId? node) => node is { } id && Nodes.TryGetValue(id, out var info) ? info.Name : $"node {node?.ToString() ?? "none"}";

    private static string Lower<T>(T value) => value?.ToString()?.ToLowerInvariant() ?? "";

    private string? CanRunVms(NodeId node)
    {
        if (!Nodes.TryGetValue(node, out var info)) return "it is not known";
        if (info.State != NodeState.Up) return $"it is {Lower(info.State)}, not up";
        if (Demoted.Contains(node)) return "it is demoted";
        return null;
    }

    private (ClusterState?, string?) WithVm(string name, Func<VmInfo, (ClusterState?, string?)> transition) =>
        name is not null && Vms.TryGetValue(name, out var vm) ? transition(vm) : (null, $"VM '{name}' is not managed");

    private (ClusterState?, string?) Put(VmInfo vm)
    {
        if (vm.FenceFor is not null && Vms.TryGetValue(vm.Name, out var old) && old.Node != vm.Node) vm = vm with { FenceFor = null }; // it left that node
        return (this with { Vms = Vms.SetItem(vm.Name, vm), Version = Version + 1 }, null);
    }

    /// <summary>A fence of <paramref name="node"/> answers every on-fail fence that named it (<see cref="VmInfo.FenceFor"/>).</summary>
    internal ClusterState WithoutFenceEscalations(NodeId node)
    {
        var vms = Vms;
        foreach (var vm in Vms.Values)
            if (vm.FenceFor == node) vms = vms.SetItem(vm.Name, vm with { FenceFor = null });
        return ReferenceEquals(vms, Vms) ? this : this with { Vms = vms };
    }

    private bool VmsEqual(ClusterState other)
    {
        if (ReferenceEquals(Vms, other.Vms)) return true;
        if (Vms.Count != other.Vms.Count) return false;
        foreach (var (name, vm) in Vms)
            if (!other.Vms.TryGetValue(name, out var theirs) || !vm.Equals(theirs)) return false;
        return true;
    }
}

/// <summary>Transition results of fencing events: the fenced node's on-fail fence escalations are answered.</summary>
internal static class FenceTransitions
{
    public static (ClusterState? State, string? Reason) FencedFor(this (ClusterState? State, string? Reason) result, NodeId node) =>
        result.State is { } state ? (state.WithoutFenceEscalations(node), result.Reason) : result;
}
