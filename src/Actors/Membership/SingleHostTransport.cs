using System.Collections.Immutable;

namespace Haven.Actors.Membership;

/// <summary>
/// A group of one: the transport of <c>haven.cluster.transport = simulated</c> in the daemon, so Haven
/// runs as a one-host cluster without Corosync. Joining delivers this node's own join and a quorate
/// verdict; every multicast is delivered back at once, in order. Callbacks run on the caller's thread,
/// one at a time.
/// </summary>
public sealed class SingleHostTransport(Member self) : IClusterTransport
{
    private readonly Lock _gate = new();
    private bool _joined;

    public NodeId LocalNode => self.Id;

    public event Action<NodeId, byte[]>? Delivered;
    public event Action<MembershipChanged>? MembershipChanged;
    public event Action<QuorumChanged>? QuorumChanged;

    public Task JoinAsync(string group, CancellationToken cancellationToken = default)
    {
        lock (_gate)
        {
            if (_joined) return Task.CompletedTask;
            _joined = true;
            MembershipChanged?.Invoke(new MembershipChanged([self], [], [(self, MembershipChangeReason.Join)]));
            QuorumChanged?.Invoke(new QuorumChanged(true, 1, 1));
        }
        return Task.CompletedTask;
    }

    public Task MulticastAsync(ReadOnlyMemory<byte> payload, CancellationToken cancellationToken = default)
    {
        lock (_gate)
        {
            if (!_joined) return Task.FromException(new InvalidOperationException("not joined: send only after seeing the own join"));
            Delivered?.Invoke(self.Id, payload.ToArray());
        }
        return Task.CompletedTask;
    }

    public Task LeaveAsync(CancellationToken cancellationToken = default)
    {
        lock (_gate) _joined = false;
        return Task.CompletedTask;
    }
}
