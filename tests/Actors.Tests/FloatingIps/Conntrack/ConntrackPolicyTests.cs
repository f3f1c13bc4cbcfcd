using Haven.Actors.Cluster;
using Haven.Actors.FloatingIps.Conntrack;
using Haven.Actors.Membership;

namespace Haven.Actors.Tests.FloatingIps.Conntrack;

public sealed class ConntrackPolicyTests
{
    private static readonly NodeId N1 = new(1);
    private static readonly NodeId N2 = new(2);
    private static readonly NodeId N3 = new(3);
    private static readonly string[] Group = ["192.0.2.10", "198.51.100.10"];

    private static readonly ConntrackCommand[] PromoteCommands =
        [ConntrackCommand.Commit, ConntrackCommand.Flush, ConntrackCommand.ResyncWithKernel, ConntrackCommand.BulkSend];

    private static readonly ConntrackCommand[] DemoteCommands =
        [ConntrackCommand.BulkSend, ConntrackCommand.ShortenTimers, ConntrackCommand.RequestResync];

    private static ClusterState ThreeNodesUp() => ClusterState.Empty.ApplyAll(
    [
        new NodeJoined(N1, "n1"), new NodeUp(N1),
        new NodeJoined(N2, "n2"), new NodeUp(N2),
        new NodeJoined(N3, "n3"), new NodeUp(N3),
    ]);

    private static IpTaken Take(string ip, NodeId node) => new("eth0", ip, 24, node);

    private static IpReleased Release(string ip, NodeId node) => new("eth0", ip, 24, node);

    private static ClusterState GroupOn(NodeId node) => ThreeNodesUp().ApplyAll(Group.Select(ip => Take(ip, node)));

    private static ConntrackPolicy PolicyFor(NodeId self) => new(Group, self);

    [Fact]
    public void Decide_WeTakeTheLastAddressOfTheGroup_PromotesWithCommitFlushResyncBulk()
    {
        var before = ThreeNodesUp().Apply(Take(Group[0], N1));
        var after = before.Apply(Take(Group[1], N1));

        var plan = PolicyFor(N1).Decide(ConntrackRole.Backup, before, after);

        Assert.Equal(ConntrackTransition.Promote, plan.Transition);
        Assert.Equal(ConntrackRole.Master, plan.Role);
        Assert.Equal(PromoteCommands, plan.Commands);
        Assert.Equal(["-c", "-f", "-R", "-B"], plan.Commands.Select(c => c.Argument()));
    }

    [Fact]
    public void Decide_WeHoldOnlyPartOfTheGroup_StaysBackup()
    {
        var before = ThreeNodesUp();
        var after = before.Apply(Take(Group[0], N1));

        var plan = PolicyFor(N1).Decide(ConntrackRole.Backup, before, after);

        Assert.True(plan.IsEmpty);
        Assert.Equal(ConntrackRole.Backup, plan.Role);
    }

    [Fact]
    public void Decide_GroupSplitOverTwoHosts_NeitherIsMaster()
    {
        var state = ThreeNodesUp().Apply(Take(Group[0], N1)).Apply(Take(Group[1], N2));

        Assert.Equal(ConntrackRole.Backup, PolicyFor(N1).DesiredRole(state));
        Assert.Equal(ConntrackRole.Backup, PolicyFor(N2).DesiredRole(state));
        Assert.Null(PolicyFor(N1).GroupHolder(state));
    }

    [Fact]
    public void Decide_WeReleaseAnAddressOfTheGroup_DemotesWithBulkThenShortenTimersAndResyncRequest()
    {
        var before = GroupOn(N1);
        var after = before.Apply(Release(Group[1], N1));

        var plan = PolicyFor(N1).Decide(ConntrackRole.Master, before, after);

        Assert.Equal(ConntrackTransition.Demote, plan.Transition);
        Assert.Equal(ConntrackRole.Backup, plan.Role);
        Assert.Equal(DemoteCommands, plan.Commands);
        Assert.Equal(ConntrackCommand.BulkSend, plan.Commands[0]);
    }

