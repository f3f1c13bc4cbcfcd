using System.Collections.Immutable;
using System.Text;
using Haven.Actors;
using Haven.Actors.Cluster;
using Haven.Actors.Events;
using Haven.Actors.Membership;
using Haven.Actors.Persistence;
using Haven.Actors.Runtime;
using Haven.Actors.SplitBrain;
using Haven.Adapters.Persistence;
using Haven.Adapters.Persistence.Postgres;
using Haven.Adapters.Persistence.Sqlite;
using Haven.TestKit;

namespace Haven.Adapters.Tests.Persistence;

/// <summary>
/// Bounded history on a real journal and snapshot store: a one-host ClusterActor snapshots every few events,
/// the store keeps the latest snapshot, the journal is cut before the audit window, and a restart on the same
/// database recovers the same index, digest and state from snapshot + tail. Runs on one deterministic dispatcher;
/// the store calls complete in place.
/// </summary>
public abstract class ClusterHistoryStoreTests : IAsyncLifetime
{
    private static readonly Member Self = new(new NodeId(1), "h1");
    private static readonly JsonEventSerializer Serializer = new(HavenManifests.CreateRegistry());
    private static readonly TimeSpan Bound = TimeSpan.FromMinutes(2);
    private readonly DeterministicDispatcher _dispatcher = new();
    private readonly VirtualClock _clock;
    private (IJournal Journal, ISnapshotStore Snapshots)? _stores;
    private ActorSystem? _system;
    private ClusterView? _view;
    private ClusterView? _recovered;

    protected ClusterHistoryStoreTests() => _clock = new VirtualClock(dispatcher: _dispatcher);

    /// <summary>Opens the journal and snapshot store of one host (the same database on every call).</summary>
    protected abstract Task<(IJournal Journal, ISnapshotStore Snapshots)> OpenAsync();

    protected virtual Task CleanupAsync() => Task.CompletedTask;

    public async Task InitializeAsync() => _stores = await OpenAsync();

    public async Task DisposeAsync()
    {
        try
        {
            await StopAsync();
        }
        finally
        {
            await CleanupAsync();
        }
    }

    private IJournal Journal => _stores!.Value.Journal;
    private ISnapshotStore Snapshots => _stores!.Value.Snapshots;

    private SingleHostTransport Start()
    {
        _system = ActorSystem.Create("h1", ActorSystemSettings.Deterministic(_dispatcher, _clock, 7));
        var transport = new SingleHostTransport(Self);
        var services = new PersistenceServices(new SynchronousJournal(Journal), new SynchronousSnapshotStore(Snapshots), Serializer);
        var options = new ClusterOptions
        {
            ClusterName = "history",
            Self = Self,
            Nodes = [Self],
            SplitBrain = new SplitBrainSettings { Nodes = [Self.Id], StableAfter = TimeSpan.FromSeconds(1) },
            Snapshots = new SnapshotPolicy(8, 5),
        };
        _recovered = null;
        var deps = new ClusterDependencies(transport, services, new NoFencer(), new NoAddresses(), Observer: v =>
        {
            _recovered ??= v;
            _view = v;
        });
        _system.ActorOf(ClusterActor.Props(options, deps), "cluster");
        return transport;
    }

    private async Task StopAsync()
    {
        _system?.Terminate();
        _dispatcher.RunUntilIdle();
        _system = null;
        if (_stores is { } stores)
        {
            if (stores.Journal is IAsyncDisposable j) await j.DisposeAsync();
            if (stores.Snapshots is IAsyncDisposable s) await s.DisposeAsync();
        }
        _stores = null;
    }

    private static async Task<List<(long Seq, object Entry)>> ReadAsync(IJournal journal)
    {
        var list = new List<(long, object)>();
        await foreach (var e in journal.ReadAsync("cluster", 1, long.MaxValue)) list.Add((e.SequenceNr, Serializer.Deserialize(e)));
        return list;
    }

    /// <summary>The one-host ClusterActor on this store (SQLite only: on PostgreSQL the synchronous store calls of the deterministic run hang).</summary>
    protected async Task ClusterActorSnapshotsCutsAndRecoversAsync()
    {
        var transport = Start();
        Assert.True(Driver.WaitUntil(_system!, () => _view is { Role: PartitionRole.Primary }, Bound));
        var start = _view!.StreamIndex;
        for (var batch = 0; batch < 6; batch++)
        {
            var records = Enumerable.Range(0, 10).Select(i =>
            {
                var (manifest, payload) = Serializer.Serialize(new HeuristicsChanged(Self.Id, (batch * 10 + i) % 2 == 0));
                return new WireRecord(manifest, Encoding.UTF8.GetString(payload));
            }).ToImmutableArray();
            var (type, body) = Serializer.Serialize(new ReplicateBatch(records));
            await transport.MulticastAsync(new WireEnvelope(WireEnvelope.CurrentVersion, Self.Id, 1_000 + batch, type, body).Encode());
        }
        Assert.True(Driver.WaitUntil(_system!, () => _view!.StreamIndex >= start + 60, Bound));
        var before = _view!;

        var journal = await ReadAsync(Journal);
        Assert.True(journal[0].Seq > 1, "nothing was deleted");
        Assert.IsType<StreamSnapshot>(journal[0].Entry);
        var latest = journal.Last(e => e.Entry is StreamSnapshot);
        Assert.InRange(latest.Seq - journal[0].Seq, 5, 5 + 8 + 4);
        var stored = await Snapshots.LoadLatestAsync("cluster");
        Assert.NotNull(stored);
        Assert.Equal(latest.Seq, stored.Metadata.SequenceNr);
        Assert.Null(await Snapshots.LoadLatestAsync("cluster", stored.Metadata.SequenceNr - 1));
        var fold = new ClusterStreamFold();
        foreach (var (_, entry) in journal) fold.Apply(entry);
        Assert.Equal(before.State, fold.State);

        await StopAsync();
        _stores = await OpenAsync();
        Start();
        Assert.True(Driver.WaitUntil(_system!, () => _recovered is not null, Bound));

        Assert.Equal(before.StreamIndex, _recovered!.StreamIndex);
        Assert.Equal(before.StreamDigest, _recovered.StreamDigest);
        Assert.Equal(before.State, _recovered.State);
        Assert.True(Driver.WaitUntil(_system!, () => _view is { Role: PartitionRole.Primary }, Bound));
    }

