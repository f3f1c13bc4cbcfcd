using Haven.Actors.Cluster;
using Haven.Actors.Events;
using Haven.Actors.Membership;
using Haven.Actors.Persistence;
using Haven.Actors.Runtime;
using Haven.TestKit;
using Microsoft.Extensions.Logging;

namespace Haven.Actors.Tests.Events;

/// <summary>The first start of event delivery over a journal that already has "cluster" history, and the starts after it.</summary>
public sealed class EventDeliveryStartTests : HavenTestKit
{
    private static readonly NodeId Self = new(1);
    private static readonly NodeId Other = new(2);

    private readonly InMemoryJournal _journal = new();
    private readonly PersistenceServices _persistence;
    private readonly ListLogger _log = new();
    private long _clusterSeq;

    public EventDeliveryStartTests()
    {
        _persistence = new PersistenceServices(_journal, new InMemorySnapshotStore(), new JsonEventSerializer(HavenManifests.CreateRegistry()));
    }

    private static readonly IClusterEvent[] Up = [new NodeJoined(Self, "h1"), new NodeUp(Self), new NodeJoined(Other, "h2"), new NodeUp(Other)];

    private static IClusterEvent[] Round(int n) =>
    [
        new RecoveryStarted(Other),
        new IpTaken("eth0", $"10.0.0.{n}", 24, Self),
        new IpTaken("eth0", $"10.0.1.{n}", 24, Other),
        new IpReallocated(),
        new RecoveryCompleted(),
    ];

    private static string[] LinesOf(int round) => ["startrecovery", $"takeip eth0 10.0.0.{round} 24", "ipreallocated", "recovered"];

    /// <summary>Journals events as the ClusterActor does ("cluster" stream), then publishes the wake-ups.</summary>
    private void Journal(params IClusterEvent[] events)
    {
        var entries = events.Select(e =>
        {
            var (manifest, payload) = _persistence.Serializer.Serialize(e);
            return new JournalEntry("cluster", ++_clusterSeq, manifest, payload, Clock.GetUtcNow(), []);
        }).ToList();
        _journal.WriteAsync(entries).GetAwaiter().GetResult();
        foreach (var (entry, e) in entries.Zip(events))
            Sys.EventStream.Publish(new ClusterEventApplied(entry.SequenceNr, ClusterState.Empty, e));
    }

    private long? Ensure() => AwaitResult(EventDeliveryStart.EnsureCheckpointAsync(_persistence, Clock, _log));

    private IActorRef Start(IEventScriptRunner runner, string name) =>
        ActorOf(EventDeliveryActor.Props(new EventDeliveryOptions(Self, runner) { ReadBatch = 3 }, _persistence), name);

    private DeliveryStatus Status(IActorRef actor) => AwaitResult(actor.Ask<DeliveryStatus>(GetDeliveryStatus.Instance, TimeSpan.FromSeconds(1)));

    private void WaitFor(Func<bool> condition, string what) =>
        Assert.True(Driver.WaitUntil(Sys, condition, TimeSpan.FromSeconds(5)), $"timed out waiting for {what}");

    private List<long> Checkpoints() => AwaitResult(ReadCheckpointsAsync());

    private async Task<List<long>> ReadCheckpointsAsync()
    {
        var all = new List<long>();
        await foreach (var entry in _journal.ReadAsync(EventDeliveryActor.CheckpointPersistenceId, 0, long.MaxValue))
            all.Add(((ScriptEventsDelivered)_persistence.Serializer.Deserialize(entry)).ClusterSequenceNr);
        return all;
    }

    private void Stop(IActorRef actor)
    {
        Sys.Stop(actor);
        RunUntilIdle();
    }

