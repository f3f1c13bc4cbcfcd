using Haven.Actors.Cluster;
using Haven.Actors.Events;
using Haven.Actors.Membership;
using Haven.Actors.Persistence;
using Haven.Actors.Runtime;
using Haven.TestKit;

namespace Haven.Actors.Tests.Events;

/// <summary>
/// An EventDeliveryActor over an in-memory journal: a "cluster" stream journaled as the ClusterActor does,
/// two nodes brought up, CTDB recovery rounds, and the actor's status.
/// </summary>
public abstract class EventDeliveryTestKit : HavenTestKit
{
    private protected static readonly NodeId Self = new(1);
    private protected static readonly NodeId Other = new(2);

    private protected static readonly IClusterEvent[] Up = [new NodeJoined(Self, "h1"), new NodeUp(Self), new NodeJoined(Other, "h2"), new NodeUp(Other)];

    /// <summary>The highest sequence nr of the "cluster" stream journaled so far.</summary>
    private protected long ClusterSeq { get; private set; }

    private protected EventDeliveryTestKit()
    {
        Persistence = new PersistenceServices(Journal, new InMemorySnapshotStore(), new JsonEventSerializer(HavenManifests.CreateRegistry()));
    }

    private protected InMemoryJournal Journal { get; } = new();

    private protected PersistenceServices Persistence { get; }

    /// <summary>One recovery in which each node takes an address (this host's: 10.0.0.N).</summary>
    private protected static IClusterEvent[] Round(int n) =>
    [
        new RecoveryStarted(Other),
        new IpTaken("eth0", $"10.0.0.{n}", 24, Self),
        new IpTaken("eth0", $"10.0.1.{n}", 24, Other),
        new IpReallocated(),
        new RecoveryCompleted(),
    ];

    /// <summary>Journals events as the ClusterActor does ("cluster" stream), then publishes the wake-ups of the cluster events.</summary>
    private protected void JournalCluster(params object[] events)
    {
        var entries = events.Select(e =>
        {
            var (manifest, payload) = Persistence.Serializer.Serialize(e);
            return new JournalEntry("cluster", ++ClusterSeq, manifest, payload, Clock.GetUtcNow(), []);
        }).ToList();
        Journal.WriteAsync(entries).GetAwaiter().GetResult();
        foreach (var (entry, e) in entries.Zip(events))
            if (e is IClusterEvent applied) Sys.EventStream.Publish(new ClusterEventApplied(entry.SequenceNr, ClusterState.Empty, applied));
    }

    private protected IActorRef Start(IEventScriptRunner runner, string name = "delivery") =>
        ActorOf(EventDeliveryActor.Props(new EventDeliveryOptions(Self, runner) { ReadBatch = 3 }, Persistence), name);

    private protected DeliveryStatus Status(IActorRef actor) =>
        AwaitResult(actor.Ask<DeliveryStatus>(GetDeliveryStatus.Instance, TimeSpan.FromSeconds(1)));

    private protected void WaitFor(Func<bool> condition, string what) =>
        Assert.True(Driver.WaitUntil(Sys, condition, TimeSpan.FromSeconds(5)), $"timed out waiting for {what}");
}
