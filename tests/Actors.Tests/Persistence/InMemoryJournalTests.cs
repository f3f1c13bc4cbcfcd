using Haven.Actors.Persistence;

namespace Haven.Actors.Tests.Persistence;

/// <summary>In-memory specifics; the shared contract runs in Adapters.Tests/Persistence.</summary>
public sealed class InMemoryJournalTests
{
    [Fact]
    public async Task WriteAsync_CallerMutatesPayloadAfterwards_StoredCopyUnchanged()
    {
        var journal = new InMemoryJournal();
        byte[] payload = [1, 2, 3];
        await journal.WriteAsync([new JournalEntry("a", 1, "m.v1", payload, DateTimeOffset.UnixEpoch, [])]);
        payload[0] = 99;
        await foreach (var e in journal.ReadAsync("a", 1, 1))
            Assert.Equal(new byte[] { 1, 2, 3 }, e.Payload);
    }

    [Fact]
    public async Task SaveAsync_CallerMutatesPayloadAfterwards_StoredSnapshotUnchanged()
    {
        var store = new InMemorySnapshotStore();
        byte[] payload = [1, 2];
        await store.SaveAsync(new SnapshotEntry(new SnapshotMetadata("a", 1, DateTimeOffset.UnixEpoch), "s.v1", payload));
        payload[0] = 9;
        Assert.Equal(new byte[] { 1, 2 }, (await store.LoadLatestAsync("a"))!.Payload);
    }
}
