using System.Collections.Immutable;
using Haven.Actors.Cluster;
using Haven.Actors.Membership;
using Haven.Actors.Persistence;
using Haven.Actors.Placement;

namespace Haven.Actors.Vms;

/// <summary>What the operator wants of a VM: running, stopped, or stopped and left alone (no HA, no starts).</summary>
public enum VmDesiredState
{
    Started,
    Stopped,
    Disabled,
}

/// <summary>
/// Where a managed VM is in its life as the replicated state knows it. <see cref="Starting"/>,
/// <see cref="Running"/>, <see cref="Stopping"/> and <see cref="Migrating"/> name a node (the host that
/// runs it); <see cref="Stopped"/> and <see cref="Failed"/> run nowhere.
/// </summary>
public enum VmRunState
{
    Stopped,
    Starting,
    Running,
    Stopping,
    Migrating,

    /// <summary>Its host gave up after the restart limit (Pacemaker's migration-threshold); the DC places it elsewhere.</summary>
    Failed,
}

/// <summary>
/// A managed VM's definition. <see cref="Name"/> is upper case, <c>[-.A-Z0-9]{3,}</c> (seed 003);
/// <see cref="Hypervisor"/> is libvirt, xen, openvz or process; <see cref="Config"/> is what that
/// hypervisor knows the VM by (<see cref="VmDefinition"/>); <see cref="Cpu"/> (cores) and
/// <see cref="Memory"/> (MiB) are its utilization; <see cref="Preferences"/> score nodes by name
/// (<see cref="PlacementScores.Banned"/> forbids one); <see cref="Ha"/> is HA-Lizard's per-VM HA flag.
/// </summary>
public sealed record VmSpec(
    string Name,
    string Hypervisor,
    string Config,
    long Cpu = 0,
    long Memory = 0,
    ImmutableArray<NodePreference> Preferences = default,
    bool AllowMigrate = false,
    int Priority = 0,
    bool Ha = true,
    ImmutableSortedDictionary<string, string>? Options = null)
{
    public ImmutableArray<NodePreference> Preferences { get; init; } = Preferences.IsDefault ? [] : Preferences;

    /// <summary>VMs this one runs with (same node; placed after them), hard at INFINITY, else a score for their node.</summary>
    public ImmutableArray<VmConstraint> With { get; init => field = value.IsDefault ? [] : value; } = [];

    /// <summary>VMs this one never shares a node with (hard at INFINITY), else a score taken from their node.</summary>
    public ImmutableArray<VmConstraint> Apart { get; init => field = value.IsDefault ? [] : value; } = [];

    /// <summary>HA-Lizard appliance group: its VMs start in <see cref="Order"/> (lower first). Null: in no group.</summary>
    public string? Group { get; init; }

    /// <summary>Start order within <see cref="Group"/>: started once every VM of the group with a lower order runs.</summary>
    public int Order { get; init; }

    /// <summary>How long after the group's lower-order VMs are all running this one may start.</summary>
    public TimeSpan StartDelay { get; init; }

    /// <summary>What the cluster does when one of the VM's operations fails (Pacemaker's on-fail per operation).</summary>
    public VmOnFailPolicy OnFail { get; init => field = value ?? VmOnFailPolicy.Default; } = VmOnFailPolicy.Default;

    /// <summary>What the DC does once a second copy was found running (Pacemaker's multiple-active; the extra copy is always forced off).</summary>
    public VmMultipleActive MultipleActive { get; init; }

    /// <summary>What the hypervisor adapter needs to act on this VM.</summary>
    public VmDefinition Definition => new(Name, Hypervisor, Config, Options);

    public bool Equals(VmSpec? other) =>
        other is not null && Name == other.Name && Hypervisor == other.Hypervisor && Config == other.Config
        && Cpu == other.Cpu && Memory == other.Memory && AllowMigrate == other.AllowMigrate && Priority == other.Priority
        && Ha == other.Ha && Preferences.SequenceEqual(other.Preferences)
        && With.SequenceEqual(other.With) && Apart.SequenceEqual(other.Apart)
        && Group == other.Group && Order == other.Order && StartDelay == other.StartDelay && OnFail == other.OnFail
        && MultipleActive == other.MultipleActive
        && (Options ?? ImmutableSortedDictionary<string, string>.Empty).SequenceEqual(other.Options ?? ImmutableSortedDictionary<string, string>.Empty);

    public override int GetHashCode() => HashCode.Combine(Name, Hypervisor, Config, Cpu, Memory);
}

