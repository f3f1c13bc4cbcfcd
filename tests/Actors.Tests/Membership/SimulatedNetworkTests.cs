using Haven.Actors.Membership;
using static Haven.Actors.Tests.Membership.MembershipTestExtensions;

namespace Haven.Actors.Tests.Membership;

public sealed class SimulatedNetworkTests
{
    private static (SimulatedNetwork Network, NetworkRecorder Recorder) Started(int nodes, Random? random = null)
    {
        var network = SimulatedNetwork.WithNodes(nodes, random);
        var recorder = new NetworkRecorder(network);
        recorder.JoinAll();
        return (network, recorder);
    }

    [Fact]
    public void Join_SingleNode_SeesItsOwnJoin()
    {
        var network = SimulatedNetwork.WithNodes(1);
        var recorder = new NetworkRecorder(network);
        network.Transport(1u.N()).JoinAsync("haven");
        Assert.Empty(recorder.Log(1));

        network.DeliverAll();

        var change = Assert.Single(recorder.Changes(1));
        Assert.Equal("1", change.Ids());
        Assert.Equal("1:Join", change.Joined.Describe());
        Assert.Empty(change.Left);
        Assert.Equal(new QuorumChanged(true, 1, 1), Assert.Single(recorder.Log(1).OfType<ObservedQuorum>()).Quorum);
    }

    [Fact]
    public void Join_SecondNode_ExistingMemberSeesJoinAndJoinerSeesWholeView()
    {
        var network = SimulatedNetwork.WithNodes(2);
        var recorder = new NetworkRecorder(network);
        network.Transport(1u.N()).JoinAsync("haven");
        network.DeliverAll();
        network.Transport(2u.N()).JoinAsync("haven");
        network.DeliverAll();

        var seenBy1 = recorder.Changes(1)[^1];
        var seenBy2 = Assert.Single(recorder.Changes(2));
        Assert.Equal("1,2", seenBy1.Ids());
        Assert.Equal("2:Join", seenBy1.Joined.Describe());
        Assert.Equal("1,2", seenBy2.Ids());
        Assert.Equal("2:Join", seenBy2.Joined.Describe());
        Assert.Equal(network.ViewOf(1u.N()).ToArray(), network.ViewOf(2u.N()).ToArray());
    }

    [Fact]
    public void Multicast_BeforeOwnJoinSeen_Throws()
    {
        var network = SimulatedNetwork.WithNodes(2);
        var transport = network.Transport(1u.N());
        transport.JoinAsync("haven");

        var error = Assert.Throws<InvalidOperationException>(() => transport.MulticastAsync(new byte[] { 1 }).GetAwaiter().GetResult());
        Assert.Contains("own join", error.Message);
    }

    [Fact]
    public void Multicast_ThreeSendersWithSeededInterleaving_EveryMemberDeliversSameOrder()
    {
        for (var seed = 0; seed < 20; seed++)
        {
            var (network, recorder) = Started(3, new Random(seed));
            for (var i = 0; i < 10; i++)
                foreach (var node in new uint[] { 1, 2, 3 }) recorder.Send(node, $"m{i}");
            network.DeliverAll();

            var reference = recorder.Messages(1);
            Assert.Equal(30, reference.Length);
            Assert.Equal(reference, recorder.Messages(2));
            Assert.Equal(reference, recorder.Messages(3));
            foreach (var sender in new[] { "1", "2", "3" })
            {
                var own = reference.Where(m => m.StartsWith(sender + ":", StringComparison.Ordinal)).ToList();
                Assert.Equal(Enumerable.Range(0, 10).Select(i => $"{sender}:m{i}"), own);
            }
        }
    }

    [Fact]
    public void Multicast_DifferentSeeds_ProduceDifferentButTotalOrders()
    {
        var orders = new HashSet<string>();
        for (var seed = 0; seed < 10; seed++)
        {
            var (network, recorder) = Started(3, new Random(seed));
            for (var i = 0; i < 5; i++)
                foreach (var node in new uint[] { 1, 2, 3 }) recorder.Send(node, $"m{i}");
            network.DeliverAll();
            orders.Add(string.Join(" ", recorder.Messages(2)));
        }
        Assert.True(orders.Count > 1, "a seeded Random should vary the interleaving of senders");
    }

    [Fact]
    public void Partition_MessagesSentBefore_DeliveredInOldConfigurationToAll()
    {
        var (network, recorder) = Started(3);
        recorder.Send(3, "before");
        network.Partition(Ids(1, 2), Ids(3));
        recorder.Send(3, "after");
        network.DeliverAll();

        Assert.Equal(["3:before"], recorder.Messages(1));
        Assert.Equal(["3:before"], recorder.Messages(2));
        Assert.Equal(["3:before", "3:after"], recorder.Messages(3));
    }

