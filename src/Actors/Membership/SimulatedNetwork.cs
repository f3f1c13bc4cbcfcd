using System.Collections.Immutable;

namespace Haven.Actors.Membership;

/// <summary>
/// N hosts of one process group in one process, with Corosync CPG semantics (see
/// <see cref="IClusterTransport"/>), no threads and no clock. Every multicast and every topology
/// change goes into one queue; the caller drives it with <see cref="DeliverNext"/> /
/// <see cref="DeliverAll"/>, so a harness can interleave it with a deterministic dispatcher.
/// <para>Model:</para>
/// <list type="bullet">
/// <item>A topology change (join, leave, partition, heal, crash, process kill) takes effect on the
/// views at a reconfiguration step queued behind everything already sent: messages sent before the
/// change are delivered in the old configuration, to all of its live members.</item>
/// <item>A message is ordered when its step is taken and delivered, in that one step, to every live
/// member of the sender's configuration at that moment, in ascending node id order. A message whose
/// sender has crashed, died or left by then is dropped (it was never agreed).</item>
/// <item>A crashed node, a killed process and a node that left receive nothing further, at once.</item>
/// <item><see cref="Delay"/> holds a node's outgoing messages (queued and new) for N steps; others'
/// messages and reconfigurations overtake them; each sender's own order is kept.</item>
/// <item>With a <see cref="Random"/>, the next message is picked among the senders whose next message
/// is deliverable before the next reconfiguration; without one, strictly first in, first out.</item>
/// <item>Quorum: one vote per configured node, expected votes = configured nodes, quorate when the
/// view holds more than half; raised to each member after each of its membership changes.</item>
/// </list>
/// </summary>
public sealed class SimulatedNetwork
{
    private readonly SortedDictionary<NodeId, Host> _hosts = new();
    private readonly LinkedList<Step> _queue = new(); // steps are taken from anywhere in it (held senders are overtaken)
    private readonly Random? _random;
    private string? _group;
    private long _nextConfigurationId = 1;

    public SimulatedNetwork(IEnumerable<Member> nodes, Random? random = null)
    {
        ArgumentNullException.ThrowIfNull(nodes);
        foreach (var member in nodes)
        {
            if (member.Id.Value == 0)
                throw new ArgumentException($"Node '{member.Name}' has id 0; node ids start at 1.", nameof(nodes));
            if (!_hosts.TryAdd(member.Id, new Host(new SimulatedTransport(this, member))))
                throw new ArgumentException($"Node id {member.Id} appears twice.", nameof(nodes));
        }
        if (_hosts.Count == 0)
            throw new ArgumentException("A simulated network needs at least one node.", nameof(nodes));
        Nodes = _hosts.Values.Select(h => h.Transport.Member).ToImmutableArray();
        _random = random;
    }

    /// <summary>Creates a network of nodes 1..count named node1..nodeN.</summary>
    public static SimulatedNetwork WithNodes(int count, Random? random = null) =>
        new(Enumerable.Range(1, count).Select(i => new Member(new NodeId((uint)i), $"node{i}")), random);

    /// <summary>Every configured node, by id.</summary>
    public ImmutableArray<Member> Nodes { get; }

    /// <summary>Steps taken so far (deliveries and reconfigurations).</summary>
    public long StepCount { get; private set; }

    /// <summary>Queued steps not taken yet.</summary>
    public int PendingCount => _queue.Count;

    public SimulatedTransport Transport(NodeId node) => HostOf(node).Transport;

    /// <summary>The ids of the node's current view; empty when it is not a member.</summary>
    public ImmutableArray<NodeId> ViewOf(NodeId node) => HostOf(node).View.Select(m => m.Id).ToImmutableArray();

    public bool IsCrashed(NodeId node) => !HostOf(node).NodeUp;

    /// <summary>Takes the next step. Returns false when nothing is queued.</summary>
    public bool DeliverNext()
    {
        while (_queue.Count > 0)
        {
            var next = PickNext();
            if (next is null)
            {
                // Only held messages remain: let time pass to the earliest release.
                StepCount = _queue.OfType<Message>().Min(m => _hosts[m.Sender].HeldUntil);
                continue;
            }
            var step = next.Value;
            _queue.Remove(next);
            StepCount++;
            if (step is Message message) Deliver(message);
            else Reconfigure();
            return true;
        }
        return false;
    }

    /// <summary>Takes steps until the queue is empty. Throws when more than maxSteps are taken (a livelock).</summary>
    public int DeliverAll(int maxSteps = 1_000_000)
    {
        var taken = 0;
        while (DeliverNext())
        {
            if (++taken > maxSteps)
                throw new InvalidOperationException($"DeliverAll took more than {maxSteps} steps; handlers keep sending.");
        }
        return taken;
    }

