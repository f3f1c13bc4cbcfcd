using System.Text;
using Haven.Actors.Persistence;

namespace Haven.Adapters.Tests.Persistence;

/// <summary>The contract every <see cref="ISnapshotStore"/> passes.</summary>
public abstract class SnapshotStoreContractTests : StoreContractBase<ISnapshotStore>
{
    private static readonly DateTimeOffset T0 = new(2026, 3, 4, 5, 6, 7, 890, TimeSpan.Zero);

    private static SnapshotEntry Snap(string pid, long seq, string state = "s") =>
        new(new SnapshotMetadata(pid, seq, T0.AddTicks(seq * 12345)), "test.state.v1", Encoding.UTF8.GetBytes($"{state}@{seq}"));

    private static string Text(SnapshotEntry? e) => e is null ? "<none>" : Encoding.UTF8.GetString(e.Payload);

    [Fact]
    public async Task LoadLatest_NoSnapshot_ReturnsNull()
    {
        Assert.Null(await Store.LoadLatestAsync("a"));
        await Store.SaveAsync(Snap("b", 5));
        Assert.Null(await Store.LoadLatestAsync("a"));
        Assert.Null(await Store.LoadLatestAsync("b", 4));
    }

    [Fact]
    public async Task LoadLatest_SeveralSnapshots_ReturnsHighestNotAboveMax()
    {
        await Store.SaveAsync(Snap("a", 10));
        await Store.SaveAsync(Snap("a", 30));
        await Store.SaveAsync(Snap("a", 20));
        Assert.Equal("s@30", Text(await Store.LoadLatestAsync("a")));
        Assert.Equal("s@20", Text(await Store.LoadLatestAsync("a", 29)));
        Assert.Equal("s@10", Text(await Store.LoadLatestAsync("a", 10)));
        Assert.Null(await Store.LoadLatestAsync("a", 9));
    }

    [Fact]
    public async Task Save_SameIdAndSequenceNr_ReplacesSnapshot()
    {
        await Store.SaveAsync(Snap("a", 10, "old"));
        await Store.SaveAsync(Snap("a", 10, "new"));
        Assert.Equal("new@10", Text(await Store.LoadLatestAsync("a")));
    }

    [Fact]
    public async Task Load_SavedSnapshot_RoundTripsMetadataManifestAndPayload()
    {
        var at = new DateTimeOffset(2026, 1, 2, 3, 4, 5, 6, TimeSpan.FromHours(-5)).AddTicks(7);
        byte[] payload = [0, 200, 1, 0];
        await Store.SaveAsync(new SnapshotEntry(new SnapshotMetadata("cluster", 10_000, at), "cluster.state.v3", payload));
        var loaded = await Store.LoadLatestAsync("cluster");
        Assert.NotNull(loaded);
        Assert.Equal("cluster", loaded.Metadata.PersistenceId);
        Assert.Equal(10_000, loaded.Metadata.SequenceNr);
        Assert.Equal(at.UtcTicks, loaded.Metadata.Timestamp.UtcTicks);
        Assert.Equal("cluster.state.v3", loaded.Manifest);
        Assert.Equal(payload, loaded.Payload);
    }

    [Fact]
    public async Task DeleteTo_RemovesSnapshotsUpToMaxOfThatIdOnly()
    {
        foreach (var s in new long[] { 10, 20, 30 }) await Store.SaveAsync(Snap("a", s));
        await Store.SaveAsync(Snap("b", 10));
        await Store.DeleteToAsync("a", 20);
        Assert.Null(await Store.LoadLatestAsync("a", 29));
        Assert.Equal("s@30", Text(await Store.LoadLatestAsync("a")));
        Assert.Equal("s@10", Text(await Store.LoadLatestAsync("b")));
        await Store.DeleteToAsync("a", long.MaxValue);
        Assert.Null(await Store.LoadLatestAsync("a"));
    }

    [Fact]
    public async Task Save_MalformedSnapshot_IsRefusedWithArgumentError()
    {
        await Assert.ThrowsAnyAsync<ArgumentException>(() => Store.SaveAsync(Snap("", 1)));
        await Assert.ThrowsAnyAsync<ArgumentException>(() => Store.SaveAsync(Snap("a", 1) with { Manifest = "" }));
        Assert.Null(await Store.LoadLatestAsync("a"));
    }

    [Fact]
    public async Task Reopen_AfterClose_SnapshotsSurvive()
    {
        await Store.SaveAsync(Snap("a", 7));
        await ReopenAsync();
        Assert.Equal("s@7", Text(await Store.LoadLatestAsync("a")));
    }
}
