using Haven.Actors.Persistence;
using Haven.Actors.Runtime;
using Haven.TestKit;

namespace Haven.Actors.Tests.Persistence;

public class PersistentActorTests : HavenTestKit
{
    private readonly InMemoryJournal _journal = new();
    private readonly InMemorySnapshotStore _snapshots = new();
    private readonly JsonEventSerializer _serializer = new(new EventManifestRegistry()
        .Register<Added>("test.added.v1")
        .Register<CounterSnapshot>("test.counter-snapshot.v1"));

    private PersistenceServices Services(IJournal? journal = null) => new(journal ?? _journal, _snapshots, _serializer);

    private IActorRef Counter(string id = "c1", IJournal? journal = null, Action<Exception>? recoveryFailed = null) =>
        ActorOf(Props.Create(() => new CounterActor(id, Services(journal), recoveryFailed)));

    [Fact]
    public void Persist_ThenNewIncarnation_RecoversState()
    {
        var probe = CreateTestProbe();
        var counter = Counter();
        foreach (var n in new[] { 1, 2, 3 }) probe.Send(counter, new Add(n));
        Assert.Equal(6, probe.ReceiveN(3).Cast<Total>().Last().Value);
        Sys.Stop(counter);
        probe.Watch(counter);
        probe.ExpectTerminated(counter);

        var again = Counter();
        probe.Send(again, Get.Instance);
        var state = probe.ExpectMsg<State>();
        Assert.Equal(6, state.Total);
        Assert.Equal(3, state.LastSequenceNr);
        Assert.Equal(3, state.EventsReplayed);
    }

    [Fact]
    public void Persist_ReplyGoesToCommandSender_WithSequenceNumbers()
    {
        var probe = CreateTestProbe();
        var counter = Counter();
        probe.Send(counter, new Add(5));
        Assert.Equal(new Total(5, 1), probe.ExpectMsg<Total>());
        Assert.Equal(counter, probe.LastSender);
        var stored = Stored("c1").Single();
        Assert.Equal("test.added.v1", stored.Manifest);
        Assert.Equal(1, stored.SequenceNr);
    }

    [Fact]
    public void CommandsArrivingDuringAWrite_WaitForIt()
    {
        var gated = new GatedJournal(_journal);
        var probe = CreateTestProbe();
        var counter = Counter(journal: gated);
        probe.Send(counter, new Add(1));
        probe.Send(counter, Get.Instance);
        probe.ExpectNoMsg(TimeSpan.FromSeconds(1)); // the write is held: Get waits behind it
        gated.Release();
        Assert.Equal(1, probe.ExpectMsg<Total>().Value);
        Assert.Equal(1, probe.ExpectMsg<State>().Total);
    }

    [Fact]
    public async Task CommandsSentBeforeRecoveryFinished_SeeTheRecoveredState()
    {
        await _journal.WriteAsync([Entry("c1", 1, new Added(10)), Entry("c1", 2, new Added(20))]);
        var probe = CreateTestProbe();
        var counter = Counter();
        probe.Send(counter, Get.Instance); // sent before the actor ran at all
        Assert.Equal(30, probe.ExpectMsg<State>().Total);
    }

    [Fact]
    public void PersistAll_StoresAtomicallyAndRunsHandlerPerEventInOrder()
    {
        var probe = CreateTestProbe();
        var counter = Counter();
        probe.Send(counter, new AddMany([1, 2, 3]));
        var totals = probe.ReceiveN(3).Cast<Total>().ToList();
        Assert.Equal([1L, 3L, 6L], totals.Select(t => t.Value));
        Assert.Equal([1L, 2L, 3L], totals.Select(t => t.SequenceNr));
    }

    [Fact]
    public void PersistFromAContinuation_IsNumberedAfterTheWholeBatch()
    {
        var probe = CreateTestProbe();
        var counter = Counter();
        probe.Send(counter, new AddThenDouble(2));
        var totals = probe.ReceiveN(2).Cast<Total>().ToList();
        Assert.Equal([3L, 4L], totals.Select(t => t.SequenceNr));
        Assert.Equal([1L, 2L, 3L, 4L], Stored("c1").Select(e => e.SequenceNr));
    }

    [Fact]
    public void Snapshot_RecoveryStartsFromItAndReplaysOnlyLaterEvents()
    {
        var probe = CreateTestProbe();
        var counter = Counter();
        probe.Send(counter, new Add(1));
        probe.Send(counter, new Add(2));
        probe.ReceiveN(2);
        probe.Send(counter, TakeSnapshot.Instance);
        Assert.Equal(2, probe.ExpectMsg<SaveSnapshotSuccess>().Metadata.SequenceNr);
        probe.Send(counter, new Add(3));
        probe.ExpectMsg<Total>();
        Sys.Stop(counter);

        var again = Counter();
        probe.Send(again, Get.Instance);
        var state = probe.ExpectMsg<State>();
        Assert.Equal(6, state.Total);
        Assert.Equal(2, state.SnapshotSequenceNr);
        Assert.Equal(1, state.EventsReplayed);
    }

