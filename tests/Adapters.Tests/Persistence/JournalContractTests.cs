using System.Text;
using Haven.Actors.Persistence;

namespace Haven.Adapters.Tests.Persistence;

/// <summary>
/// The contract every <see cref="IJournal"/> passes (in the spirit of Akka's persistence TCK). A subclass
/// supplies OpenAsync (open, or reopen after a close, the same store).
/// </summary>
public abstract class JournalContractTests : StoreContractBase<IJournal>
{
    protected static readonly DateTimeOffset T0 = new(2026, 3, 4, 5, 6, 7, 890, TimeSpan.Zero);

    protected IJournal Journal => Store;

    protected static JournalEntry Entry(string pid, long seq, string manifest = "test.event.v1", string? payload = null,
        IReadOnlyList<string>? tags = null, DateTimeOffset? timestamp = null) =>
        new(pid, seq, manifest, Encoding.UTF8.GetBytes(payload ?? $"{{\"pid\":\"{pid}\",\"seq\":{seq}}}"),
            timestamp ?? T0.AddSeconds(seq), tags ?? []);

    protected static IReadOnlyList<JournalEntry> Entries(string pid, long from, long to) =>
        Enumerable.Range((int)from, (int)(to - from + 1)).Select(s => Entry(pid, s)).ToList();

    protected async Task<List<JournalEntry>> Read(string pid, long from = 1, long to = long.MaxValue, long max = long.MaxValue)
    {
        var list = new List<JournalEntry>();
        await foreach (var e in Journal.ReadAsync(pid, from, to, max)) list.Add(e);
        return list;
    }

    protected async Task<List<JournalEntry>> ReadAll(long after = 0, long max = long.MaxValue)
    {
        var list = new List<JournalEntry>();
        await foreach (var e in Journal.ReadAllAsync(after, max)) list.Add(e);
        return list;
    }

    private static long[] Seqs(IEnumerable<JournalEntry> entries) => entries.Select(e => e.SequenceNr).ToArray();

    [Fact]
    public async Task Read_WrittenRange_ReturnsEntriesOldestFirst()
    {
        await Journal.WriteAsync(Entries("a", 1, 5));
        Assert.Equal(new long[] { 1L, 2, 3, 4, 5 }, Seqs(await Read("a")));
        Assert.Equal(new long[] { 2L, 3, 4 }, Seqs(await Read("a", 2, 4)));
        Assert.Equal(new long[] { 5L }, Seqs(await Read("a", 5, 99)));
        Assert.Empty(await Read("a", 6, 10));
        Assert.Empty(await Read("a", 4, 3));
        Assert.Empty(await Read("unknown"));
    }

    [Fact]
    public async Task Read_WithMax_ReturnsAtMostMax()
    {
        await Journal.WriteAsync(Entries("a", 1, 5));
        Assert.Equal(new long[] { 2L, 3 }, Seqs(await Read("a", 2, 5, max: 2)));
        Assert.Empty(await Read("a", 1, 5, max: 0));
    }

    [Fact]
    public async Task ReadHighestSequenceNr_AfterWritesAndDelete_StaysAtHighestWritten()
    {
        Assert.Equal(0, await Journal.ReadHighestSequenceNrAsync("a"));
        await Journal.WriteAsync(Entries("a", 1, 3));
        await Journal.WriteAsync(Entries("a", 4, 7));
        Assert.Equal(7, await Journal.ReadHighestSequenceNrAsync("a"));
        await Journal.DeleteToAsync("a", 7);
        Assert.Empty(await Read("a"));
        Assert.Equal(7, await Journal.ReadHighestSequenceNrAsync("a"));
        await Journal.WriteAsync([Entry("a", 8)]);
        Assert.Equal(new long[] { 8L }, Seqs(await Read("a")));
    }

    [Fact]
    public async Task DeleteTo_MiddleOfStream_RemovesOnlyThatPrefixOfThatId()
    {
        await Journal.WriteAsync(Entries("a", 1, 5));
        await Journal.WriteAsync(Entries("b", 1, 2));
        await Journal.DeleteToAsync("a", 3);
        Assert.Equal(new long[] { 4L, 5 }, Seqs(await Read("a")));
        Assert.Equal(new long[] { 1L, 2 }, Seqs(await Read("b")));
        Assert.Equal(4, await Journal.CountAsync());
        Assert.DoesNotContain(await ReadAll(), e => e.PersistenceId == "a" && e.SequenceNr <= 3);
    }

