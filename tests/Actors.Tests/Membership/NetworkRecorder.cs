using System.Collections.Immutable;
using System.Text;
using Haven.Actors.Membership;

namespace Haven.Actors.Tests.Membership;

/// <summary>What one node observed, with the network step at which it observed it.</summary>
internal abstract record Observed(long Step);

internal sealed record ObservedMessage(long Step, NodeId Sender, string Text) : Observed(Step);

internal sealed record ObservedChange(long Step, MembershipChanged Change) : Observed(Step);

internal sealed record ObservedQuorum(long Step, QuorumChanged Quorum) : Observed(Step);

/// <summary>Subscribes to every transport of a network and records each node's stream.</summary>
internal sealed class NetworkRecorder
{
    private readonly SimulatedNetwork _network;
    private readonly SortedDictionary<NodeId, List<Observed>> _logs = new();

    public NetworkRecorder(SimulatedNetwork network)
    {
        _network = network;
        foreach (var member in network.Nodes)
        {
            var log = new List<Observed>();
            _logs[member.Id] = log;
            var transport = network.Transport(member.Id);
            transport.Delivered += (sender, payload) =>
                log.Add(new ObservedMessage(network.StepCount, sender, Encoding.UTF8.GetString(payload)));
            transport.MembershipChanged += change => log.Add(new ObservedChange(network.StepCount, change));
            transport.QuorumChanged += quorum => log.Add(new ObservedQuorum(network.StepCount, quorum));
        }
    }

    public IReadOnlyList<Observed> Log(uint node) => _logs[new NodeId(node)];

    public IReadOnlyList<Observed> Log(NodeId node) => _logs[node];

    public IEnumerable<NodeId> Nodes => _logs.Keys;

    public string[] Messages(uint node) =>
        _logs[new NodeId(node)].OfType<ObservedMessage>().Select(m => $"{m.Sender}:{m.Text}").ToArray();

    public ImmutableArray<MembershipChanged> Changes(uint node) =>
        _logs[new NodeId(node)].OfType<ObservedChange>().Select(c => c.Change).ToImmutableArray();

    public void JoinAll()
    {
        foreach (var member in _network.Nodes) _network.Transport(member.Id).JoinAsync("haven").GetAwaiter().GetResult();
        _network.DeliverAll();
    }

    public void Send(uint node, string text) =>
        _network.Transport(new NodeId(node)).MulticastAsync(Encoding.UTF8.GetBytes(text)).GetAwaiter().GetResult();

    /// <summary>A compact text of every node's stream, for determinism comparisons.</summary>
    public string Trace() => string.Join("\n", _logs.Select(kv => $"{kv.Key}: " + string.Join(" | ", kv.Value.Select(o => o switch
    {
        ObservedMessage m => $"@{m.Step} {m.Sender}:{m.Text}",
        ObservedChange c => $"@{c.Step} {c.Change}",
        ObservedQuorum q => $"@{q.Step} {q.Quorum}",
        _ => "?",
    }))));
}

internal static class MembershipTestExtensions
{
    public static NodeId N(this uint value) => new(value);

    public static NodeId[] Ids(params uint[] values) => values.Select(v => new NodeId(v)).ToArray();

    public static string Describe(this ImmutableArray<(Member Member, MembershipChangeReason Reason)> changes) =>
        string.Join(",", changes.Select(c => $"{c.Member.Id}:{c.Reason}"));

    public static string Ids(this MembershipChanged change) => string.Join(",", change.Members.Select(m => m.Id));
}
