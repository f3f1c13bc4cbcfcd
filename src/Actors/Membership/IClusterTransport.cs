namespace Haven.Actors.Membership;

/// <summary>
/// The cluster engine as the domain sees it: one process group with Corosync CPG semantics (extended
/// virtual synchrony) plus votequorum's verdict. Implemented over libcpg/libvotequorum in Adapters and
/// by <see cref="SimulatedTransport"/> for in-process simulation.
/// <para>Guarantees the domain relies on:</para>
/// <list type="bullet">
/// <item>Agreed order: within one configuration every member delivers the same messages in the same
/// order, and each sender's messages in the order it sent them.</item>
/// <item>A membership change is delivered to every member of the new configuration at the same point
/// of the stream: what a member delivered before the change, every other member that shared the old
/// configuration with it delivered before it too.</item>
/// <item>A sender always belongs to the configuration in which its message is delivered; a member
/// never delivers a message from a node outside its current view.</item>
/// <item>During a partition each side forms its own configuration and keeps delivering its own
/// messages: the application must gate its actions on the split-brain decision.</item>
/// <item>A merge is a membership change whose <see cref="MembershipChanged.Joined"/> lists the other
/// side's members with reason <see cref="MembershipChangeReason.NodeUp"/>.</item>
/// <item>A node sees its own join: after <see cref="JoinAsync"/> the first <see cref="MembershipChanged"/>
/// lists this node in Joined (reason <see cref="MembershipChangeReason.Join"/>). Send only after that.</item>
/// <item>A crashed node is reported to the others as <see cref="MembershipChangeReason.NodeDown"/>, a dead
/// process on a live node as <see cref="MembershipChangeReason.ProcDown"/>, a clean leave as
/// <see cref="MembershipChangeReason.Leave"/>.</item>
/// </list>
/// Callbacks are raised one at a time, never concurrently, on the thread that dispatches the engine;
/// a handler must not block. Payload arrays are owned by the handler.
/// </summary>
public interface IClusterTransport
{
    /// <summary>This node's id.</summary>
    NodeId LocalNode { get; }

    /// <summary>
    /// Joins the group. Completes once the engine accepted the request; the node is a member when it
    /// sees itself in a <see cref="MembershipChanged"/> event.
    /// </summary>
    Task JoinAsync(string group, CancellationToken cancellationToken = default);

    /// <summary>
    /// Multicasts a message in agreed order to the current configuration (this node included: it
    /// delivers its own messages too). Throws <see cref="InvalidOperationException"/> when this node
    /// has not seen its own join yet.
    /// </summary>
    Task MulticastAsync(ReadOnlyMemory<byte> payload, CancellationToken cancellationToken = default);

    /// <summary>Leaves the group cleanly: the others see <see cref="MembershipChangeReason.Leave"/>. No callbacks follow.</summary>
    Task LeaveAsync(CancellationToken cancellationToken = default);

    /// <summary>A message delivered in agreed order: sender and payload.</summary>
    event Action<NodeId, byte[]>? Delivered;

    /// <summary>A new configuration of the group.</summary>
    event Action<MembershipChanged>? MembershipChanged;

    /// <summary>votequorum's verdict, raised after the membership change that caused it.</summary>
    event Action<QuorumChanged>? QuorumChanged;
}
