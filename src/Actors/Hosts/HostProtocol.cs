using System.Collections.Immutable;
using Haven.Actors.Cluster;

namespace Haven.Actors.Hosts;

// ---- ClusterActor -> HostActor ------------------------------------------------------------------

/// <summary>
/// Put <paramref name="Address"/> on this host's interface (<paramref name="Probe"/>: run the duplicate-address probe
/// first). <paramref name="Attempt"/> counts the tries before (0 the first); a failure is answered with <see cref="IpTakeFailed"/>.
/// </summary>
public sealed record TakeIp(PublicAddress Address, bool Probe, int Attempt);

/// <summary>
/// Take <paramref name="Addresses"/> off this host's interfaces. With a <paramref name="Report"/>, the HostActor answers
/// once every release has ended: <see cref="IpsReleased"/> carrying it back (with the first failure's reason, if any).
/// </summary>
public sealed record ReleaseIps(ImmutableArray<PublicAddress> Addresses, object? Report = null);

// ---- HostActor -> ClusterActor ------------------------------------------------------------------

/// <summary>Taking <paramref name="Ip"/> failed at try <paramref name="Attempt"/> (0 the first): the ClusterActor retries while the state gives it here.</summary>
public sealed record IpTakeFailed(string Ip, int Attempt, string Reason);

/// <summary>The releases asked with <paramref name="Report"/> have ended; <paramref name="Failure"/> is null when every one succeeded.</summary>
public sealed record IpsReleased(object Report, string? Failure);

// ---- VMs: ClusterActor -> HostActor -------------------------------------------------------------

/// <summary>
/// What the ClusterActor holds as it asks: the state (<paramref name="Version"/> counts its states, as
/// <see cref="Coordinator.DcFacts.Version"/> does), whether this host is in the primary partition, whether it has left
/// (its NodeLeft applied before), and the node list (for names).
/// </summary>
public sealed record HostView(long Version, ClusterState State, bool Primary, bool Left, ImmutableArray<Membership.Member> Nodes);

/// <summary>An event was applied (<paramref name="Before"/> the state before it, <see cref="HostView.State"/> after): the VM commands <see cref="HostEffects"/> gives this host are carried out.</summary>
public sealed record HostApplied(ClusterState Before, IClusterEvent Event, HostView View);

/// <summary>The sync tick: every VM of the state, and every VM with a child here, gets its assignment from the state now.</summary>
public sealed record SyncLocalVms(HostView View);

/// <summary>This side lost: stop the VMs the no-quorum-policy stops; answered with <see cref="VmsStoppedOnDemotion"/> once they are stopped.</summary>
public sealed record StopVmsForDemotion(long Demotion, SplitBrain.NoQuorumPolicy Policy, string Reason, HostView View);

/// <summary>Answer with <see cref="LocalVms"/> of this view's state (the rejoin's holdings report).</summary>
public sealed record ReportLocalVms(HostView View);

// ---- VMs: HostActor -> ClusterActor (VmReport is passed on as the VmActor sent it) ---------------

/// <summary>
/// The VMs with a child here (ordinal order), of the state of <paramref name="Version"/>: <paramref name="Settled"/> when
/// every VM of that state was checked here (or is kept while this host is Down) and no child is still forcing one off.
/// Sent when asked, and while this host is unclean after each sync and each child that stopped.
/// </summary>
public sealed record LocalVms(long Version, ImmutableArray<string> Vms, bool Settled);

/// <summary>Every VM the demotion <paramref name="Demotion"/> stopped is stopped (or it stopped none).</summary>
public sealed record VmsStoppedOnDemotion(long Demotion);

// ---- heuristics: HostActor -> ClusterActor ------------------------------------------------------

/// <summary>This host's heuristics probe: every heuristic address answered (false also when the probe failed).</summary>
public sealed record HeuristicsProbed(bool Reachable);