    /// <summary>Splits the network: every configured node must appear in exactly one side.</summary>
    public void Partition(params IEnumerable<NodeId>[] sides)
    {
        ArgumentNullException.ThrowIfNull(sides);
        var sideOf = new SortedDictionary<NodeId, int>();
        for (var i = 0; i < sides.Length; i++)
        {
            foreach (var node in sides[i])
            {
                if (!_hosts.ContainsKey(node))
                    throw new ArgumentException($"Partition side {i} names node {node}, which is not configured.", nameof(sides));
                if (!sideOf.TryAdd(node, i))
                    throw new ArgumentException($"Node {node} is in partition sides {sideOf[node]} and {i}.", nameof(sides));
            }
        }
        var missing = _hosts.Keys.Where(n => !sideOf.ContainsKey(n)).ToList();
        if (missing.Count > 0)
            throw new ArgumentException($"Nodes {string.Join(", ", missing)} are in no partition side.", nameof(sides));
        foreach (var (node, side) in sideOf) _hosts[node].Side = side;
        _queue.AddLast(Reconfiguration.Instance);
    }

    /// <summary>Reconnects every side.</summary>
    public void Heal()
    {
        foreach (var host in _hosts.Values) host.Side = 0;
        _queue.AddLast(Reconfiguration.Instance);
    }

    /// <summary>The node goes down: it receives nothing more, its unsent messages are lost, the others see NodeDown.</summary>
    public void Crash(NodeId node)
    {
        var host = HostOf(node);
        if (!host.NodeUp) throw new InvalidOperationException($"Node {node} has already crashed.");
        host.NodeUp = false;
        host.HeldUntil = 0;
        Depart(host, MembershipChangeReason.NodeDown);
    }

    /// <summary>The node's process dies while the node stays up: the others see ProcDown.</summary>
    public void KillProcess(NodeId node)
    {
        var host = HostOf(node);
        if (!host.NodeUp || !host.ProcessJoined)
            throw new InvalidOperationException($"Node {node} has no process in the group to kill.");
        Depart(host, MembershipChangeReason.ProcDown);
    }

    /// <summary>Boots a crashed node. It is not in the group until its transport joins again.</summary>
    public void Restart(NodeId node)
    {
        var host = HostOf(node);
        if (host.NodeUp) throw new InvalidOperationException($"Node {node} is running; crash it before restarting it.");
        host.NodeUp = true;
    }