    [Fact]
    public void Partition_SidesKeepDeliveringTheirOwnMessages()
    {
        var (network, recorder) = Started(5);
        network.Partition(Ids(1, 2, 3), Ids(4, 5));
        network.DeliverAll();
        recorder.Send(1, "a");
        recorder.Send(4, "b");
        recorder.Send(2, "c");
        network.DeliverAll();

        foreach (var node in new uint[] { 1, 2, 3 }) Assert.Equal(["1:a", "2:c"], recorder.Messages(node));
        foreach (var node in new uint[] { 4, 5 }) Assert.Equal(["4:b"], recorder.Messages(node));
        Assert.Equal("1,2,3", recorder.Changes(1)[^1].Ids());
        Assert.Equal("4:NodeDown,5:NodeDown", recorder.Changes(1)[^1].Left.Describe());
        Assert.Equal("1:NodeDown,2:NodeDown,3:NodeDown", recorder.Changes(5)[^1].Left.Describe());
        Assert.Equal(new QuorumChanged(true, 3, 5), recorder.Log(2).OfType<ObservedQuorum>().Last().Quorum);
        Assert.Equal(new QuorumChanged(false, 2, 5), recorder.Log(4).OfType<ObservedQuorum>().Last().Quorum);
    }

    [Fact]
    public void Partition_ChangeDeliveredAtSameStreamPointForAllMembers()
    {
        var (network, recorder) = Started(4, new Random(7));
        foreach (var node in new uint[] { 1, 2, 3, 4 }) recorder.Send(node, "x");
        network.Partition(Ids(1, 2), Ids(3, 4));
        foreach (var node in new uint[] { 1, 2, 3, 4 }) recorder.Send(node, "y");
        network.DeliverAll();

        foreach (var (a, b) in new[] { (1u, 2u), (3u, 4u) })
        {
            Assert.Equal(Stream(recorder, a), Stream(recorder, b));
        }
        Assert.Equal(Stream(recorder, 1).Split('|')[0], Stream(recorder, 3).Split('|')[0]);
    }

    private static string Stream(NetworkRecorder recorder, uint node) => string.Join(" ", recorder.Log(node).Select(o => o switch
    {
        ObservedMessage m => $"{m.Sender}:{m.Text}",
        ObservedChange c => $"| [{c.Change.Ids()}]",
        _ => "",
    }));

    [Fact]
    public void Heal_AfterPartition_MergeReportsOtherSideAsNodeUp()
    {
        var (network, recorder) = Started(3);
        network.Partition(Ids(1), Ids(2, 3));
        network.DeliverAll();
        network.Heal();
        network.DeliverAll();

        var merged1 = recorder.Changes(1)[^1];
        var merged3 = recorder.Changes(3)[^1];
        Assert.Equal("1,2,3", merged1.Ids());
        Assert.Equal("2:NodeUp,3:NodeUp", merged1.Joined.Describe());
        Assert.Equal("1:NodeUp", merged3.Joined.Describe());
        Assert.Empty(merged3.Left);
        recorder.Send(2, "together");
        network.DeliverAll();
        Assert.All(new uint[] { 1, 2, 3 }, n => Assert.Equal("2:together", recorder.Messages(n)[^1]));
    }

    [Fact]
    public void Crash_OthersSeeNodeDownAndCrashedNodeHearsNothing()
    {
        var (network, recorder) = Started(3);
        recorder.Send(2, "lost");
        network.Crash(2u.N());
        recorder.Send(1, "after");
        var before = recorder.Log(2).Count;
        network.DeliverAll();

        Assert.Equal(before, recorder.Log(2).Count);
        Assert.Equal("2:NodeDown", recorder.Changes(1)[^1].Left.Describe());
        Assert.Equal("2:NodeDown", recorder.Changes(3)[^1].Left.Describe());
        Assert.Equal(["1:after"], recorder.Messages(3));
        Assert.True(network.IsCrashed(2u.N()));
        Assert.Throws<InvalidOperationException>(() => recorder.Send(2, "ghost"));
    }

    [Fact]
    public void KillProcess_OthersSeeProcDown()
    {
        var (network, recorder) = Started(3);
        network.KillProcess(3u.N());
        network.DeliverAll();

        Assert.Equal("3:ProcDown", recorder.Changes(1)[^1].Left.Describe());
        Assert.Equal("1,2", recorder.Changes(2)[^1].Ids());
    }