    [Fact]
    public void DeleteMessages_AfterSnapshot_SequenceNumbersAreNeverReused()
    {
        var probe = CreateTestProbe();
        var counter = Counter();
        probe.Send(counter, new AddMany([1, 2, 3]));
        probe.ReceiveN(3);
        probe.Send(counter, TakeSnapshot.Instance);
        probe.ExpectMsg<SaveSnapshotSuccess>();
        probe.Send(counter, new DeleteUpTo(3));
        Assert.Equal(3, probe.ExpectMsg<DeleteMessagesSuccess>().ToSequenceNr);
        Assert.Empty(Stored("c1"));
        Sys.Stop(counter);

        var again = Counter();
        probe.Send(again, new Add(4));
        Assert.Equal(new Total(10, 4), probe.ExpectMsg<Total>());
    }

    [Fact]
    public void PersistFailure_StopsTheActor()
    {
        var probe = CreateTestProbe();
        var counter = Counter(journal: new BrokenJournal(_journal, new IOException("disk on fire")));
        probe.Watch(counter);
        probe.Send(counter, new Add(1));
        probe.ExpectTerminated(counter);
        probe.ExpectNoMsg(TimeSpan.FromMilliseconds(100)); // no Total: the handler never ran
    }

    [Fact]
    public void PersistRejectedByJournal_ActorGoesOnWithoutAGap()
    {
        var journal = new BrokenJournal(_journal, new JournalRejectedException("refused for the test")) { FailuresLeft = 1 };
        var probe = CreateTestProbe();
        var counter = Counter(journal: journal);
        probe.Send(counter, new Add(1));
        Assert.IsType<JournalRejectedException>(probe.ExpectMsg<Rejected>().Cause);
        probe.Send(counter, new Add(2));
        Assert.Equal(new Total(2, 1), probe.ExpectMsg<Total>());
    }

    [Fact]
    public void PersistOfUnregisteredEvent_IsRejectedAndActorGoesOn()
    {
        var probe = CreateTestProbe();
        var counter = Counter();
        probe.Send(counter, PersistUnregistered.Instance);
        Assert.Contains(nameof(Unregistered), probe.ExpectMsg<Rejected>().Cause.Message);
        probe.Send(counter, new Add(7));
        Assert.Equal(new Total(7, 1), probe.ExpectMsg<Total>());
    }

    [Fact]
    public async Task RecoveryOfUnknownManifest_FailsLoudlyNamingIdAndSequenceNumber()
    {
        await _journal.WriteAsync([Entry("c1", 1, new Added(1)),
            new JournalEntry("c1", 2, "test.gone.v1", "{}"u8.ToArray(), DateTimeOffset.UnixEpoch, [])]);
        Exception? failure = null;
        var probe = CreateTestProbe();
        var counter = Counter(recoveryFailed: e => failure = e);
        probe.Watch(counter);
        probe.Send(counter, Get.Instance);
        probe.ExpectTerminated(counter);
        var recovery = Assert.IsType<RecoveryFailedException>(failure);
        Assert.Equal("c1", recovery.PersistenceId);
        Assert.Equal(2, recovery.SequenceNr);
        Assert.Contains("test.gone.v1", recovery.Message);
    }

    [Fact]
    public async Task RecoveryOfCorruptPayload_FailsLoudly()
    {
        await _journal.WriteAsync([new JournalEntry("c1", 1, "test.added.v1", "{not json"u8.ToArray(), DateTimeOffset.UnixEpoch, [])]);
        Exception? failure = null;
        var probe = CreateTestProbe();
        var counter = Counter(recoveryFailed: e => failure = e);
        probe.Watch(counter);
        probe.ExpectTerminated(counter);
        Assert.Equal(1, Assert.IsType<RecoveryFailedException>(failure).SequenceNr);
    }

    private List<JournalEntry> Stored(string id)
    {
        var read = _journal.ReadAsync(id, 1, long.MaxValue).ToListAsync().AsTask();
        Assert.True(read.IsCompleted, "the in-memory journal answers synchronously");
        return read.Result;
    }

    private JournalEntry Entry(string id, long seq, object e)
    {
        var (manifest, payload) = _serializer.Serialize(e);
        return new JournalEntry(id, seq, manifest, payload, DateTimeOffset.UnixEpoch, []);
    }
}
