using Haven.Actors.Cluster;
using Haven.Actors.Membership;

namespace Haven.Actors.Fencing;

/// <summary>
/// The DC's ClusterActor asks its <see cref="FenceActor"/> to fence <paramref name="Target"/> for the open
/// request whose <c>FenceRequested</c> is at stream position <paramref name="RequestAt"/>, under the fencing
/// rules <paramref name="Policy"/> as they stand now, in the partition <paramref name="Context"/> describes.
/// Answered with one <see cref="FenceOutcome"/>; a repeat of a request still in flight is ignored (the
/// first answer comes).
/// </summary>
public sealed record FenceNode(FenceTarget Target, long RequestAt, FencingContext Context, FencingPolicy Policy);

/// <summary>
/// How a <see cref="FenceNode"/> ended: <paramref name="Result"/> is a success only when the node was
/// confirmed off; a refusal by the fencing rules (or a reboot of this lone host instead) is a failure with
/// the reason. <paramref name="Seconds"/>: from the request to the answer, on the actor system's clock.
/// </summary>
public sealed record FenceOutcome(NodeId Node, long RequestAt, FenceResult Result, double Seconds);

/// <summary>
/// reboot-lone-host: how this host reboots itself when the fencing rules say so (HA-Lizard's
/// FENCE_REBOOT_LONE_HOST). The <see cref="FenceActor"/> calls it once while this host is alone (never again for
/// the DC's retries, which are new requests). The
/// daemon stops petting an armed watchdog or runs <c>haven.fencing.reboot-command</c>; without one the
/// host only logs that it would reboot.
/// </summary>
public interface ISelfReboot
{
    /// <summary>Starts the reboot (does not wait for the machine to go down); faults when it could not be started.</summary>
    Task RebootAsync(string reason, CancellationToken cancellationToken);
}