/// <summary>
/// A managed VM in the replicated state: its definition, what the operator wants, where it is.
/// <see cref="Node"/> is the host that runs it (the source during a migration, <see cref="Target"/> the
/// destination); <see cref="FailedOn"/> are hosts that gave up on it, <see cref="Failures"/> how often and when last
/// (Pacemaker's fail-count per node: banned there once it reaches migration-threshold, until failure-timeout passes,
/// `haven vm cleanup` or `haven vm start`); <see cref="Unmanaged"/>: the cluster neither starts, stops nor moves it
/// (Pacemaker's is-managed=false, `haven vm unmanage`).
/// </summary>
public sealed record VmInfo(
    VmSpec Spec,
    VmDesiredState Desired,
    VmRunState State,
    NodeId? Node,
    NodeId? Target,
    ImmutableSortedSet<NodeId> FailedOn,
    string Reason)
{
    public string Name => Spec.Name;

    /// <summary>
    /// Which placement or migration is in progress: the state version that applied its <see cref="VmPlaced"/> or
    /// <see cref="VmMigrating"/>. A host's report (running, stopped, failed, a failed operation, a migration's outcome)
    /// names the attempt it was made under, so a late or repeated report of an earlier attempt is never taken for one of
    /// a later attempt on the same node (0: none since the VM was added; a report naming 0 is not checked).
    /// </summary>
    public long Attempt { get; init; }

    /// <summary>Fail counts by node (a host that gave up on it, VmFailed), with the time of the last failure when known.</summary>
    public ImmutableSortedDictionary<NodeId, VmFailures> Failures { get; init; } = ImmutableSortedDictionary<NodeId, VmFailures>.Empty;

    /// <summary>Left alone by the DC: never placed, stopped or moved (Pacemaker's is-managed=false).</summary>
    public bool Unmanaged { get; init; }

    /// <summary>An operation failed on this node with on-fail fence: the DC downs and fences it (cleared once the VM leaves the node).</summary>
    public NodeId? FenceFor { get; init; }

    /// <summary>A second copy was found (multiple-active stop_start): the DC stops this one where it runs and places it again.</summary>
    public bool RestartPending { get; init; }

    /// <summary>Pacemaker's shutdown-lock: stopped by its host's clean shutdown, it may run only there until the lock is released.</summary>
    public VmShutdownLock? Lock { get; init; }

    /// <summary>
    /// Where an operator's `haven vm migrate` sent it (Pacemaker's cli-prefer constraint of `crm_resource --move`): placement
    /// prefers that node with INFINITY, so the DC does not move it back, until `haven vm clear`, a failed migration there
    /// or its removal. The preference is a score, not a requirement: with that node lost the VM runs elsewhere, and comes
    /// back when it returns.
    /// </summary>
    public NodeId? MovedTo { get; init; }

    /// <summary>How often the VM failed on <paramref name="node"/> (a host in <see cref="FailedOn"/> from an older journal counts once).</summary>
    public VmFailures FailuresOn(NodeId node) =>
        Failures.TryGetValue(node, out var f) ? f : FailedOn.Contains(node) ? new VmFailures(1, null) : new VmFailures(0, null);

    /// <summary>Whether the VM may be running on some host (the state names one).</summary>
    public bool Placed => Node is not null;

    public bool Equals(VmInfo? other) =>
        other is not null && Spec.Equals(other.Spec) && Desired == other.Desired && State == other.State
        && Node == other.Node && Target == other.Target && Reason == other.Reason && FailedOn.SetEquals(other.FailedOn)
        && Attempt == other.Attempt
        && Unmanaged == other.Unmanaged && FenceFor == other.FenceFor && Lock == other.Lock && MovedTo == other.MovedTo && RestartPending == other.RestartPending && Failures.SequenceEqual(other.Failures);

    public override int GetHashCode() => HashCode.Combine(Spec.Name, Desired, State, Node, Target);
}

