namespace Haven.Actors.Membership;

/// <summary>
/// One host's end of a <see cref="SimulatedNetwork"/>. Calls only queue work; callbacks are raised
/// from <see cref="SimulatedNetwork.DeliverNext"/> on the caller's thread, one at a time.
/// </summary>
public sealed class SimulatedTransport : IClusterTransport
{
    private readonly SimulatedNetwork _network;

    internal SimulatedTransport(SimulatedNetwork network, Member member)
    {
        _network = network;
        Member = member;
    }

    public Member Member { get; }

    public NodeId LocalNode => Member.Id;

    public event Action<NodeId, byte[]>? Delivered;

    public event Action<MembershipChanged>? MembershipChanged;

    public event Action<QuorumChanged>? QuorumChanged;

    public Task JoinAsync(string group, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        _network.Join(LocalNode, group);
        return Task.CompletedTask;
    }

    public Task MulticastAsync(ReadOnlyMemory<byte> payload, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        _network.Multicast(LocalNode, payload.ToArray());
        return Task.CompletedTask;
    }

    public Task LeaveAsync(CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        _network.Leave(LocalNode);
        return Task.CompletedTask;
    }

    internal void RaiseDelivered(NodeId sender, byte[] payload) => Delivered?.Invoke(sender, payload);

    internal void RaiseMembershipChanged(MembershipChanged change) => MembershipChanged?.Invoke(change);

    internal void RaiseQuorumChanged(QuorumChanged quorum) => QuorumChanged?.Invoke(quorum);
}
