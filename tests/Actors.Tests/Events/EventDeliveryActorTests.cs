using Haven.Actors.Cluster;
using Haven.Actors.Events;
using Haven.Actors.Membership;
using Haven.Actors.Persistence;
using Haven.Actors.Runtime;
using Haven.TestKit;

namespace Haven.Actors.Tests.Events;

public sealed class EventDeliveryActorTests : EventDeliveryTestKit
{
    private static readonly string[] LinesOfRound1 = ["startrecovery", "takeip eth0 10.0.0.1 24", "ipreallocated", "recovered"];

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
        JournalCluster([.. Up, .. Round(1)]);
        var runner = new RecordingRunner();
        var actor = Start(runner);
        WaitFor(() => Status(actor).StartupRan, "startup");

        JournalCluster([.. Round(2)]);
        WaitFor(() => runner.Lines.Count == 11, "the live round");

        Assert.Equal(["init", "setup", .. LinesOfRound1, "startup",
            "startrecovery", "takeip eth0 10.0.0.2 24", "ipreallocated", "recovered"], runner.Lines);
        WaitFor(() => Status(actor).Checkpoint == ClusterSeq, "the checkpoint at the last record");
    }

    [Fact]
    public void Deliver_FailingScript_IsRecordedAndDeliveryGoesOn()
    {
        JournalCluster([.. Up, .. Round(1)]);
        var history = new EventScriptHistory();
        using var runner = new SerializedEventScriptRunner(new RecordingRunner { Fails = e => e is ScriptEvent.TakeIp }, history, Clock);
        var actor = Start(runner);
        WaitFor(() => Status(actor).StartupRan, "startup");

        Assert.Equal(ClusterSeq, Status(actor).Checkpoint);
        var last = history.Last["10.test"];
        Assert.Equal("startup", last.Event);
        JournalCluster(new RecoveryStarted(Other), new IpTaken("eth0", "10.0.0.9", 24, Self));
        WaitFor(() => history.Last["10.test"].Event == "takeip", "the failing takeip");
        Assert.Equal(1, history.Last["10.test"].ExitCode);
        WaitFor(() => Status(actor).Checkpoint == ClusterSeq, "the checkpoint past the failed run");
    }

    [Fact]
    public void Deliver_MoveBetweenInterfacesAcrossReadBatches_OneUpdateIp()
    {
        // With batches of 3 the release (#6) and the take (#7) straddle the batches #4..#6 and #7..#9: the run is read whole.
        JournalCluster([.. Up, new IpTaken("eth0", "10.0.0.5", 24, Self),
            new IpReleased("eth0", "10.0.0.5", 24, Self), new IpTaken("eth1", "10.0.0.5", 24, Self), new RecoveryStarted(Other)]);
        var runner = new RecordingRunner();
        var actor = Start(runner);
        WaitFor(() => Status(actor).StartupRan, "startup");

        Assert.Equal(["init", "setup", "takeip eth0 10.0.0.5 24", "updateip eth0 eth1 10.0.0.5 24", "startrecovery", "startup"], runner.Lines);
    }

    [Fact]
    public void Restart_InTheMiddleOfARun_RedeliversFromTheCheckpointAndSkipsNothing()
    {
        JournalCluster([.. Up, .. Round(1), .. Round(2), .. Round(3)]);
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
        Assert.Equal(ClusterSeq, Status(restarted).Checkpoint);
    }

    [Fact]
    public void Restart_AfterEverythingRan_DeliversNothingTwice()
    {
        JournalCluster([.. Up, .. Round(1)]);
        var first = new RecordingRunner();
        var actor = Start(first, "delivery-1");
        WaitFor(() => Status(actor).Checkpoint == ClusterSeq, "the checkpoint");
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
        JournalCluster([.. Up, .. Round(1)]);
        RunUntilIdle();

        Assert.True(ran.Result.Succeeded);
        Assert.Equal(["init", "setup", "startup", "shutdown"], runner.Lines);
    }

    [Fact]
    public void Compaction_ManyCheckpoints_OlderOnesDeletedAndTheLastKept()
    {
        var runner = new RecordingRunner();
        var actor = ActorOf(EventDeliveryActor.Props(new EventDeliveryOptions(Self, runner) { CompactEvery = 2 }, Persistence));
        JournalCluster([.. Up, .. Round(1), .. Round(2), .. Round(3)]);
        WaitFor(() => Status(actor).Checkpoint == ClusterSeq, "the checkpoint");

        var kept = AwaitResult(CountAsync("event-delivery"));
        Assert.InRange(kept, 1, 2);
    }

    private async Task<int> CountAsync(string persistenceId)
    {
        var n = 0;
        await foreach (var _ in Journal.ReadAsync(persistenceId, 0, long.MaxValue)) n++;
        return n;
    }
}