/// <summary>
/// Pacemaker's on-fail: what follows a failed operation. <see cref="Default"/> is Pacemaker's default for the operation:
/// restart for start and monitor; for stop, fence when fencing is enabled, else block.
/// </summary>
public enum VmOnFail
{
    Default,

    /// <summary>Pretend it did not fail: nothing is done (the VM is left as the hypervisor has it).</summary>
    Ignore,

    /// <summary>Do nothing more to the VM: it is left where it is and becomes unmanaged (blocked) until `haven vm manage`.</summary>
    Block,

    /// <summary>Stop it and keep it stopped (desired stopped): it is not started elsewhere.</summary>
    Stop,

    /// <summary>Restart it in place, up to max-restarts within restart-window; then it moves (Haven's behaviour before on-fail).</summary>
    Restart,

    /// <summary>Fence the host it failed on; it starts elsewhere once that host is fenced.</summary>
    Fence,

    /// <summary>Move every VM off the host it failed on: that host goes standby; the VM is stopped there and placed elsewhere.</summary>
    Standby,
}

/// <summary>The VM's on-fail for each of its operations (Pacemaker's <c>op name="start|monitor|stop" on-fail="…"</c>).</summary>
public sealed record VmOnFailPolicy(VmOnFail Start = VmOnFail.Default, VmOnFail Monitor = VmOnFail.Default, VmOnFail Stop = VmOnFail.Default)
{
    public static readonly VmOnFailPolicy Default = new();

    /// <summary>The operations on-fail applies to, as Pacemaker names them.</summary>
    public static readonly IReadOnlyList<string> Operations = ["start", "monitor", "stop"];

    /// <summary>The on-fail values as Pacemaker spells them (lower case).</summary>
    public static string Name(VmOnFail onFail) => onFail.ToString().ToLowerInvariant();

    /// <summary>What a failed start or monitor leads to (Default: restart).</summary>
    public VmOnFail ForStartOrMonitor(bool start)
    {
        var value = start ? Start : Monitor;
        return value == VmOnFail.Default ? VmOnFail.Restart : value;
    }

    /// <summary>What a failed stop leads to: fence when fencing is enabled, else block (Default), or the value set.</summary>
    public VmOnFail ForStop(bool fencingEnabled) => Stop == VmOnFail.Default ? (fencingEnabled ? VmOnFail.Fence : VmOnFail.Block) : Stop;

    /// <summary>As `--on-fail` prints it: <c>start=restart,monitor=block</c> (only the values set; empty when none is).</summary>
    public override string ToString() => string.Join(",",
        new[] { ("start", Start), ("monitor", Monitor), ("stop", Stop) }.Where(p => p.Item2 != VmOnFail.Default).Select(p => $"{p.Item1}={Name(p.Item2)}"));
}

/// <summary>
/// Pacemaker's multiple-active, what follows once a VM is found running on a host the state does not place it on. That copy
/// is forced off first, whatever the policy: Haven never leaves two copies running.
/// </summary>
public enum VmMultipleActive
{
    /// <summary>stop_start (the default): the copy the state places is stopped too and the VM placed again (Pacemaker's Restart or Move).</summary>
    StopStart,
    /// <summary>stop_only: the copy the state places is stopped too and the VM stays stopped (desired stopped).</summary>
    StopOnly,
    /// <summary>block: the copy the state places is left running, unmanaged, until `haven vm manage`.</summary>
    Block,
}

/// <summary>The multiple-active values as Pacemaker spells them.</summary>
public static class VmMultipleActiveNames
{
    public static string Name(VmMultipleActive value) => value switch
    {
        VmMultipleActive.StopOnly => "stop_only",
        VmMultipleActive.Block => "block",
        _ => "stop_start",
    };

    /// <summary>Parses stop_start, stop_only or block (also with '-'); null when it is none of them.</summary>
    public static VmMultipleActive? Parse(string? text) => (text ?? "").Trim().ToLowerInvariant().Replace('-', '_') switch
    {
        "stop_start" => VmMultipleActive.StopStart,
        "stop_only" => VmMultipleActive.StopOnly,
        "block" => VmMultipleActive.Block,
        _ => null,
    };
}