    [Fact]
    public void Decide_OurSideIsDemoted_DemotesEvenWhileTheStateStillListsOurAddresses()
    {
        var before = GroupOn(N1);
        var after = before.Apply(new PartitionDemoted(N1));

        var plan = PolicyFor(N1).Decide(ConntrackRole.Master, before, after);

        Assert.Equal(ConntrackTransition.Demote, plan.Transition);
        Assert.Contains("split-brain", plan.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Decide_PeerComesUpWhileWeAreMaster_SendsOneBulkUpdate()
    {
        var before = GroupOn(N1).Apply(new NodeDown(N3, "lost")).Apply(new NodeFenced(N3, "amm")).Apply(new NodeJoined(N3, "n3"));
        var after = before.Apply(new NodeUp(N3));

        var plan = PolicyFor(N1).Decide(ConntrackRole.Master, before, after);

        Assert.Equal(ConntrackTransition.BulkUpdate, plan.Transition);
        Assert.Equal([ConntrackCommand.BulkSend], plan.Commands.ToArray());
        Assert.Equal(ConntrackRole.Master, plan.Role);
        Assert.Contains("3", plan.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Decide_PeerComesUpWhileWeAreBackup_DoesNothing()
    {
        var before = GroupOn(N2).Apply(new NodeDown(N3, "lost")).Apply(new NodeFenced(N3, "amm")).Apply(new NodeJoined(N3, "n3"));
        var after = before.Apply(new NodeUp(N3));

        Assert.True(PolicyFor(N1).Decide(ConntrackRole.Backup, before, after).IsEmpty);
    }

    [Fact]
    public void Decide_UnrelatedEventWhileMaster_DoesNothing()
    {
        var before = GroupOn(N1);
        var after = before.Apply(new DcChanged(N1));

        var plan = PolicyFor(N1).Decide(ConntrackRole.Master, before, after);

        Assert.True(plan.IsEmpty);
        Assert.Equal(ConntrackRole.Master, plan.Role);
    }

    [Fact]
    public void Decide_FailoverAfterFencing_OldMasterGivesUpAndNewHolderPromotes()
    {
        // n1 held the group and was lost; the coordinator records its releases, then n2 takes the group.
        var lost = GroupOn(N1).Apply(new NodeDown(N1, "lost")).Apply(new NodeFenced(N1, "amm"));
        var released = lost.ApplyAll(Group.Select(ip => Release(ip, N1)));
        var half = released.Apply(Take(Group[0], N2));
        var taken = half.Apply(Take(Group[1], N2));

        Assert.True(PolicyFor(N2).Decide(ConntrackRole.Backup, released, half).IsEmpty);
        Assert.Equal(ConntrackTransition.Promote, PolicyFor(N2).Decide(ConntrackRole.Backup, half, taken).Transition);
        Assert.Equal(ConntrackTransition.Demote, PolicyFor(N1).Reconcile(ConntrackRole.Master, taken).Transition);
    }

    [Fact]
    public void DesiredRole_EveryReachableState_AtMostOneMaster()
    {
        var nodes = new[] { N1, N2, N3 };
        var states = new List<ClusterState>();
        foreach (var first in nodes)
            foreach (var second in nodes)
                states.Add(ThreeNodesUp().Apply(Take(Group[0], first)).Apply(Take(Group[1], second)));
        states.Add(ThreeNodesUp());

        foreach (var state in states)
        {
            var masters = nodes.Count(n => PolicyFor(n).DesiredRole(state) == ConntrackRole.Master);
            Assert.True(masters <= 1, $"{masters} masters for {string.Join(", ", state.Ips.Values)}");
            var holder = PolicyFor(N1).GroupHolder(state);
            Assert.Equal(holder is null ? 0 : 1, masters);
        }
    }

    [Fact]
    public void Reconcile_StateFileSaysMasterButWeHoldNothing_Demotes()
    {
        var plan = PolicyFor(N1).Reconcile(ConntrackRole.Master, GroupOn(N2));

        Assert.Equal(ConntrackTransition.Demote, plan.Transition);
        Assert.Contains("node 2 holds the group", plan.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Reconcile_FailedPromoteLeftUsBackup_PromotesAgain()
    {
        var plan = PolicyFor(N1).Reconcile(ConntrackRole.Backup, GroupOn(N1));

        Assert.Equal(ConntrackTransition.Promote, plan.Transition);
    }

    [Fact]
    public void PeerRestarted_WhileMaster_SendsBulkUpdate()
    {
        var plan = PolicyFor(N1).PeerRestarted(ConntrackRole.Master, GroupOn(N1), N2);

        Assert.Equal(ConntrackTransition.BulkUpdate, plan.Transition);
        Assert.Equal([ConntrackCommand.BulkSend], plan.Commands.ToArray());
    }

    [Fact]
    public void PeerRestarted_WhileBackup_DoesNothing()
    {
        Assert.True(PolicyFor(N1).PeerRestarted(ConntrackRole.Backup, GroupOn(N2), N3).IsEmpty);
    }

    [Fact]
    public void DemoteLocally_WhileMasterWithAStaleState_Demotes()
    {
        var plan = ConntrackPolicy.DemoteLocally(ConntrackRole.Master, "lost the split");

        Assert.Equal(ConntrackTransition.Demote, plan.Transition);
        Assert.Equal(DemoteCommands, plan.Commands);
        Assert.True(ConntrackPolicy.DemoteLocally(ConntrackRole.Backup, "lost the split").IsEmpty);
    }

    [Fact]
    public void Monitor_AnyRole_RunsStatisticsAndKeepsTheRole()
    {
        var plan = ConntrackPolicy.Monitor(ConntrackRole.Master);

        Assert.Equal(["-s"], plan.Commands.Select(c => c.Argument()));
        Assert.Equal(ConntrackRole.Master, plan.Role);
    }

    [Fact]
    public void Constructor_BadAddress_IsRejectedNamingIt()
    {
        var e = Assert.Throws<ArgumentException>(() => new ConntrackPolicy(["192.0.2.10", "fw-vip"], N1));
        Assert.Contains("\"fw-vip\"", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Constructor_EmptyGroup_IsRejected()
    {
        var e = Assert.Throws<ArgumentException>(() => new ConntrackPolicy([], N1));
        Assert.Contains("at least one address", e.Message, StringComparison.Ordinal);
    }
}
