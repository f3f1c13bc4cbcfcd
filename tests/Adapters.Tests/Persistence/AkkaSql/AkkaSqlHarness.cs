using Akka.Actor;
using Akka.Persistence;
using Haven.Actors;
using Haven.Actors.Akka;
using Haven.Actors.Hosts;
using Haven.Actors.Persistence;
using Haven.Adapters.Persistence.AkkaSql;

namespace Haven.Adapters.Tests.Persistence.AkkaSql;

/// <summary>What an Akka persistent actor got back on recovery.</summary>
public sealed record Replayed(object? Snapshot, long SnapshotSequenceNr, IReadOnlyList<object> Events, long LastSequenceNr);

/// <summary>
/// Real daemon events (Haven's registry and serializer) written the way the current release writes them, and a
/// real ActorSystem with Akka.Persistence.Sql that replays them through a ReceivePersistentActor.
/// </summary>
public static class AkkaSqlHarness
{
    public static readonly EventManifestRegistry Registry = HavenManifests.CreateRegistry();
    public static readonly JsonEventSerializer Json = new(Registry);

    public static IReadOnlyList<object> Events(string node, int count) => Enumerable.Range(1, count)
        .Select(i => i % 3 == 0 ? (object)new DaemonStopped(node, $"stop {i}") : new DaemonStarted(node, 1000 + i, $"0.{i}", i % 2 == 0))
        .ToList();

    /// <summary>Haven's journal entries for <paramref name="events"/> from sequence number <paramref name="first"/>.</summary>
    public static IReadOnlyList<JournalEntry> Entries(string persistenceId, IReadOnlyList<object> events, long first = 1, IReadOnlyList<string>? tags = null) =>
        events.Select((e, i) =>
        {
            var (manifest, payload) = Json.Serialize(e);
            return new JournalEntry(persistenceId, first + i, manifest, payload, DateTimeOffset.UnixEpoch.AddSeconds(first + i), tags ?? []);
        }).ToList();

    public static SnapshotEntry Snapshot(string persistenceId, long sequenceNr, object state)
    {
        var (manifest, payload) = Json.Serialize(state);
        return new SnapshotEntry(new Haven.Actors.Persistence.SnapshotMetadata(persistenceId, sequenceNr, DateTimeOffset.UnixEpoch.AddHours(1)), manifest, payload);
    }

    public static async Task<ActorSystem> StartAsync(AkkaPersistenceSettings settings)
    {
        var config = AkkaPersistenceConfig.Build(settings, AkkaConfig.Build(new AkkaHostSettings { LogLevel = "WARNING" }));
        var system = ActorSystem.Create("akkasql", AkkaPersistenceConfig.Setup(config, Registry, Json));
        await AkkaPersistenceStart.InitializeAsync(system, TimeSpan.FromSeconds(30));
        return system;
    }

    public static async Task<Replayed> ReplayAsync(ActorSystem system, string persistenceId, IReadOnlyList<object>? persistAfter = null)
    {
        var actor = system.ActorOf(Props.Create(() => new ReplayActor(persistenceId)));
        try
        {
            var replayed = await actor.Ask<Replayed>(ReplayActor.Report.Instance, TimeSpan.FromSeconds(30));
            if (persistAfter is { Count: > 0 })
                await actor.Ask<ReplayActor.Persisted>(new ReplayActor.PersistAll(persistAfter), TimeSpan.FromSeconds(30));
            return replayed;
        }
        finally
        {
            await actor.GracefulStop(TimeSpan.FromSeconds(10));
        }
    }

    private sealed class ReplayActor : ReceivePersistentActor
    {
        private readonly List<object> _events = [];
        private object? _snapshot;
        private long _snapshotSeq;

        public ReplayActor(string persistenceId)
        {
            PersistenceId = persistenceId;
            Recover<SnapshotOffer>(offer => (_snapshot, _snapshotSeq) = (offer.Snapshot, offer.Metadata.SequenceNr));
            Recover<RecoveryCompleted>(_ => { });
            Recover<object>(e => _events.Add(e));
            Command<Report>(_ => Sender.Tell(new Replayed(_snapshot, _snapshotSeq, _events.ToList(), LastSequenceNr)));
            Command<PersistAll>(p =>
            {
                var sender = Sender;
                var left = p.Events.Count;
                PersistAll(p.Events, _ => { if (--left == 0) sender.Tell(new Persisted(LastSequenceNr)); });
            });
        }

        public override string PersistenceId { get; }

        public sealed record PersistAll(IReadOnlyList<object> Events);
        public sealed record Persisted(long LastSequenceNr);

        public sealed class Report
        {
            public static readonly Report Instance = new();
        }
    }
}