/// <summary>
/// Pacemaker's shutdown-lock: the VM was stopped by <paramref name="Node"/>'s clean shutdown begun at <paramref name="At"/> (its
/// host's clock) and is locked to it: not started elsewhere until the node is back (it starts there), shutdown-lock-limit has
/// passed since <paramref name="At"/> (it is placed as usual), or `haven vm cleanup` releases it.
/// </summary>
public sealed record VmShutdownLock(NodeId Node, DateTimeOffset At);

/// <summary>A VM's fail count on one node and when it last failed there (null: not recorded).</summary>
public sealed record VmFailures(int Count, DateTimeOffset? Last);

// ---- replicated events -----------------------------------------------------------------------------

/// <summary>The VM is managed by the cluster from now on (runs nowhere yet).</summary>
public sealed record VmAdded(VmSpec Vm, VmDesiredState Desired = VmDesiredState.Started) : IClusterEvent;

/// <summary>
/// The VM is no longer managed; only a VM that runs nowhere can be removed, unless <paramref name="Force"/> (`haven vm remove
/// --force`, as pcs resource delete --force): then it is forgotten wherever it is, and a host that still finds it running
/// forces it off as an orphan.
/// </summary>
public sealed record VmRemoved(string Name, bool Force = false) : IClusterEvent;

/// <summary>The operator's wish changed (start, stop, enable, disable). Started also clears the hosts that gave up on it.</summary>
public sealed record VmDesired(string Name, VmDesiredState Desired) : IClusterEvent;

/// <summary>The VM's HA flag changed: an HA VM is started, recovered and moved by the DC; others are left alone.</summary>
public sealed record VmHa(string Name, bool Enabled) : IClusterEvent;

/// <summary>The DC placed the VM on the node: that host starts it (state Starting).</summary>
public sealed record VmPlaced(string Name, NodeId Node) : IClusterEvent;

/// <summary>The host reports the VM running (its start passed the monitor).</summary>
/// <paramref name="Attempt"/>: the placement the host reports on (<see cref="VmInfo.Attempt"/>; 0 in older journals: not checked).
public sealed record VmRunning(string Name, NodeId Node, long Attempt = 0) : IClusterEvent;

/// <summary>The DC asks the host to stop the VM (graceful, then forced after the stop timeout).</summary>
public sealed record VmStopping(string Name, NodeId Node, string Reason) : IClusterEvent;

/// <summary>The VM no longer runs on the node: the host stopped it, or the DC records it for a fenced or departed host.</summary>
/// A host's report names its placement's <paramref name="Attempt"/>; the DC's record for a fenced or departed host names none (0).
public sealed record VmStopped(string Name, NodeId Node, string Reason, long Attempt = 0) : IClusterEvent;

/// <summary>
/// The host gave up on the VM (restart limit reached, start failed, no hypervisor) and made sure it is off there; its fail
/// count on the node goes up by one, <paramref name="At"/> (the host's clock) is the last failure.
/// </summary>
public sealed record VmFailed(string Name, NodeId Node, string Reason, DateTimeOffset? At = null, long Attempt = 0) : IClusterEvent;

/// <summary>Operator cleanup (crm_resource --cleanup): the fail counts on <paramref name="Node"/> (null: every node) are forgotten.</summary>
public sealed record VmCleanedUp(string Name, NodeId? Node = null) : IClusterEvent;

/// <summary>The operator hands the VM to the cluster (true) or takes it back (false: unmanaged, left exactly as it is).</summary>
public sealed record VmManaged(string Name, bool Managed) : IClusterEvent;

