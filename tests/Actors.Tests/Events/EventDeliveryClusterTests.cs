using Haven.Actors.Cluster;
using Haven.Actors.Events;
using Haven.Actors.Membership;
using Haven.Actors.Persistence;
using Haven.Actors.Runtime;
using Haven.Actors.SplitBrain;
using Haven.TestKit;

namespace Haven.Actors.Tests.Events;

/// <summary>The ClusterActor and the EventDeliveryActor together: a one-host cluster takes its addresses and the scripts see it.</summary>
public sealed class EventDeliveryClusterTests : HavenTestKit
{
    private static readonly Member Self = new(new NodeId(1), "h1");

    [Fact]
    public void OneHostCluster_TakesItsAddresses_ScriptsRunStartRecoveryTakeIpsIpReallocatedRecovered()
    {
        var services = new PersistenceServices(new InMemoryJournal(), new InMemorySnapshotStore(),
            new JsonEventSerializer(HavenManifests.CreateRegistry()));
        var options = new ClusterOptions
        {
            ClusterName = "test",
            Self = Self,
            Nodes = [Self],
            SplitBrain = new SplitBrainSettings { Nodes = [Self.Id], StableAfter = TimeSpan.FromSeconds(1) },
            PublicAddresses = [new PublicAddress("10.0.0.5", 24, "eth0"), new PublicAddress("10.0.1.5", 16, "eth1")],
        };
        var runner = new RecordingRunner();
        ActorOf(EventDeliveryActor.Props(new EventDeliveryOptions(Self.Id, runner), services), "event-delivery");
        ActorOf(ClusterActor.Props(options, new ClusterDependencies(new SingleHostTransport(Self), services, new NoFencer(), new NoAddresses())), "cluster");

        Assert.True(Driver.WaitUntil(Sys, () => runner.Lines.Contains("recovered"), TimeSpan.FromSeconds(30)), string.Join(" | ", runner.Lines));

        var afterStart = runner.Lines.SkipWhile(l => l != "startrecovery").ToList();
        Assert.Equal(["startrecovery", "takeip eth0 10.0.0.5 24", "takeip eth1 10.0.1.5 16", "ipreallocated", "recovered"], afterStart.Where(l => l != "startup"));
        Assert.Equal(["init", "setup"], runner.Lines.Take(2));
    }
}
