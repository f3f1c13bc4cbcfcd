using Haven.Actors;
using Haven.Actors.Cluster;
using Haven.Actors.Events;
using Haven.Actors.Membership;
using Haven.Actors.Persistence;
using Haven.Actors.Runtime;
using Haven.Adapters.Events;
using Haven.Adapters.Persistence.Sqlite;
using Haven.Adapters.Tests.Persistence;

namespace Haven.Adapters.Tests.Events;

/// <summary>
/// At-least-once delivery for real: a SQLite journal, real scripts in a temp events.d, a real actor system that is
/// killed (terminated without the shutdown event) after a takeip was journaled and before it was delivered.
/// </summary>
public sealed class EventDeliveryRestartTests : IDisposable
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(30);
    private static readonly NodeId Self = new(1);

    private readonly ScriptDirectory _dir = new();
    private readonly TempSqliteFile _db = new();
    private readonly JsonEventSerializer _serializer = new(EventManifests.Register(HavenManifests.CreateRegistry()));

    public void Dispose()
    {
        _dir.Dispose();
        _db.Dispose();
    }

    /// <summary>The real runner, plus a barrier that opens when an event with the given name finished.</summary>
    private sealed class Signalling(IEventScriptRunner inner, string name) : IEventScriptRunner
    {
        public TaskCompletionSource Ran { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public ScriptPlan Inspect() => inner.Inspect();

        public async Task<EventRunResult> RunAsync(ScriptEvent scriptEvent, CancellationToken cancellationToken)
        {
            var result = await inner.RunAsync(scriptEvent, cancellationToken);
            if (scriptEvent.Name == name) Ran.TrySetResult();
            return result;
        }
    }

    private async Task<(ActorSystem System, SqliteJournal Journal, SqliteSnapshotStore Snapshots)> StartAsync()
    {
        var journal = await SqliteJournal.OpenAsync(await _db.MigratedPathAsync());
        var snapshots = await SqliteSnapshotStore.OpenAsync(_db.Path);
        var system = ActorSystem.Create("events");
        var runner = new Signalling(new EventScriptRunner(_dir.Path, TimeSpan.FromSeconds(20), TimeProvider.System, new CapturingLogger()), "startup");
        system.ActorOf(EventDeliveryActor.Props(new EventDeliveryOptions(Self, runner), new PersistenceServices(journal, snapshots, _serializer)), "event-delivery");
        await runner.Ran.Task.WaitAsync(Bound);
        return (system, journal, snapshots);
    }

    [Fact]
    public async Task Restart_AfterAKillBetweenJournalingAndDelivery_TheScriptRunsAfterTheRestart()
    {
        _dir.WriteRecorder("10.record");
        var (system, journal, snapshots) = await StartAsync();

        // What the ClusterActor journals; the kill comes before the wake-up that would deliver it.
        IClusterEvent[] events = [new NodeJoined(Self, "h1"), new NodeUp(Self), new RecoveryStarted(Self), new IpTaken("eth0", "10.0.0.5", 24, Self)];
        await journal.WriteAsync(events.Select((e, i) =>
        {
            var (manifest, payload) = _serializer.Serialize(e);
            return new JournalEntry("cluster", i + 1, manifest, payload, TimeProvider.System.GetUtcNow(), []);
        }).ToList());
        await system.Terminate().WaitAsync(Bound);
        await journal.DisposeAsync();
        await snapshots.DisposeAsync();
        Assert.Equal(["10.record init", "10.record setup", "10.record startup"], _dir.JournalLines);

        var (restarted, reopened, reopenedSnapshots) = await StartAsync();
        await restarted.Terminate().WaitAsync(Bound);
        await reopened.DisposeAsync();
        await reopenedSnapshots.DisposeAsync();

        Assert.Equal(["10.record init", "10.record setup", "10.record startup",
            "10.record init", "10.record setup", "10.record startrecovery", "10.record takeip eth0 10.0.0.5 24", "10.record startup"], _dir.JournalLines);
    }
}