/// <summary>
/// An operation of the VM failed on <paramref name="Node"/> and its on-fail is not restart (Pacemaker's on-fail): the host
/// reports it, and the failure counts on that node. <paramref name="OnFail"/> says what follows — block: the VM stays
/// where it is, unmanaged; stop: the host forced it off, it stays stopped (desired stopped); standby: the host forced it
/// off, and the host goes standby (a NodeStandby in the same batch); fence: the VM is left as it is and
/// the DC downs and fences the host (<see cref="VmInfo.FenceFor"/>), the VM stays on it until then. <paramref name="Operation"/> is start, monitor or stop.
/// </summary>
public sealed record VmOperationFailed(string Name, NodeId Node, string Operation, VmOnFail OnFail, string Reason, DateTimeOffset? At = null,
    long Attempt = 0) : IClusterEvent;

/// <summary>
/// The DC cannot carry out the on-fail fence of <paramref name="Node"/> a failed operation asked for (<see cref="VmInfo.FenceFor"/>):
/// fencing that host is impossible under the rules in force (no device answers for it, fencing was switched off), or it
/// is the DC itself. The fence falls back to block, as Pacemaker's does without fencing: the VM stays where it is, unmanaged,
/// with <paramref name="Reason"/> added to its reason, until `haven vm manage` (no second fail count).
/// </summary>
public sealed record VmFenceBlocked(string Name, NodeId Node, string Reason) : IClusterEvent;

/// <summary>
/// A host found the VM running although the state does not place it there (a second copy) and forced it off; <paramref name="Node"/>
/// is that host. What follows is the VM's multiple-active (<see cref="VmSpec.MultipleActive"/>): stop_start restarts the state's
/// copy (<see cref="VmInfo.RestartPending"/>), stop_only stops it and keeps it stopped, block leaves it unmanaged where it is.
/// </summary>
public sealed record VmMultiplyActive(string Name, NodeId Node, DateTimeOffset? At = null) : IClusterEvent;

/// <summary>
/// The DC (or an operator) asks the source host to live-migrate the VM to the target. <paramref name="ByOperator"/>: an
/// operator's `haven vm migrate`, which also leaves the VM's move preference to the target (<see cref="VmInfo.MovedTo"/>).
/// </summary>
public sealed record VmMigrating(string Name, NodeId From, NodeId To, bool ByOperator = false) : IClusterEvent;

/// <summary>The operator's `haven vm clear`: the VM's move preference (<see cref="VmInfo.MovedTo"/>) is dropped (crm_resource --clear).</summary>
public sealed record VmMoveCleared(string Name) : IClusterEvent;

/// <summary>The source host reports the migration done: the VM runs on the target only.</summary>
public sealed record VmMigrated(string Name, NodeId From, NodeId To, long Attempt = 0) : IClusterEvent;

/// <summary>The migration failed: the VM keeps running on the source.</summary>
public sealed record VmMigrationFailed(string Name, NodeId From, NodeId To, string Reason, long Attempt = 0) : IClusterEvent;

/// <summary>The VM events under their stable manifests.</summary>
public static class VmManifests
{
    public static EventManifestRegistry Register(EventManifestRegistry registry) => registry
        .Register<VmAdded>("cluster.vm-added.v1")
        .Register<VmRemoved>("cluster.vm-removed.v1")
        .Register<VmDesired>("cluster.vm-desired.v1")
        .Register<VmHa>("cluster.vm-ha.v1")
        .Register<VmPlaced>("cluster.vm-placed.v1")
        .Register<VmRunning>("cluster.vm-running.v1")
        .Register<VmStopping>("cluster.vm-stopping.v1")
        .Register<VmStopped>("cluster.vm-stopped.v1")
        .Register<VmFailed>("cluster.vm-failed.v1")
        .Register<VmMigrating>("cluster.vm-migrating.v1")
        .Register<VmMigrated>("cluster.vm-migrated.v1")
        .Register<VmMigrationFailed>("cluster.vm-migration-failed.v1")
        .Register<VmCleanedUp>("cluster.vm-cleaned-up.v1")
        .Register<VmManaged>("cluster.vm-managed.v1")
        .Register<VmOperationFailed>("cluster.vm-operation-failed.v1")
        .Register<VmFenceBlocked>("cluster.vm-fence-blocked.v1")
        .Register<VmMultiplyActive>("cluster.vm-multiply-active.v1")
        .Register<VmMoveCleared>("cluster.vm-move-cleared.v1");
}