    [Fact]
    public async Task Write_BadEntryInMiddleOfBatch_RejectsWholeBatch()
    {
        await Journal.WriteAsync(Entries("a", 1, 2));
        var batch = new List<JournalEntry> { Entry("a", 3), Entry("b", 1), Entry("a", 5), Entry("c", 1) };
        await Assert.ThrowsAsync<JournalRejectedException>(() => Journal.WriteAsync(batch));
        Assert.Equal(new long[] { 1L, 2 }, Seqs(await Read("a")));
        Assert.Empty(await Read("b"));
        Assert.Empty(await Read("c"));
        Assert.Equal(2, await Journal.ReadHighestSequenceNrAsync("a"));
        Assert.Equal(0, await Journal.ReadHighestSequenceNrAsync("b"));
        Assert.Equal(2, await Journal.CountAsync());
    }

    [Fact]
    public async Task Write_BatchWithSeveralIds_StoresAllAtomically()
    {
        await Journal.WriteAsync([Entry("a", 1), Entry("b", 1), Entry("a", 2), Entry("b", 2)]);
        Assert.Equal(new long[] { 1L, 2 }, Seqs(await Read("a")));
        Assert.Equal(new long[] { 1L, 2 }, Seqs(await Read("b")));
        Assert.Equal(2, await Journal.ReadHighestSequenceNrAsync("b"));
    }

    [Fact]
    public async Task Write_SequenceGap_IsRejectedAndJournalStaysUsable()
    {
        await Journal.WriteAsync(Entries("a", 1, 2));
        var ex = await Assert.ThrowsAsync<JournalRejectedException>(() => Journal.WriteAsync([Entry("a", 4)]));
        Assert.Contains("'a'", ex.Message);
        await Assert.ThrowsAsync<JournalRejectedException>(() => Journal.WriteAsync([Entry("new", 2)]));
        await Journal.WriteAsync([Entry("a", 3)]);
        Assert.Equal(new long[] { 1L, 2, 3 }, Seqs(await Read("a")));
    }

    [Fact]
    public async Task Write_DuplicateSequenceNr_IsRejectedAndJournalStaysUsable()
    {
        await Journal.WriteAsync(Entries("a", 1, 3));
        await Assert.ThrowsAsync<JournalRejectedException>(() => Journal.WriteAsync([Entry("a", 3, payload: "{\"dup\":true}")]));
        await Assert.ThrowsAsync<JournalRejectedException>(() => Journal.WriteAsync([Entry("a", 1)]));
        await Assert.ThrowsAsync<JournalRejectedException>(() => Journal.WriteAsync([Entry("b", 1), Entry("b", 1)]));
        Assert.Equal("{\"pid\":\"a\",\"seq\":3}", Encoding.UTF8.GetString((await Read("a", 3, 3)).Single().Payload));
        await Journal.WriteAsync([Entry("a", 4)]);
        Assert.Equal(4, await Journal.ReadHighestSequenceNrAsync("a"));
        Assert.Equal(4, await Journal.CountAsync());
    }

    [Fact]
    public async Task Write_MalformedEntry_IsRejected()
    {
        await Assert.ThrowsAsync<JournalRejectedException>(() => Journal.WriteAsync([Entry("a", 0)]));
        await Assert.ThrowsAsync<JournalRejectedException>(() => Journal.WriteAsync([Entry("", 1)]));
        await Assert.ThrowsAsync<JournalRejectedException>(() => Journal.WriteAsync([Entry("a", 1, manifest: "")]));
        await Assert.ThrowsAsync<JournalRejectedException>(() => Journal.WriteAsync([Entry("a", 1, tags: [""])]));
        Assert.Equal(0, await Journal.CountAsync());
        await Journal.WriteAsync([]);
        Assert.Equal(0, await Journal.CountAsync());
    }

    [Fact]
    public async Task ReadAll_SeveralIds_ReturnsGlobalWriteOrderWithIncreasingOrdering()
    {
        await Journal.WriteAsync([Entry("b", 1)]);
        await Journal.WriteAsync([Entry("a", 1), Entry("c", 1)]);
        await Journal.WriteAsync([Entry("b", 2), Entry("a", 2)]);
        var all = await ReadAll();
        Assert.Equal(["b1", "a1", "c1", "b2", "a2"], all.Select(e => $"{e.PersistenceId}{e.SequenceNr}"));
        Assert.All(all.Zip(all.Skip(1)), p => Assert.True(p.First.Ordering < p.Second.Ordering));
        Assert.True(all[0].Ordering > 0);
        var rest = await ReadAll(after: all[2].Ordering);
        Assert.Equal(["b2", "a2"], rest.Select(e => $"{e.PersistenceId}{e.SequenceNr}"));
        Assert.Equal(["a1", "c1"], (await ReadAll(all[0].Ordering, max: 2)).Select(e => $"{e.PersistenceId}{e.SequenceNr}"));
        Assert.Empty(await ReadAll(all[4].Ordering));
    }