    [Fact]
    public void Leave_OthersSeeLeave()
    {
        var (network, recorder) = Started(3);
        network.Transport(1u.N()).LeaveAsync();
        network.DeliverAll();

        Assert.Equal("1:Leave", recorder.Changes(2)[^1].Left.Describe());
        Assert.Empty(network.ViewOf(1u.N()));
    }

    [Fact]
    public void Restart_AfterCrashAndRejoin_OthersSeeJoinAndRestartedNodeSeesOwnJoin()
    {
        var (network, recorder) = Started(3);
        network.Crash(3u.N());
        network.DeliverAll();
        Assert.Throws<InvalidOperationException>(() => network.Transport(3u.N()).JoinAsync("haven").GetAwaiter().GetResult());
        network.Restart(3u.N());
        network.Transport(3u.N()).JoinAsync("haven");
        network.DeliverAll();

        Assert.Equal("3:Join", recorder.Changes(1)[^1].Joined.Describe());
        var own = recorder.Changes(3)[^1];
        Assert.Equal("1,2,3", own.Ids());
        Assert.Equal("3:Join", own.Joined.Describe());
    }

    [Fact]
    public void Restart_CrashAndRejoinBeforeAnyStep_OthersSeeLeaveAndJoinInOneChange()
    {
        var (network, recorder) = Started(2);
        network.Crash(2u.N());
        network.Restart(2u.N());
        network.Transport(2u.N()).JoinAsync("haven");
        network.DeliverAll();

        var change = recorder.Changes(1)[^1];
        Assert.Equal("2:NodeDown", change.Left.Describe());
        Assert.Equal("2:Join", change.Joined.Describe());
    }

    [Fact]
    public void Delay_HeldSenderIsOvertakenButOrderStaysTotalAndFifo()
    {
        var (network, recorder) = Started(3);
        network.Delay(1u.N(), 3);
        recorder.Send(1, "a1");
        recorder.Send(1, "a2");
        recorder.Send(2, "b1");
        recorder.Send(3, "c1");
        network.DeliverAll();

        Assert.Equal(["2:b1", "3:c1", "1:a1", "1:a2"], recorder.Messages(1));
        Assert.Equal(recorder.Messages(1), recorder.Messages(2));
        Assert.Equal(recorder.Messages(1), recorder.Messages(3));
    }

    [Fact]
    public void Delay_HeldAcrossPartition_DeliveredInSendersNewConfiguration()
    {
        var (network, recorder) = Started(3);
        network.Delay(3u.N(), 5);
        recorder.Send(3, "late");
        network.Partition(Ids(1, 2), Ids(3));
        network.DeliverAll();

        Assert.Empty(recorder.Messages(1));
        Assert.Equal(["3:late"], recorder.Messages(3));
        var log3 = recorder.Log(3).ToList();
        Assert.True(log3.IndexOf(log3.OfType<ObservedChange>().Last()) < log3.IndexOf(log3.OfType<ObservedMessage>().Single()));
    }

    [Fact]
    public void Partition_NodeMissingOrUnknownOrTwice_ThrowsNamingTheNode()
    {
        var network = SimulatedNetwork.WithNodes(3);
        Assert.Contains("3", Assert.Throws<ArgumentException>(() => network.Partition(Ids(1), Ids(2))).Message);
        Assert.Contains("node 9", Assert.Throws<ArgumentException>(() => network.Partition(Ids(1, 2, 3), Ids(9))).Message);
        Assert.Contains("Node 2", Assert.Throws<ArgumentException>(() => network.Partition(Ids(1, 2), Ids(2, 3))).Message);
        Assert.Equal(0, network.PendingCount);
    }

    [Fact]
    public void Constructor_DuplicateOrZeroId_Throws()
    {
        Assert.Throws<ArgumentException>(() => new SimulatedNetwork([new Member(1u.N(), "a"), new Member(1u.N(), "b")]));
        Assert.Throws<ArgumentException>(() => new SimulatedNetwork([new Member(0u.N(), "a")]));
    }

    [Fact]
    public void Join_OtherGroupName_Throws()
    {
        var network = SimulatedNetwork.WithNodes(2);
        network.Transport(1u.N()).JoinAsync("haven");
        Assert.Throws<ArgumentException>(() => network.Transport(2u.N()).JoinAsync("other").GetAwaiter().GetResult());
    }

    [Fact]
    public void DeliverNext_EmptyQueue_ReturnsFalse()
    {
        var network = SimulatedNetwork.WithNodes(2);
        Assert.False(network.DeliverNext());
        Assert.Equal(0, network.StepCount);
    }
}