    [Fact]
    public void EnsureCheckpoint_NoCheckpointOverHistory_JournalsItAtTheHighestAtOnceAndSaysSo()
    {
        Journal([.. Up, .. Round(1)]);

        var startAfter = Ensure();

        Assert.Equal(9, startAfter);
        Assert.Equal([9L], Checkpoints()); // journaled before any delivery actor ran
        Assert.Contains("Event delivery starts after cluster event #9: 9 earlier events predate event delivery on this host and are not replayed", _log.Lines);
    }

    [Fact]
    public void Deliver_FirstStartOverHistory_OldEventsNotRunTheNewOnesAre()
    {
        Journal([.. Up, .. Round(1)]);
        Ensure();
        var runner = new RecordingRunner();
        var actor = Start(runner, "delivery");
        WaitFor(() => Status(actor).StartupRan, "startup");

        Journal([.. Round(2), new IpReleased("eth0", "10.0.0.1", 24, Self)]);
        WaitFor(() => Status(actor).Checkpoint == _clusterSeq, "the checkpoint at the last record");

        // The history is not replayed, but it is read: the release of round 1's address is known to be this host's.
        Assert.Equal(["init", "setup", "startup", .. LinesOf(2), "releaseip eth0 10.0.0.1 24"], runner.Lines);
    }

    [Fact]
    public void Deliver_FirstStartOnAnEmptyJournal_EverythingRuns()
    {
        Assert.Equal(0, Ensure());
        Assert.Equal([0L], Checkpoints());
        Assert.Contains("Event delivery starts with the first cluster event (the journal holds none yet)", _log.Lines);
        var runner = new RecordingRunner();
        var actor = Start(runner, "delivery");
        WaitFor(() => Status(actor).StartupRan, "startup");

        Journal([.. Up, .. Round(1)]);
        WaitFor(() => Status(actor).Checkpoint == _clusterSeq, "the checkpoint at the last record");

        Assert.Equal(["init", "setup", "startup", .. LinesOf(1)], runner.Lines);
    }

    [Fact]
    public void Restart_FirstRunCrashedBeforeDelivering_ItsEventsRunAfterTheRestart()
    {
        Ensure(); // the first start, on an empty journal
        Journal([.. Up, .. Round(1)]); // journaled by the ClusterActor; the host crashed before any was delivered

        Assert.Null(Ensure()); // the restart: the checkpoint exists, nothing is re-seeded
        var runner = new RecordingRunner();
        var actor = Start(runner, "delivery");
        WaitFor(() => Status(actor).StartupRan, "startup");

        Assert.Equal(["init", "setup", .. LinesOf(1), "startup"], runner.Lines);
        var checkpoints = Checkpoints();
        Assert.Equal(0, checkpoints[0]); // the seeded one stays first: the restart did not move it past the crashed run
        Assert.Equal(_clusterSeq, checkpoints[^1]);
    }

    [Fact]
    public void Restart_WithACheckpoint_UnchangedAndWhatTheCrashLeftUndeliveredRuns()
    {
        Journal([.. Up, .. Round(1)]);
        Ensure();
        var first = new RecordingRunner();
        var actor = Start(first, "delivery-1");
        Journal([.. Round(2)]);
        WaitFor(() => Status(actor).Checkpoint == _clusterSeq, "round 2 delivered");
        Stop(actor);
        Journal([.. Round(3)]); // journaled just before the crash, never delivered

        Assert.Null(Ensure());
        var second = new RecordingRunner();
        var restarted = Start(second, "delivery-2");
        WaitFor(() => Status(restarted).StartupRan, "startup after the restart");

        Assert.Equal(["init", "setup", .. LinesOf(3), "startup"], second.Lines);
        Assert.Equal(_clusterSeq, Status(restarted).Checkpoint);
    }

    /// <summary>Keeps the formatted Information lines.</summary>
    private sealed class ListLogger : ILogger
    {
        private readonly List<string> _lines = [];

        public IReadOnlyList<string> Lines
        {
            get { lock (_lines) return [.. _lines]; }
        }

        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            lock (_lines) _lines.Add(formatter(state, exception));
        }
    }
}
