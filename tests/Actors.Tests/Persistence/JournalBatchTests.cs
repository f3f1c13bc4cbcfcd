using Haven.Actors.Persistence;

namespace Haven.Actors.Tests.Persistence;

public sealed class JournalBatchTests
{
    private static JournalEntry E(string pid, long seq) => new(pid, seq, "m.v1", [1], DateTimeOffset.UnixEpoch, []);

    [Fact]
    public void Plan_InterleavedIds_ReturnsOneRangePerIdInFirstSeenOrder()
    {
        var ranges = JournalBatch.Plan([E("b", 4), E("a", 1), E("b", 5), E("a", 2), E("b", 6)]);
        Assert.Equal([new JournalBatchRange("b", 4, 6), new JournalBatchRange("a", 1, 2)], ranges);
    }

    [Fact]
    public void Plan_NonConsecutiveWithinId_IsRejectedNamingEntry()
    {
        var ex = Assert.Throws<JournalRejectedException>(() => JournalBatch.Plan([E("a", 1), E("b", 1), E("a", 3)]));
        Assert.Contains("batch entry 2 of 'a'", ex.Message);
        Assert.Contains("expected 2", ex.Message);
        Assert.Throws<JournalRejectedException>(() => JournalBatch.Plan([E("a", 2), E("a", 1)]));
    }

    [Fact]
    public void Plan_MalformedEntries_AreRejected()
    {
        Assert.Throws<JournalRejectedException>(() => JournalBatch.Plan([E("a", 0)]));
        Assert.Throws<JournalRejectedException>(() => JournalBatch.Plan([E("", 1)]));
        Assert.Throws<JournalRejectedException>(() => JournalBatch.Plan([E("a", 1) with { Manifest = "" }]));
        Assert.Throws<JournalRejectedException>(() => JournalBatch.Plan([E("a", 1) with { Payload = null! }]));
        Assert.Throws<JournalRejectedException>(() => JournalBatch.Plan([E("a", 1) with { Tags = null! }]));
        Assert.Throws<JournalRejectedException>(() => JournalBatch.Plan([null!]));
    }

    [Fact]
    public void CheckContinues_GapOrDuplicate_IsRejectedWithKind()
    {
        JournalBatch.CheckContinues(new JournalBatchRange("a", 6, 9), 5);
        Assert.Contains("sequence gap: expected 6, got 7",
            Assert.Throws<JournalRejectedException>(() => JournalBatch.CheckContinues(new JournalBatchRange("a", 7, 7), 5)).Message);
        Assert.Contains("duplicate",
            Assert.Throws<JournalRejectedException>(() => JournalBatch.CheckContinues(new JournalBatchRange("a", 5, 5), 5)).Message);
    }
}
