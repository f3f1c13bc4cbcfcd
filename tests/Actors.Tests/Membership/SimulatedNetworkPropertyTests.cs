using Haven.Actors.Membership;

namespace Haven.Actors.Tests.Membership;

/// <summary>Random scenarios (seeded) checked against the CPG guarantees of <see cref="IClusterTransport"/>.</summary>
public sealed class SimulatedNetworkPropertyTests
{
    public static TheoryData<int> Seeds()
    {
        var data = new TheoryData<int>();
        for (var seed = 1; seed <= 60; seed++) data.Add(seed);
        return data;
    }

    [Theory]
    [MemberData(nameof(Seeds))]
    public void RandomScenario_AnySeed_KeepsVirtualSynchrony(int seed)
    {
        var (_, recorder) = Run(seed);
        AssertVirtualSynchrony(recorder);
    }

    [Theory]
    [InlineData(3)]
    [InlineData(17)]
    [InlineData(42)]
    public void RandomScenario_SameSeedTwice_IdenticalStreams(int seed)
    {
        var first = Run(seed).Recorder.Trace();
        var second = Run(seed).Recorder.Trace();
        Assert.Equal(first, second);
        Assert.NotEqual(first, Run(seed + 1000).Recorder.Trace());
    }

    private static (SimulatedNetwork Network, NetworkRecorder Recorder) Run(int seed)
    {
        var random = new Random(seed);
        var network = SimulatedNetwork.WithNodes(3 + seed % 4, new Random(seed * 31));
        var recorder = new NetworkRecorder(network);
        recorder.JoinAll();
        var ids = network.Nodes.Select(m => m.Id).ToArray();
        var joined = ids.ToHashSet();
        var counter = 0;
        for (var op = 0; op < 250; op++)
        {
            var node = ids[random.Next(ids.Length)];
            var roll = random.Next(100);
            if (roll < 40)
            {
                if (network.ViewOf(node).Contains(node)) recorder.Send(node.Value, $"{counter++}");
            }
            else if (roll < 70)
            {
                for (var i = random.Next(1, 4); i > 0; i--) network.DeliverNext();
            }
            else if (roll < 76)
            {
                var sides = random.Next(2, 4);
                var assignment = ids.GroupBy(_ => random.Next(sides)).Select(g => g.AsEnumerable()).ToArray();
                network.Partition(assignment);
            }
            else if (roll < 81)
            {
                network.Heal();
            }
            else if (roll < 85)
            {
                if (!network.IsCrashed(node)) { network.Crash(node); joined.Remove(node); }
            }
            else if (roll < 92)
            {
                if (network.IsCrashed(node)) network.Restart(node);
                if (!joined.Contains(node)) { network.Transport(node).JoinAsync("haven"); joined.Add(node); }
            }
            else if (roll < 95)
            {
                if (joined.Contains(node)) { network.KillProcess(node); joined.Remove(node); }
            }
            else if (roll < 97)
            {
                if (joined.Contains(node)) { network.Transport(node).LeaveAsync(); joined.Remove(node); }
            }
            else
            {
                network.Delay(node, random.Next(1, 6));
            }
        }
        network.DeliverAll();
        return (network, recorder);
    }

    private sealed record Epoch(NodeId Node, long Step, string Members, List<string> Messages, bool EndedByChange);

    private static void AssertVirtualSynchrony(NetworkRecorder recorder)
    {
        var epochs = new List<Epoch>();
        foreach (var node in recorder.Nodes)
        {
            Epoch? current = null;
            var lastFromSender = new Dictionary<NodeId, int>();
            foreach (var observed in recorder.Log(node))
            {
                switch (observed)
                {
                    case ObservedChange change:
                        // A node that sees its own join again had departed (crash, kill, leave): its last
                        // configuration ended there, not with this change.
                        var rejoined = change.Change.Joined.Any(j => j.Member.Id == node);
                        if (current is not null && !rejoined) epochs[^1] = current with { EndedByChange = true };
                        current = new Epoch(node, change.Step, change.Change.Ids(), [], false);
                        epochs.Add(current);
                        break;
                    case ObservedMessage message:
                        Assert.True(current is not null, $"node {node} delivered a message before any configuration");
                        Assert.Contains(message.Sender.ToString(), current!.Members.Split(','));
                        var number = int.Parse(message.Text, System.Globalization.CultureInfo.InvariantCulture);
                        if (lastFromSender.TryGetValue(message.Sender, out var last))
                            Assert.True(number > last, $"node {node} delivered {message.Sender}'s messages out of order");
                        lastFromSender[message.Sender] = number;
                        current.Messages.Add($"{message.Sender}:{message.Text}");
                        break;
                }
            }
        }
        Assert.Contains(epochs, e => e.Messages.Count > 0);
        foreach (var group in epochs.GroupBy(e => (e.Step, e.Members)))
        {
            // Every member of the new view got the change at that very step.
            var receivers = group.Select(e => e.Node.ToString()).Order(StringComparer.Ordinal).ToArray();
            Assert.Equal(group.Key.Members.Split(',').Order(StringComparer.Ordinal).ToArray(), receivers);
            var ended = group.Where(e => e.EndedByChange).ToList();
            foreach (var a in group)
            foreach (var b in group)
            {
                if (a.EndedByChange && b.EndedByChange)
                    Assert.Equal(a.Messages, b.Messages);
                else
                    Assert.True(IsPrefix(a.Messages, b.Messages) || IsPrefix(b.Messages, a.Messages),
                        $"nodes {a.Node} and {b.Node} diverged in configuration @{a.Step}");
            }
        }
    }

    private static bool IsPrefix(List<string> shorter, List<string> longer) =>
        shorter.Count <= longer.Count && shorter.SequenceEqual(longer.Take(shorter.Count));
}