    [Fact]
    public async Task Count_AfterWritesAndDeletes_CountsStoredEntries()
    {
        Assert.Equal(0, await Journal.CountAsync());
        await Journal.WriteAsync(Entries("a", 1, 10));
        await Journal.WriteAsync(Entries("b", 1, 5));
        Assert.Equal(15, await Journal.CountAsync());
        await Journal.DeleteToAsync("a", 4);
        Assert.Equal(11, await Journal.CountAsync());
    }

    [Fact]
    public async Task Write_ConcurrentWritersToDifferentIds_AllEntriesStored()
    {
        const int writers = 8, batches = 20, perBatch = 5;
        var start = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var tasks = Enumerable.Range(0, writers).Select(w => Task.Run(async () =>
        {
            await start.Task;
            for (var b = 0; b < batches; b++)
                await Journal.WriteAsync(Entries($"w{w}", b * perBatch + 1, (b + 1) * perBatch));
        })).ToArray();
        start.SetResult();
        await Task.WhenAll(tasks).WaitAsync(TimeSpan.FromSeconds(60));
        for (var w = 0; w < writers; w++)
        {
            Assert.Equal(Enumerable.Range(1, batches * perBatch).Select(i => (long)i), Seqs(await Read($"w{w}")));
            Assert.Equal(batches * perBatch, await Journal.ReadHighestSequenceNrAsync($"w{w}"));
        }
        var all = await ReadAll();
        Assert.Equal(writers * batches * perBatch, all.Count);
        Assert.Equal(all.Count, all.Select(e => e.Ordering).Distinct().Count());
    }

    [Fact]
    public async Task Write_ConcurrentWritersToSameId_ExactlyOneWinsEachSequenceNr()
    {
        var start = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var tasks = Enumerable.Range(0, 6).Select(w => Task.Run(async () =>
        {
            await start.Task;
            try { await Journal.WriteAsync([Entry("same", 1, payload: $"{{\"writer\":{w}}}")]); return true; }
            catch (JournalRejectedException) { return false; }
        })).ToArray();
        start.SetResult();
        var won = await Task.WhenAll(tasks).WaitAsync(TimeSpan.FromSeconds(60));
        Assert.Equal(1, won.Count(x => x));
        Assert.Single(await Read("same"));
    }

    [Fact]
    public async Task Read_StoredEntry_RoundTripsManifestPayloadTagsAndTimestamp()
    {
        var at = new DateTimeOffset(2026, 7, 8, 9, 10, 11, 123, TimeSpan.FromHours(2)).AddTicks(4567);
        byte[] payload = [0, 1, 2, 255, 254, 0x7b, 0];
        var written = new JournalEntry("vm/web-1", 1, "vms.vm-started.v2", payload, at, ["vm:web-1", "node:n2", "a;b,\"c\" ü"]);
        await Journal.WriteAsync([written, Entry("vm/web-1", 2)]);
        var read = (await Read("vm/web-1")).ToList();
        Assert.Equal("vm/web-1", read[0].PersistenceId);
        Assert.Equal("vms.vm-started.v2", read[0].Manifest);
        Assert.Equal(payload, read[0].Payload);
        Assert.Equal(at.UtcTicks, read[0].Timestamp.UtcTicks);
        Assert.Equal(written.Tags, read[0].Tags);
        Assert.Empty(read[1].Tags);
        Assert.Equal(T0.AddSeconds(2), read[1].Timestamp);
        Assert.Equal(read.Select(e => e.Ordering), (await ReadAll()).Select(e => e.Ordering));
    }

    [Fact]
    public async Task Reopen_AfterClose_DataAndHighestSequenceNrSurvive()
    {
        await Journal.WriteAsync(Entries("a", 1, 4));
        await Journal.WriteAsync([Entry("b", 1, tags: ["t"])]);
        await Journal.DeleteToAsync("a", 4);
        var before = await ReadAll();
        await ReopenAsync();
        Assert.Equal(4, await Journal.ReadHighestSequenceNrAsync("a"));
        Assert.Equal(1, await Journal.CountAsync());
        var after = await ReadAll();
        Assert.Equal(before.Select(e => (e.PersistenceId, e.SequenceNr, e.Ordering)), after.Select(e => (e.PersistenceId, e.SequenceNr, e.Ordering)));
        Assert.Equal(["t"], after[0].Tags);
        await Assert.ThrowsAsync<JournalRejectedException>(() => Journal.WriteAsync([Entry("a", 4)]));
        await Journal.WriteAsync([Entry("a", 5)]);
        Assert.True((await ReadAll()).Last().Ordering > before.Last().Ordering);
    }
}