    /// <summary>Holds the node's outgoing messages, queued and new, for the next <paramref name="steps"/> steps.</summary>
    public void Delay(NodeId node, int steps)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(steps);
        HostOf(node).HeldUntil = StepCount + steps;
    }

    internal void Join(NodeId node, string group)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(group);
        var host = HostOf(node);
        if (_group is not null && _group != group)
            throw new ArgumentException($"The simulation runs one group, '{_group}'; node {node} asked for '{group}'.", nameof(group));
        if (!host.NodeUp) throw new InvalidOperationException($"Node {node} has crashed; restart it before joining.");
        if (host.ProcessJoined) throw new InvalidOperationException($"Node {node} has already joined.");
        _group = group;
        host.ProcessJoined = true;
        host.JoinPending = true;
        host.Departure = null;
        _queue.AddLast(Reconfiguration.Instance);
    }

    internal void Leave(NodeId node)
    {
        var host = HostOf(node);
        if (!host.NodeUp || !host.ProcessJoined)
            throw new InvalidOperationException($"Node {node} is not in the group; nothing to leave.");
        Depart(host, MembershipChangeReason.Leave);
    }

    internal void Multicast(NodeId node, byte[] payload)
    {
        var host = HostOf(node);
        if (!host.NodeUp) throw new InvalidOperationException($"Node {node} has crashed; it cannot send.");
        if (host.ConfigurationId == 0)
            throw new InvalidOperationException($"Node {node} has not seen its own join yet; it cannot send.");
        _queue.AddLast(new Message(node, host.Incarnation, payload));
    }

    private Host HostOf(NodeId node) =>
        _hosts.TryGetValue(node, out var host) ? host : throw new ArgumentException($"Node {node} is not configured.", nameof(node));

    private void Depart(Host host, MembershipChangeReason reason)
    {
        host.ProcessJoined = false;
        host.JoinPending = false;
        host.Departure = reason;
        host.Incarnation++;
        host.ConfigurationId = 0;
        host.View = ImmutableArray<Member>.Empty;
        _queue.AddLast(Reconfiguration.Instance);
    }

    /// <summary>The next step, or null when only held messages remain.</summary>
    private LinkedListNode<Step>? PickNext()
    {
        var seen = new HashSet<NodeId>();
        var candidates = new List<LinkedListNode<Step>>();
        for (var node = _queue.First; node is not null; node = node.Next)
        {
            if (node.Value is Reconfiguration)
                return candidates.Count > 0 ? Choose(candidates) : node;
            var message = (Message)node.Value;
            if (!seen.Add(message.Sender)) continue; // each sender's own order is kept
            if (_hosts[message.Sender].HeldUntil <= StepCount) candidates.Add(node);
            // Every sender's first message is seen: nothing further can become a candidate, and with one at hand
            // neither a later reconfiguration nor the end of the queue changes the choice.
            if (candidates.Count > 0 && seen.Count == _hosts.Count) return Choose(candidates);
        }
        return candidates.Count > 0 ? Choose(candidates) : null;
    }

    private LinkedListNode<Step> Choose(List<LinkedListNode<Step>> candidates) =>
        _random is null ? candidates[0] : candidates[_random.Next(candidates.Count)];

    private void Deliver(Message message)
    {
        var sender = _hosts[message.Sender];
        if (sender.Incarnation != message.Incarnation || sender.ConfigurationId == 0) return; // never agreed
        var recipients = sender.View.Select(m => _hosts[m.Id])
            .Where(h => h.NodeUp && h.ConfigurationId == sender.ConfigurationId)
            .ToList();
        foreach (var recipient in recipients)
            recipient.Transport.RaiseDelivered(message.Sender, (byte[])message.Payload.Clone());
    }

    private void Reconfigure()
    {
        var members = _hosts.Values.Where(h => h.NodeUp && h.ProcessJoined).ToList();
        var changes = new List<(Host Host, MembershipChanged Change)>();
        foreach (var component in members.GroupBy(h => h.Side).OrderBy(g => g.First().Transport.LocalNode))
        {
            var view = component.Select(h => h.Transport.Member).ToImmutableArray();
            var differences = component.Select(h => (Host: h, Change: Difference(h, view))).ToList();
            if (differences.All(d => d.Change is null)) continue;
            // A new configuration: every member installs it (those whose member list did not change too,
            // with an empty change), under one new id.
            var id = _nextConfigurationId++;
            foreach (var (host, change) in differences)
            {
                host.ConfigurationId = id;
                host.View = view;
                changes.Add((host, (change ?? new MembershipChanged(view, [], [])) with { ViewId = id }));
            }
        }
        foreach (var host in members) host.JoinPending = false;
        foreach (var (host, change) in changes.OrderBy(c => c.Host.Transport.LocalNode))
        {
            host.Transport.RaiseMembershipChanged(change);
            var votes = change.Members.Length;
            host.Transport.RaiseQuorumChanged(new QuorumChanged(votes * 2 > _hosts.Count, votes, _hosts.Count));
        }
    }

    private MembershipChanged? Difference(Host host, ImmutableArray<Member> view)
    {
        var joinReason = (Host h) => h.JoinPending ? MembershipChangeReason.Join : MembershipChangeReason.NodeUp;
        if (host.View.IsEmpty)
        {
            var joined = view.Select(m => _hosts[m.Id]).Where(h => h.JoinPending)
                .Select(h => (h.Transport.Member, MembershipChangeReason.Join)).ToImmutableArray();
            return new MembershipChanged(view, ImmutableArray<(Member, MembershipChangeReason)>.Empty, joined);
        }
        var newIds = view.Select(m => m.Id).ToHashSet();
        var oldIds = host.View.Select(m => m.Id).ToHashSet();
        // A member whose process restarted between two steps left and joined again.
        var left = host.View
            .Where(m => !newIds.Contains(m.Id) || _hosts[m.Id].JoinPending)
            .Select(m => (m, _hosts[m.Id].Departure ?? MembershipChangeReason.NodeDown))
            .ToImmutableArray();
        var joinedNow = view
            .Where(m => !oldIds.Contains(m.Id) || _hosts[m.Id].JoinPending)
            .Select(m => (m, joinReason(_hosts[m.Id])))
            .ToImmutableArray();
        return left.IsEmpty && joinedNow.IsEmpty ? null : new MembershipChanged(view, left, joinedNow);
    }

    private abstract record Step;

    private sealed record Message(NodeId Sender, int Incarnation, byte[] Payload) : Step;

    private sealed record Reconfiguration : Step
    {
        public static readonly Reconfiguration Instance = new();
    }

    private sealed class Host(SimulatedTransport transport)
    {
        public SimulatedTransport Transport { get; } = transport;
        public bool NodeUp { get; set; } = true;
        public bool ProcessJoined { get; set; }
        public bool JoinPending { get; set; }
        public MembershipChangeReason? Departure { get; set; }
        public int Incarnation { get; set; }
        public int Side { get; set; }
        public long HeldUntil { get; set; }
        public long ConfigurationId { get; set; }
        public ImmutableArray<Member> View { get; set; } = ImmutableArray<Member>.Empty;
    }
}
