using System.Collections.Immutable;
using Haven.Actors.Membership;
using Haven.Actors.SplitBrain;

namespace Haven.Actors.Cluster;

/// <summary>What this host's side of the cluster is, as <c>haven cluster status</c> reports it.</summary>
public enum PartitionRole
{
    /// <summary>Started or merged and not yet in sync with the primary's history, or waiting for the resolver: acts on nothing.</summary>
    Joining,

    /// <summary>Member of the primary partition: applies and journals the replicated stream; its DC decides.</summary>
    Primary,

    /// <summary>Lost the split-brain decision: demoted, holds nothing, decides nothing until it rejoins.</summary>
    Minority,
}

/// <summary>Who and why to fence; the DC asks, the fencer answers only when the node is known to be off.</summary>
public sealed record FenceTarget(NodeId Node, string Name, string Reason);

/// <summary>
/// Outcome of a fence attempt. Success means the power state was read back as off. <paramref name="Impossible"/>:
/// it failed because nothing could fence the node as configured (fencing off, no device in the topology for
/// it), so trying again cannot help until the configuration changes.
/// </summary>
public sealed record FenceResult(bool Success, string Device, string Detail, bool Impossible = false);

/// <summary>Fences lost hosts (issue "Fencing" implements it with devices; tests and the simulation script it).</summary>
public interface IFencer
{
    Task<FenceResult> FenceAsync(FenceTarget target, CancellationToken cancellationToken);
}

/// <summary>HA-Lizard's IP heuristics: does this host reach every configured heuristic address now?</summary>
public interface IReachability
{
    Task<bool> AllReachableAsync(CancellationToken cancellationToken);
}

/// <summary>Performs the local side effects of address events (issue "Floating IPs" makes it real; a no-op or recorder here).</summary>
public interface IAddressManager
{
    /// <summary>
    /// Puts the address on this host. <paramref name="probe"/>: run the duplicate-address probe first (as configured);
    /// false only when the replicated state says its last holder was confirmed off by a fence (<see cref="ClusterState.ProbeBeforeTaking"/>).
    /// </summary>
    Task TakeAsync(PublicAddress address, bool probe, CancellationToken cancellationToken);
    Task ReleaseAsync(PublicAddress address, CancellationToken cancellationToken);
}

/// <summary>A floating address the cluster keeps on one healthy host of the primary partition.</summary>
/// <remarks><paramref name="PreferredHost"/> (a node name) gets it whenever it is free and that host is eligible; addresses of
/// one <paramref name="Group"/> are spread over as many hosts as possible (default group: the subnet).</remarks>
public sealed record PublicAddress(string Ip, int Mask, string Interface, string? PreferredHost = null, string? Group = null);

/// <summary>Everything one host's ClusterActor needs to know about the cluster.</summary>
public sealed record ClusterOptions
{
    public required string ClusterName { get; init; }

    /// <summary>This host.</summary>
    public required Member Self { get; init; }

    /// <summary>Every configured node (the nodelist), this host included.</summary>
    public required ImmutableArray<Member> Nodes { get; init; }

    public SplitBrainSettings SplitBrain { get; init; } = new();

    public ImmutableArray<PublicAddress> PublicAddresses { get; init; } = [];

