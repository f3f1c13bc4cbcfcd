using System.Collections.Immutable;
using System.Text;
using Haven.Actors.Persistence;

namespace Haven.Actors.Tests.Persistence;

public sealed class JsonEventSerializerTests
{
    public enum Health { Healthy, NeedsFencing }

    public sealed record NodeJoined(string NodeName, int Votes, Health Health, DateTimeOffset At);
    public sealed record ClusterSnapshot(ImmutableArray<string> Members, ImmutableDictionary<string, int> Votes);
    private sealed record NotRegistered(int X);

    private static readonly DateTimeOffset At = new(2026, 5, 6, 7, 8, 9, TimeSpan.Zero);
    private readonly JsonEventSerializer _serializer = new(new EventManifestRegistry()
        .Register<NodeJoined>("cluster.node-joined.v1")
        .Register<ClusterSnapshot>("cluster.snapshot.v1"));

    private static JournalEntry AsEntry((string Manifest, byte[] Payload) s, long seq = 7) =>
        new("cluster", seq, s.Manifest, s.Payload, At, []);

    [Fact]
    public void Serialize_RegisteredEvent_UsesManifestAndCamelCaseJson()
    {
        var (manifest, payload) = _serializer.Serialize(new NodeJoined("n1", 2, Health.NeedsFencing, At));
        Assert.Equal("cluster.node-joined.v1", manifest);
        Assert.Equal("{\"nodeName\":\"n1\",\"votes\":2,\"health\":\"needsFencing\",\"at\":\"2026-05-06T07:08:09+00:00\"}",
            Encoding.UTF8.GetString(payload));
        Assert.DoesNotContain("JsonEventSerializerTests", Encoding.UTF8.GetString(payload));
    }

    [Fact]
    public void Deserialize_SerializedEvent_RoundTrips()
    {
        var value = new NodeJoined("n1", 2, Health.Healthy, At);
        Assert.Equal(value, _serializer.Deserialize(AsEntry(_serializer.Serialize(value))));
    }

    [Fact]
    public void Deserialize_SnapshotWithImmutableCollections_RoundTrips()
    {
        var state = new ClusterSnapshot(["n1", "n2"], ImmutableDictionary<string, int>.Empty.Add("n1", 1));
        var (manifest, payload) = _serializer.Serialize(state);
        var back = (ClusterSnapshot)_serializer.Deserialize(new SnapshotEntry(new SnapshotMetadata("cluster", 10, At), manifest, payload));
        Assert.Equal(state.Members.ToArray(), back.Members.ToArray());
        Assert.Equal(1, back.Votes["n1"]);
    }

    [Fact]
    public void Serialize_UnregisteredType_FailsNamingTypeAndHowToRegister()
    {
        var ex = Assert.Throws<InvalidOperationException>(() => _serializer.Serialize(new NotRegistered(1)));
        Assert.Contains(nameof(NotRegistered), ex.Message);
        Assert.Contains("Register", ex.Message);
    }

    [Fact]
    public void Deserialize_UnknownManifest_FailsNamingIdSequenceAndManifest()
    {
        var ex = Assert.Throws<RecoveryFailedException>(() =>
            _serializer.Deserialize(new JournalEntry("vm/web", 42, "vms.gone.v1", "{}"u8.ToArray(), At, [])));
        Assert.Equal("vm/web", ex.PersistenceId);
        Assert.Equal(42, ex.SequenceNr);
        Assert.Contains("'vm/web'", ex.Message);
        Assert.Contains("42", ex.Message);
        Assert.Contains("unknown event manifest 'vms.gone.v1'", ex.Message);
    }

    [Theory]
    [InlineData("{\"nodeName\":")]
    [InlineData("not json")]
    [InlineData("null")]
    [InlineData("[1,2]")]
    [InlineData("{\"votes\":\"many\"}")]
    [InlineData("{\"health\":\"unknownHealth\"}")]
    public void Deserialize_CorruptPayload_FailsAsCorruptNamingIdAndSequence(string json)
    {
        var ex = Assert.Throws<RecoveryFailedException>(() =>
            _serializer.Deserialize(new JournalEntry("cluster", 9, "cluster.node-joined.v1", Encoding.UTF8.GetBytes(json), At, [])));
        Assert.Equal(("cluster", 9L), (ex.PersistenceId, ex.SequenceNr));
        Assert.Contains("corrupt event payload for manifest 'cluster.node-joined.v1'", ex.Message);
    }

    [Fact]
    public void Deserialize_CorruptSnapshot_FailsAsCorruptSnapshot()
    {
        var ex = Assert.Throws<RecoveryFailedException>(() => _serializer.Deserialize(
            new SnapshotEntry(new SnapshotMetadata("cluster", 10_000, At), "cluster.snapshot.v1", [0xff, 0xfe])));
        Assert.Equal(10_000, ex.SequenceNr);
        Assert.Contains("corrupt snapshot payload", ex.Message);
        var unknown = Assert.Throws<RecoveryFailedException>(() => _serializer.Deserialize(
            new SnapshotEntry(new SnapshotMetadata("cluster", 5, At), "cluster.snapshot.v0", [])));
        Assert.Contains("unknown snapshot manifest", unknown.Message);
    }
}
