using Haven.Actors.Cluster;
using Haven.Actors.Events;
using Haven.Actors.Membership;
using Haven.Actors.Persistence;
using Haven.Actors.Runtime;
using Haven.TestKit;

namespace Haven.Actors.Tests.Events;

public sealed class EventDeliveryActorTests : HavenTestKit
{
    private static readonly NodeId Self = new(1);
    private static readonly NodeId Other = new(2);

    private readonly InMemoryJournal _journal = new();
    private readonly PersistenceServices _persistence;
    private long _clusterSeq;

    public EventDeliveryActorTests()
    {
        var serializer = new JsonEventSerializer(EventManifests.Register(HavenManifests.CreateRegistry()));
        _persistence = new PersistenceServices(_journal, new InMemorySnapshotStore(), serializer);
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

    private static readonly string[] LinesOfRound1 = ["startrecovery", "takeip eth0 10.0.0.1 24", "ipreallocated", "recovered"];

    /// <summary>Journals events as the ClusterActor does ("cluster" stream), then publishes the wake-ups.</summary>
    private void Journal(params object[] events)
    {
        var entries = events.Select(e =>
        {
            var (manifest, payload) = _persistence.Serializer.Serialize(e);
            return new JournalEntry("cluster", ++_clusterSeq, manifest, payload, Clock.GetUtcNow(), []);
        }).ToList();
        _journal.WriteAsync(entries).GetAwaiter().GetResult();
        foreach (var (entry, e) in entries.Zip(events))
            if (e is IClusterEvent applied) Sys.EventStream.Publish(new ClusterEventApplied(entry.SequenceNr, ClusterState.Empty, applied));
    }

    private IActorRef Start(IEventScriptRunner runner, string name = "delivery") =>
        ActorOf(EventDeliveryActor.Props(new EventDeliveryOptions(Self, runner) { ReadBatch = 3 }, _persistence), name);

    private DeliveryStatus Status(IActorRef actor) => AwaitResult(actor.Ask<DeliveryStatus>(GetDeliveryStatus.Instance, TimeSpan.FromSeconds(1)));

    private void WaitFor(Func<bool> condition, string what) =>
        Assert.True(Driver.WaitUntil(Sys, condition, TimeSpan.FromSeconds(5)), $"timed out waiting for {what}");

    [Fact]
    public void Start_EmptyStream_RunsInitSetupThenStartup()
    {
        var runner = new RecordingRunner();
        var actor = Start(runner);

        WaitFor(() => runner.Lines.Count == 3, "init, setup, startup");

        Assert.Equal(["init", "setup", "startup"], runner.Lines);
        Assert.True(Status(actor).StartupRan);
    }

    [Fact]
    public void Deliver_JournaledBeforeAndAfterStart_ThisHostsEventsInStreamOrderWithArguments()
    {
        Journal([.. Up, .. Round(1)]);
        var runner = new RecordingRunner();
        var actor = Start(runner);
        WaitFor(() => Status(actor).StartupRan, "startup");

        Journal([.. Round(2)]);
        WaitFor(() => runner.Lines.Count == 11, "the live round");

        Assert.Equal(["init", "setup", .. LinesOfRound1, "startup",
            "startrecovery", "takeip eth0 10.0.0.2 24", "ipreallocated", "recovered"], runner.Lines);
        WaitFor(() => Status(actor).Checkpoint == _clusterSeq, "the checkpoint at the last record");
    }

    [Fact]
    public void Deliver_FailingScript_IsRecordedAndDeliveryGoesOn()
    {
        Journal([.. Up, .. Round(1)]);
        var history = new EventScriptHistory();
        using var runner = new SerializedEventScriptRunner(new RecordingRunner { Fails = e => e is ScriptEvent.TakeIp }, history, Clock);
        var actor = Start(runner);
        WaitFor(() => Status(actor).StartupRan, "startup");

        Assert.Equal(_clusterSeq, Status(actor).Checkpoint);
        var last = history.Last["10.test"];
        Assert.Equal("startup", last.Event);
        Journal(new RecoveryStarted(Other), new IpTaken("eth0", "10.0.0.9", 24, Self));
        WaitFor(() => history.Last["10.test"].Event == "takeip", "the failing takeip");
        Assert.Equal(1, history.Last["10.test"].ExitCode);
        WaitFor(() => Status(actor).Checkpoint == _clusterSeq, "the checkpoint past the failed run");
    }

    [Fact]
    public void Deliver_MoveBetweenInterfacesAcrossReadBatches_OneUpdateIp()
    {
        // With batches of 3 the release (#6) and the take (#7) straddle the batches #4..#6 and #7..#9: the run is read whole.
        Journal([.. Up, new IpTaken("eth0", "10.0.0.5", 24, Self),
            new IpReleased("eth0", "10.0.0.5", 24, Self), new IpTaken("eth1", "10.0.0.5", 24, Self), new RecoveryStarted(Other)]);
        var runner = new RecordingRunner();
        var actor = Start(runner);
        WaitFor(() => Status(actor).StartupRan, "startup");

        Assert.Equal(["init", "setup", "takeip eth0 10.0.0.5 24", "updateip eth0 eth1 10.0.0.5 24", "startrecovery", "startup"], runner.Lines);
    }

    [Fact]
    public void Restart_InTheMiddleOfARun_RedeliversFromTheCheckpointAndSkipsNothing()
    {
        Journal([.. Up, .. Round(1), .. Round(2), .. Round(3)]);
        var first = new RecordingRunner { Holds = e => e is ScriptEvent.TakeIp { Ip: "10.0.0.2" } };
        var actor = Start(first, "delivery-1");
        WaitFor(() => first.Holding is not null, "the run of round 2's takeip");
        Sys.Stop(actor);
        RunUntilIdle();

        var second = new RecordingRunner();
        var restarted = Start(second, "delivery-2");
        WaitFor(() => Status(restarted).StartupRan, "startup after the restart");

        Assert.Equal(["init", "setup", .. LinesOfRound1, "startrecovery", "takeip eth0 10.0.0.2 24"], first.Lines);
        // Round 2's startrecovery finished before the stop: its checkpoint holds. The takeip in flight runs again.
        Assert.Equal(["init", "setup", "takeip eth0 10.0.0.2 24", "ipreallocated", "recovered",
            "startrecovery", "takeip eth0 10.0.0.3 24", "ipreallocated", "recovered", "startup"], second.Lines);
        Assert.Equal(_clusterSeq, Status(restarted).Checkpoint);
    }

    [Fact]
    public void Restart_AfterEverythingRan_DeliversNothingTwice()
    {
        Journal([.. Up, .. Round(1)]);
        var first = new RecordingRunner();
        var actor = Start(first, "delivery-1");
        WaitFor(() => Status(actor).Checkpoint == _clusterSeq, "the checkpoint");
        Sys.Stop(actor);
        RunUntilIdle();

        var second = new RecordingRunner();
        var restarted = Start(second, "delivery-2");
        WaitFor(() => Status(restarted).StartupRan, "startup");

        Assert.Equal(["init", "setup", "startup"], second.Lines);
    }

    [Fact]
    public void Shutdown_RunsTheShutdownEventAndDeliversNothingAfterIt()
    {
        var runner = new RecordingRunner();
        var actor = Start(runner);
        WaitFor(() => Status(actor).StartupRan, "startup");

        var ran = AwaitResult(actor.Ask<ShutdownEventRan>(RunShutdownEvent.Instance, TimeSpan.FromSeconds(1)));
        Journal([.. Up, .. Round(1)]);
        RunUntilIdle();

        Assert.True(ran.Result.Succeeded);
        Assert.Equal(["init", "setup", "startup", "shutdown"], runner.Lines);
    }

    [Fact]
    public void Compaction_ManyCheckpoints_OlderOnesDeletedAndTheLastKept()
    {
        var runner = new RecordingRunner();
        var actor = ActorOf(EventDeliveryActor.Props(new EventDeliveryOptions(Self, runner) { CompactEvery = 2 }, _persistence));
        Journal([.. Up, .. Round(1), .. Round(2), .. Round(3)]);
        WaitFor(() => Status(actor).Checkpoint == _clusterSeq, "the checkpoint");

        var kept = AwaitResult(CountAsync("event-delivery"));
        Assert.InRange(kept, 1, 2);
    }

    private async Task<int> CountAsync(string persistenceId)
    {
        var n = 0;
        await foreach (var _ in _journal.ReadAsync(persistenceId, 0, long.MaxValue)) n++;
        return n;
    }
}
