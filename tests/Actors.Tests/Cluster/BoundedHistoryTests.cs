using Haven.Actors.Cluster;
using Haven.Actors.Persistence;
using Haven.TestKit;

namespace Haven.Actors.Tests.Cluster;

/// <summary>Snapshots of the replicated stream, the journal's audit window, recovery from snapshot + tail, and sync of a member behind the snapshot.</summary>
public sealed class BoundedHistoryTests : HavenTestKit
{
    private static readonly JsonEventSerializer Serializer = new(ClusterManifests.Register(new EventManifestRegistry()));

    private TestCluster Started(SnapshotPolicy policy)
    {
        var cluster = new TestCluster(this, 3, configure: o => o with { Snapshots = policy });
        cluster.StartAll();
        cluster.Run(TimeSpan.FromSeconds(10));
        return cluster;
    }

    /// <summary>Standby and back for node2, <paramref name="times"/> times: two replicated events or more each.</summary>
    private static void Churn(TestCluster cluster, int times)
    {
        for (var i = 0; i < times; i++)
        {
            Assert.True(cluster[1].Command(new SetNodeMode("node2", NodeMode.Standby)).Accepted);
            Assert.True(cluster[1].Command(new SetNodeMode("node2", NodeMode.Unstandby)).Accepted);
        }
        cluster.Run(TimeSpan.FromSeconds(2));
    }

    private static List<(long Seq, object Entry)> Journal(TestCluster.Host host) =>
        [.. host.Journal.ReadAsync("cluster", 1, long.MaxValue).ToListAsync().AsTask().Result.Select(e => (e.SequenceNr, Serializer.Deserialize(e)))];

    private static void AllInOneStream(TestCluster cluster)
    {
        Assert.All(cluster.Hosts, h => Assert.Equal(PartitionRole.Primary, h.View!.Role));
        Assert.Single(cluster.Hosts.Select(h => (h.View!.StreamIndex, h.View.StreamDigest)).Distinct());
    }

    [Fact]
    public async Task Snapshots_EveryFewEvents_JournalStartsAtTheSnapshotBeforeTheAuditWindow()
    {
        var cluster = Started(new SnapshotPolicy(5, 4));

        Churn(cluster, 12);

        AllInOneStream(cluster);
        foreach (var host in cluster.Hosts)
        {
            var journal = Journal(host);
            var highest = (await host.Journal.ReadHighestSequenceNrAsync("cluster"));
            Assert.True(journal[0].Seq > 1, $"n{host.Member.Id}: nothing was deleted");
            var first = Assert.IsType<StreamSnapshot>(journal[0].Entry);
            // The window: at least keep-events entries before the latest snapshot, and no whole snapshot interval more.
            var latest = journal.Last(e => e.Entry is StreamSnapshot);
            Assert.InRange(latest.Seq - journal[0].Seq, 4, 4 + 5 + 4);
            Assert.Equal(highest, journal[^1].Seq);
            // The store keeps the latest snapshot only, the one in the journal at the same place.
            var stored = (await host.Snapshots.LoadLatestAsync("cluster"))!;
            Assert.Equal(latest.Seq, stored.Metadata.SequenceNr);
            Assert.Null((await host.Snapshots.LoadLatestAsync("cluster", stored.Metadata.SequenceNr - 1)));
            // The journal read from its start gives the state the host holds.
            var fold = new Haven.Actors.Events.ClusterStreamFold();
            foreach (var (_, entry) in journal) fold.Apply(entry);
            Assert.Equal(host.View!.State, fold.State);
            Assert.True(first.Index < host.View.StreamIndex);
        }
    }

    [Fact]
    public async Task Restart_RecoversFromSnapshotAndTail_SameIndexDigestAndState()
    {
        var cluster = Started(new SnapshotPolicy(4, 0));
        Churn(cluster, 9);
        var before = cluster[3].View!;
        var stored = (await cluster[3].Snapshots.LoadLatestAsync("cluster"))!;
        var snapshot = (StreamSnapshot)Serializer.Deserialize(stored);
        Assert.True(snapshot.Index > 0 && snapshot.Index < before.StreamIndex, $"snapshot at {snapshot.Index}, stream at {before.StreamIndex}");

        cluster[3].PowerOff();
        cluster[3].PowerOn();
        cluster.Run(TimeSpan.FromMilliseconds(50));

        var recovered = cluster[3].RecoveredView!;
        Assert.Equal(before.StreamIndex, recovered.StreamIndex);
        Assert.Equal(before.StreamDigest, recovered.StreamDigest);
        Assert.Equal(before.State, recovered.State);
        cluster.Run(TimeSpan.FromSeconds(15));
        AllInOneStream(cluster);
    }

    [Fact]
    public async Task MemberBehindTheSnapshot_Rejoins_GetsTheSnapshotAndTailNotTheWholeHistory()
    {
        var cluster = Started(new SnapshotPolicy(5, 0));
        var lostAt = cluster[3].View!.StreamIndex;
        var journaledBefore = (await cluster[3].Journal.ReadHighestSequenceNrAsync("cluster"));
        cluster[3].PowerOff();
        cluster.Run(TimeSpan.FromSeconds(10)); // the survivors fence it
        Churn(cluster, 15);
        var missed = cluster[1].View!.StreamIndex - lostAt;
        Assert.True(missed > 30, $"only {missed} events missed");

        cluster[3].PowerOn();
        cluster.Run(TimeSpan.FromSeconds(15));

        AllInOneStream(cluster);
        var after = Journal(cluster[3]).Where(e => e.Seq > journaledBefore).ToList();
        var rebase = after.Select(e => e.Entry).OfType<StreamSnapshot>().First();
        Assert.True(rebase.Index > lostAt, $"the first snapshot journaled after the restart is at {rebase.Index}, the host had {lostAt}");
        Assert.True(after.Count(e => e.Entry is IClusterEvent) < missed,
            $"{after.Count(e => e.Entry is IClusterEvent)} replicated events journaled for {missed} missed: the whole history was sent");
    }

    [Fact]
    public async Task JournalWithoutSnapshots_IsAdoptedWhole_ThenSnapshottedAndCut()
    {
        var cluster = Started(SnapshotPolicy.Default);
        Churn(cluster, 6);
        var before = cluster[2].View!;
        Assert.Null((await cluster[2].Snapshots.LoadLatestAsync("cluster")));
        Assert.DoesNotContain(Journal(cluster[2]), e => e.Entry is StreamSnapshot);

        cluster[2].PowerOff();
        cluster[2].Options = cluster[2].Options with { Snapshots = new SnapshotPolicy(5, 0) };
        cluster[2].PowerOn();
        cluster.Run(TimeSpan.FromMilliseconds(50));

        Assert.Equal(before.StreamIndex, cluster[2].RecoveredView!.StreamIndex);
        Assert.Equal(before.StreamDigest, cluster[2].RecoveredView!.StreamDigest);
        cluster.Run(TimeSpan.FromSeconds(15));
        AllInOneStream(cluster);
        var journal = Journal(cluster[2]);
        Assert.True(journal[0].Seq > 1);
        Assert.IsType<StreamSnapshot>(journal[0].Entry);
    }
}
