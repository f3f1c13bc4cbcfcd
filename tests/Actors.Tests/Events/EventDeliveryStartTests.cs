using Haven.Actors.Cluster;
using Haven.Actors.Events;
using Haven.Actors.Membership;
using Haven.Actors.Persistence;
using Haven.Actors.Runtime;
using Haven.TestKit;
using Microsoft.Extensions.Logging;

namespace Haven.Actors.Tests.Events;

/// <summary>The first start of event delivery over a journal that already has "cluster" history, and the starts after it.</summary>
public sealed class EventDeliveryStartTests : EventDeliveryTestKit
{
    private readonly ListLogger _log = new();

    private static string[] LinesOf(int round) => ["startrecovery", $"takeip eth0 10.0.0.{round} 24", "ipreallocated", "recovered"];

    private long? Ensure() => AwaitResult(EventDeliveryStart.EnsureCheckpointAsync(Persistence, Clock, _log));

    private List<long> Checkpoints() => AwaitResult(ReadCheckpointsAsync());

    private async Task<List<long>> ReadCheckpointsAsync()
    {
        var all = new List<long>();
        await foreach (var entry in Journal.ReadAsync(EventDeliveryActor.CheckpointPersistenceId, 0, long.MaxValue))
            all.Add(((ScriptEventsDelivered)Persistence.Serializer.Deserialize(entry)).ClusterSequenceNr);
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
        JournalCluster([.. Up, .. Round(1)]);

        var startAfter = Ensure();

        Assert.Equal(9, startAfter);
        Assert.Equal([9L], Checkpoints()); // journaled before any delivery actor ran
        Assert.Contains("Event delivery starts after cluster event #9: 9 earlier events predate event delivery on this host and are not replayed", _log.Lines);
    }

    [Fact]
    public void Deliver_FirstStartOverHistory_OldEventsNotRunTheNewOnesAre()
    {
        JournalCluster([.. Up, .. Round(1)]);
        Ensure();
        var runner = new RecordingRunner();
        var actor = Start(runner, "delivery");
        WaitFor(() => Status(actor).StartupRan, "startup");

        JournalCluster([.. Round(2), new IpReleased("eth0", "10.0.0.1", 24, Self)]);
        WaitFor(() => Status(actor).Checkpoint == ClusterSeq, "the checkpoint at the last record");

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

        JournalCluster([.. Up, .. Round(1)]);
        WaitFor(() => Status(actor).Checkpoint == ClusterSeq, "the checkpoint at the last record");

        Assert.Equal(["init", "setup", "startup", .. LinesOf(1)], runner.Lines);
    }

    [Fact]
    public void Restart_FirstRunCrashedBeforeDelivering_ItsEventsRunAfterTheRestart()
    {
        Ensure(); // the first start, on an empty journal
        JournalCluster([.. Up, .. Round(1)]); // journaled by the ClusterActor; the host crashed before any was delivered

        Assert.Null(Ensure()); // the restart: the checkpoint exists, nothing is re-seeded
        var runner = new RecordingRunner();
        var actor = Start(runner, "delivery");
        WaitFor(() => Status(actor).StartupRan, "startup");

        Assert.Equal(["init", "setup", .. LinesOf(1), "startup"], runner.Lines);
        var checkpoints = Checkpoints();
        Assert.Equal(0, checkpoints[0]); // the seeded one stays first: the restart did not move it past the crashed run
        Assert.Equal(ClusterSeq, checkpoints[^1]);
    }

    [Fact]
    public void Restart_WithACheckpoint_UnchangedAndWhatTheCrashLeftUndeliveredRuns()
    {
        JournalCluster([.. Up, .. Round(1)]);
        Ensure();
        var first = new RecordingRunner();
        var actor = Start(first, "delivery-1");
        JournalCluster([.. Round(2)]);
        WaitFor(() => Status(actor).Checkpoint == ClusterSeq, "round 2 delivered");
        Stop(actor);
        JournalCluster([.. Round(3)]); // journaled just before the crash, never delivered

        Assert.Null(Ensure());
        var second = new RecordingRunner();
        var restarted = Start(second, "delivery-2");
        WaitFor(() => Status(restarted).StartupRan, "startup after the restart");

        Assert.Equal(["init", "setup", .. LinesOf(3), "startup"], second.Lines);
        Assert.Equal(ClusterSeq, Status(restarted).Checkpoint);
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
