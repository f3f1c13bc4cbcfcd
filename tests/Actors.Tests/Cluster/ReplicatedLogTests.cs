using System.Collections.Immutable;
using System.Text;
using Haven.Actors.Cluster;
using Haven.Actors.Events;
using Haven.Actors.Persistence;
using static Haven.Actors.Tests.Cluster.ClusterTestEvents;

namespace Haven.Actors.Tests.Cluster;

public sealed class ReplicatedLogTests
{
    private static readonly JsonEventSerializer Serializer = new(HavenManifests.CreateRegistry());

    private static WireRecord Wire(IClusterEvent e)
    {
        var (manifest, payload) = Serializer.Serialize(e);
        return new WireRecord(manifest, Encoding.UTF8.GetString(payload));
    }

    private static IReadOnlyList<WireRecord> Toggles(int count, int offset = 0) =>
        [.. Enumerable.Range(offset, count).Select(i => Wire(new HeuristicsChanged(N(1), i % 2 == 0)))];

    private static ReplicatedStream StreamOf(IEnumerable<WireRecord> records)
    {
        var stream = new ReplicatedStream();
        foreach (var r in records) stream.Append(r.Manifest, Encoding.UTF8.GetBytes(r.Payload));
        return stream;
    }

    [Fact]
    public void TruncateBefore_KeepsDigestsFromTheBaseOn_AndForgetsTheOlderOnes()
    {
        var whole = StreamOf(Toggles(10));
        var cut = StreamOf(Toggles(10));

        cut.TruncateBefore(6);

        Assert.Equal(6, cut.BaseIndex);
        Assert.Equal(4, cut.TailCount);
        Assert.Equal(whole.Digest, cut.Digest);
        Assert.Equal(whole.DigestAt(6), cut.DigestAt(6));
        Assert.True(cut.HasPrefix(8, whole.DigestAt(8)));
        Assert.False(cut.HasPrefix(5, whole.DigestAt(5))); // below the base: not known
        Assert.Throws<ArgumentOutOfRangeException>(() => cut.DigestAt(5));
        Assert.Throws<ArgumentOutOfRangeException>(() => cut.After(5));
        Assert.Equal([7L, 8, 9, 10], cut.After(6).Select(r => r.Index));
    }

    [Fact]
    public void Rebase_ThenAppend_GivesTheDigestOfTheWholeHistory()
    {
        var records = Toggles(10);
        var whole = StreamOf(records);
        var rebased = new ReplicatedStream();

        rebased.Rebase(7, whole.DigestAt(7));
        foreach (var r in records.Skip(7)) rebased.Append(r.Manifest, Encoding.UTF8.GetBytes(r.Payload));

        Assert.Equal(10, rebased.Count);
        Assert.Equal(whole.Digest, rebased.Digest);
        Assert.Equal(whole.DigestAt(8), ReplicatedStream.Next(whole.DigestAt(7), 8, records[7].Manifest, Encoding.UTF8.GetBytes(records[7].Payload)));
    }

    [Fact]
    public void OfferFrom_MemberWithinTheTail_GetsTheTailAfterItsIndex_NoSnapshot()
    {
        var source = StreamOf(Toggles(20));
        source.TruncateBefore(10);

        Assert.Equal(15, ReplicatedLog.OfferFrom(source, [(15, source.DigestAt(15))], out var needsSnapshot));
        Assert.False(needsSnapshot);
        Assert.Equal(10, ReplicatedLog.OfferFrom(source, [(10, source.DigestAt(10)), (18, source.DigestAt(18))], out needsSnapshot));
        Assert.False(needsSnapshot);
    }