    /// <summary>
    /// What the ClusterActor writes, written directly: a stream with snapshots in the journal and the latest in the store,
    /// the journal cut before the older one; the store gives the snapshot back byte for byte, the cut journal starts at the
    /// older snapshot and folds to the state of the whole stream, and the settings read at start survive the cut.
    /// </summary>
    [Fact]
    public async Task Store_SnapshotAndCutJournal_GiveTheStateOfTheWholeStream()
    {
        var events = new List<IClusterEvent> { new NodeJoined(Self.Id, "h1"), new NodeUp(Self.Id), new SettingChanged("haven.heuristics.attempts", "4") };
        events.AddRange(Enumerable.Range(0, 20).Select(i => (IClusterEvent)new HeuristicsChanged(Self.Id, i % 2 == 0)));
        var stream = new ReplicatedStream();
        var state = ClusterState.Empty;
        var entries = new List<JournalEntry>();
        var snapshotSeqs = new List<long>();
        StreamSnapshot? latest = null;
        foreach (var e in events)
        {
            var (manifest, payload) = Serializer.Serialize(e);
            stream.Append(manifest, payload);
            state = state.Apply(e);
            entries.Add(new JournalEntry("cluster", entries.Count + 1, manifest, payload, DateTimeOffset.UnixEpoch, []));
            if (stream.Count % 8 != 0) continue;
            latest = new StreamSnapshot(stream.Count, stream.Digest, state.ToImage());
            var (m, p) = Serializer.Serialize(latest);
            entries.Add(new JournalEntry("cluster", entries.Count + 1, m, p, DateTimeOffset.UnixEpoch, []));
            snapshotSeqs.Add(entries.Count);
        }
        await Journal.WriteAsync(entries);
        var (snapshotManifest, snapshotPayload) = Serializer.Serialize(latest!);
        await Snapshots.SaveAsync(new SnapshotEntry(new SnapshotMetadata("cluster", snapshotSeqs[^1], DateTimeOffset.UnixEpoch), snapshotManifest, snapshotPayload));
        await Snapshots.SaveAsync(new SnapshotEntry(new SnapshotMetadata("cluster", snapshotSeqs[0], DateTimeOffset.UnixEpoch), snapshotManifest, snapshotPayload));
        await Snapshots.DeleteToAsync("cluster", snapshotSeqs[^1] - 1);
        await Journal.DeleteToAsync("cluster", snapshotSeqs[0] - 1);

        var stored = await Snapshots.LoadLatestAsync("cluster");
        Assert.NotNull(stored);
        Assert.Equal(snapshotPayload, stored.Payload);
        Assert.Null(await Snapshots.LoadLatestAsync("cluster", snapshotSeqs[^1] - 1));
        Assert.Equal(ClusterState.FromImage(latest!.State), ClusterState.FromImage(((StreamSnapshot)Serializer.Deserialize(stored)).State));
        Assert.Equal(16, latest.State.Version);
        var journal = await ReadAsync(Journal);
        Assert.Equal(snapshotSeqs[0], journal[0].Seq);
        Assert.Equal(entries.Count, await Journal.ReadHighestSequenceNrAsync("cluster"));
        var fold = new ClusterStreamFold();
        foreach (var (_, entry) in journal) fold.Apply(entry);
        Assert.Equal(state, fold.State);
        Assert.Equal("4", ClusterSettingsReplay.Replay(journal.Select(e => e.Entry))["haven.heuristics.attempts"]);
    }
}

public sealed class SqliteClusterHistoryStoreTests : ClusterHistoryStoreTests
{
    private readonly TempSqliteFile _file = new();

    [Fact]
    public Task ClusterActor_SnapshotsCutsAndRecovers_OnTheRealStore() => ClusterActorSnapshotsCutsAndRecoversAsync();

    protected override async Task<(IJournal Journal, ISnapshotStore Snapshots)> OpenAsync()
    {
        var path = await _file.MigratedPathAsync();
        return (await SqliteJournal.OpenAsync(path), await SqliteSnapshotStore.OpenAsync(path));
    }

    protected override Task CleanupAsync()
    {
        _file.Dispose();
        return Task.CompletedTask;
    }
}

/// <summary>On a shared PostgreSQL database, scoped to the node as the daemon scopes it.</summary>
[Collection(PostgresCollection.Name)]
public sealed class PostgresClusterHistoryStoreTests(PostgresServerFixture server) : ClusterHistoryStoreTests
{
    private readonly Lazy<Task<string>> _schema = new(server.CreateMigratedSchemaAsync);

    protected override async Task<(IJournal Journal, ISnapshotStore Snapshots)> OpenAsync()
    {
        var connectionString = await _schema.Value;
        var scope = new NodeScope("h1");
        return (new NodeScopedJournal(await PostgresJournal.OpenAsync(connectionString), scope),
            new NodeScopedSnapshotStore(await PostgresSnapshotStore.OpenAsync(connectionString), scope));
    }
}