    /// <summary>How often heuristic reachability is probed (when heuristics are on).</summary>
    public TimeSpan HeuristicsInterval { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// This host's own fencing rules (HA-Lizard's min-hosts, quorum-required, recover-on-failure, reboot-lone-host,
    /// priority delay: reference.conf &lt; its file). The DC takes them anew for every fence, with each rule set
    /// cluster-wide (<c>haven config set</c>) and not in this host's file taken from the replicated state.
    /// </summary>
    public Haven.Actors.Fencing.FencingPolicy Fencing { get; init; } = new();

    /// <summary>How long the DC waits before retrying a failed fence.</summary>
    public TimeSpan FenceRetryDelay { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>This host's own configuration (with its origins): it overrides the cluster-wide settings on this host.</summary>
    public Haven.Actors.Configuration.Config? HostConfig { get; init; }

    /// <summary>
    /// Every problem of what this host would run with (reference.conf &lt; cluster-wide &lt; its file), as its start
    /// would find them: `haven config set` refuses a change that adds one. Null: the rules spanning settings only
    /// (<see cref="Haven.Actors.Configuration.HavenConfig.CrossCheck"/>); the daemon passes its start's validator.
    /// </summary>
    public Func<Haven.Actors.Configuration.Config, IReadOnlyList<Haven.Actors.Configuration.ConfigProblem>>? ValidateSettings { get; init; }

    /// <summary>How often the replicated stream is snapshotted and how much journal before the snapshot is kept (haven.journal).</summary>
    public SnapshotPolicy Snapshots { get; init; } = SnapshotPolicy.Default;
}

/// <summary>One host's view of the cluster: the answer to <see cref="GetClusterView"/> and what observers receive.</summary>
public sealed record ClusterView(
    string Cluster,
    Member Self,
    NodeId? Dc,
    bool Quorate,
    PartitionRole Role,
    ImmutableArray<Member> Members,
    ClusterState State,
    long StreamIndex,
    string StreamDigest);

/// <summary>Ask a ClusterActor for its <see cref="ClusterView"/>.</summary>
public sealed record GetClusterView
{
    public static readonly GetClusterView Instance = new();
}

/// <summary>Operator: down a node (it will be fenced before its resources move). Reply: <see cref="OperatorCommandResult"/>.</summary>
public sealed record DownNode(string Node);

/// <summary>
/// Operator: NODE is off, in the operator's words (<c>haven fence confirm</c>); refused for a node that is
/// a member right now. Reply: <see cref="OperatorCommandResult"/>.
/// </summary>
public sealed record ConfirmFenced(string Node, string Reason);

/// <summary>Operator: this host leaves the cluster cleanly (releases what it holds first). Reply: <see cref="OperatorCommandResult"/>.</summary>
public sealed record LeaveCluster
{
    public static readonly LeaveCluster Instance = new();
}

public sealed record OperatorCommandResult(bool Accepted, string Message);

/// <summary>
/// An operator command (any message answered with <see cref="OperatorCommandResult"/>) that must be taken up by
/// <paramref name="Deadline"/>. The daemon sends every control request this way, with a deadline before its own
/// answer's timeout: a command that waited in the mailbox past it (the cluster busy or blocked) is refused and
/// never applied later, after the operator was told the request timed out and may have sent another.
/// </summary>
public sealed record CommandBefore(object Command, DateTimeOffset Deadline);

/// <summary>
/// Adopt a new node list (corosync's nodelist after <c>corosync-cfgtool -R</c>), this host included: an added
/// node is known from now on (it joins through the usual Hello and sync); a removed node that is not a member
/// is no longer counted or waited for, and forgotten once clean (one still down is fenced first, as any lost
/// node: its removal is not taken for a confirmation that it is off). Refused,
/// changing nothing, when a removed node is still a member of this host's view or this host is not in the
/// list. Reply: <see cref="OperatorCommandResult"/>.
/// </summary>
public sealed record ChangeNodeList(System.Collections.Immutable.ImmutableArray<Membership.Member> Nodes);

/// <summary>
/// The daemon stops cleanly (SIGTERM): under shutdown-lock (<c>haven.vms.shutdown-lock</c>) this host stops its VMs, locked to
/// it, and leaves the cluster before the reply. Reply: <see cref="CleanShutdownResult"/>, Locked false when nothing was done.
/// </summary>
public sealed record ShutDownCleanly
{
    public static readonly ShutDownCleanly Instance = new();
}

public sealed record CleanShutdownResult(bool Locked, string Message);

/// <summary>
/// The outside world of one host's ClusterActor. Transport events are handed to the actor as messages,
/// so under the deterministic dispatcher a whole cluster runs on one thread. <see cref="Observer"/> is
/// called on the actor's turn after every change of its view (the simulation checks invariants there).
/// <see cref="Vms"/>: this host's hypervisors and VM policy; without it the host runs no VMs (its DC still places them).
/// <see cref="SelfReboot"/>: how this host reboots itself when reboot-lone-host says so; without it it only logs.
/// </summary>
public sealed record ClusterDependencies(
    IClusterTransport Transport,
    Haven.Actors.Persistence.PersistenceServices Persistence,
    IFencer Fencer,
    IAddressManager Addresses,
    IReachability? Reachability = null,
    Action<ClusterView>? Observer = null,
    ISelfFence? SelfFence = null,
    Haven.Actors.Vms.VmServices? Vms = null,
    Haven.Actors.Fencing.ISelfReboot? SelfReboot = null);

/// <summary>
/// Watchdog self-fencing (SBD): what the ClusterActor tells the host's watchdog keeper. <see cref="Alive"/> comes
/// every second from the actor's own mailbox (a hung actor stops it); <see cref="Demoting"/> when this side lost
/// the split-brain decision; <see cref="Demoted"/> once everything the host held is released; <see cref="Primary"/>
/// when it is in the primary partition again. Called from the actor's turn or from task continuations: thread-safe.
/// </summary>
public interface ISelfFence
{
    void Alive();
    void Demoting();
    void Demoted();
    void Primary();
}

/// <summary>Builds the Props of a ClusterActor; the simulation and the daemon take one of these.</summary>
public delegate Haven.Actors.Runtime.Props ClusterActorFactory(ClusterOptions options, ClusterDependencies dependencies);

/// <summary>
/// This host's monitor result (CTDB monitor event, link checks): the ClusterActor puts it into the
/// replicated state as <see cref="NodeUnhealthy"/> / <see cref="NodeHealthy"/> when it changes.
/// </summary>
public sealed record ReportHealth(bool Healthy, string Reason);

/// <summary>
/// The extra floating addresses changed (vzhaipd's HA_IP_FILE was reloaded): <paramref name="Addresses"/> is the
/// file's full new set. The configured public addresses always stay; an address that is neither configured nor
/// extra any more is released.
/// </summary>
public sealed record PublicAddressesChanged(ImmutableArray<PublicAddress> Addresses);

/// <summary>What <see cref="SetNodeMode"/> does to a node.</summary>
public enum NodeMode
{
    /// <summary>Standby: stays a member, gives its addresses and VMs away, takes nothing.</summary>
    Standby,

    /// <summary>Leaves standby.</summary>
    Unstandby,

    /// <summary>Maintenance: Haven stops acting on the node; it is never fenced, nothing on it moves.</summary>
    MaintenanceOn,

    /// <summary>Leaves maintenance; a node that is no longer a member is then treated as lost (downed and fenced).</summary>
    MaintenanceOff,
}

/// <summary>
/// Operator: put <paramref name="Node"/> (null: every node, maintenance only) into or out of standby or
/// maintenance. Reply: <see cref="OperatorCommandResult"/>.
/// </summary>
public sealed record SetNodeMode(string? Node, NodeMode Mode);

/// <summary>Operator: move a floating address to a node (CTDB's moveip). Reply: <see cref="OperatorCommandResult"/>.</summary>
public sealed record MoveAddress(string Address, string Node);