    [Fact]
    public void OfferFrom_MemberBehindTheSnapshotOrDifferent_GetsTheSnapshot()
    {
        var source = StreamOf(Toggles(20));
        var digestAt4 = source.DigestAt(4);
        source.TruncateBefore(10);

        Assert.Equal(10, ReplicatedLog.OfferFrom(source, [(4, digestAt4)], out var needsSnapshot));
        Assert.True(needsSnapshot);
        Assert.Equal(10, ReplicatedLog.OfferFrom(source, [(15, new string('0', 64))], out needsSnapshot));
        Assert.True(needsSnapshot);
        // Without a snapshot the base is the empty stream: from 0, as before snapshots existed.
        Assert.Equal(0, ReplicatedLog.OfferFrom(StreamOf(Toggles(5)), [(3, new string('0', 64))], out needsSnapshot));
        Assert.False(needsSnapshot);
    }

    [Fact]
    public void Accept_OfferThatContinuesMyStream_AppendsWhatIsNew()
    {
        var records = Toggles(12);
        var mine = StreamOf(records.Take(8));
        var source = StreamOf(records);

        var accept = ReplicatedLog.Accept(mine, 5, source.DigestAt(5), records.Skip(5).ToList(), hasSnapshot: false);

        Assert.Equal(new OfferAcceptance(8, false, 3), accept);
    }

    [Fact]
    public void Accept_DivergedWithinMyTail_KeepsTheCommonPrefix()
    {
        var records = Toggles(12);
        var mine = StreamOf([.. records.Take(6), Wire(new NodeUp(N(3))), Wire(new NodeUp(N(4)))]);
        mine.TruncateBefore(4);
        var source = StreamOf(records);

        var accept = ReplicatedLog.Accept(mine, 0, "", records, hasSnapshot: false);

        Assert.Equal(new OfferAcceptance(6, false, 6), accept);
    }

    [Fact]
    public void Accept_DivergedBelowMyBase_RebasesToTheOfferedSnapshot_OrToTheEmptyStreamFromZero()
    {
        var records = Toggles(12);
        var mine = StreamOf([Wire(new NodeUp(N(3))), .. records.Skip(1).Take(9)]);
        mine.TruncateBefore(8);
        var source = StreamOf(records);

        Assert.Equal(new OfferAcceptance(10, true, 0), ReplicatedLog.Accept(mine, 10, source.DigestAt(10), records.Skip(10).ToList(), hasSnapshot: true));
        Assert.Equal(new OfferAcceptance(0, true, 0), ReplicatedLog.Accept(mine, 0, null, records, hasSnapshot: false));
        // A plain offer from a later index it cannot check (an older source named no digest): it cannot take it.
        Assert.Null(ReplicatedLog.Accept(mine, 3, null, records.Skip(3).ToList(), hasSnapshot: false));
    }

    [Fact]
    public void Accept_MemberBehindTheSnapshot_Rebases()
    {
        var records = Toggles(30);
        var mine = StreamOf(records.Take(5));
        var source = StreamOf(records);
        source.TruncateBefore(20);

        var accept = ReplicatedLog.Accept(mine, 20, source.DigestAt(20), records.Skip(20).ToList(), hasSnapshot: true);

        Assert.Equal(new OfferAcceptance(20, true, 0), accept);
    }

    [Fact]
    public void Readers_OfAJournalThatStartsAtASnapshot_StartFromItsState()
    {
        var before = ThreeUp().Apply(new SettingChanged("haven.heuristics.attempts", "4"));
        var snapshot = new StreamSnapshot(9, new string('b', 64), before.ToImage());
        object[] journal = [snapshot, new NodeStandby(N(2)), new SettingChanged("haven.heuristics.timeout", "2s"), new StreamReset(10), new NodeStandby(N(3))];

        var fold = new ClusterStreamFold();
        foreach (var entry in journal) fold.Apply(entry);

        Assert.Equal(before.Apply(new NodeStandby(N(2))).Apply(new NodeStandby(N(3))), fold.State);
        Assert.Equal(ImmutableDictionary<string, string>.Empty.Add("haven.heuristics.attempts", "4"), ClusterSettingsReplay.Replay(journal));
    }
}
