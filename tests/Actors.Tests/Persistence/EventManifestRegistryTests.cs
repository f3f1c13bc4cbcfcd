using Haven.Actors.Persistence;

namespace Haven.Actors.Tests.Persistence;

public sealed class EventManifestRegistryTests
{
    private sealed record NodeJoined(string Node);
    private sealed record NodeLeft(string Node);
    private abstract record SomeEvent;

    [Fact]
    public void Register_TypeAndManifest_LooksUpBothWays()
    {
        var registry = new EventManifestRegistry().Register<NodeJoined>("cluster.node-joined.v1").Register<NodeLeft>("cluster.node-left.v1");
        Assert.True(registry.TryGetManifest(typeof(NodeJoined), out var manifest));
        Assert.Equal("cluster.node-joined.v1", manifest);
        Assert.True(registry.TryGetType("cluster.node-left.v1", out var type));
        Assert.Equal(typeof(NodeLeft), type);
        Assert.False(registry.TryGetType("cluster.node-joined.v2", out _));
        Assert.False(registry.TryGetManifest(typeof(string), out _));
        Assert.Equal(["cluster.node-joined.v1", "cluster.node-left.v1"], registry.Registrations.Select(r => r.Key));
    }

    [Fact]
    public void Register_DuplicateManifest_FailsNamingBothTypes()
    {
        var registry = new EventManifestRegistry().Register<NodeJoined>("cluster.node.v1");
        var ex = Assert.Throws<InvalidOperationException>(() => registry.Register<NodeLeft>("cluster.node.v1"));
        Assert.Contains("'cluster.node.v1'", ex.Message);
        Assert.Contains(nameof(NodeJoined), ex.Message);
        Assert.Contains(nameof(NodeLeft), ex.Message);
        Assert.False(registry.TryGetManifest(typeof(NodeLeft), out _));
    }

    [Fact]
    public void Register_DuplicateType_FailsAndKeepsFirstManifest()
    {
        var registry = new EventManifestRegistry().Register<NodeJoined>("cluster.node-joined.v1");
        var ex = Assert.Throws<InvalidOperationException>(() => registry.Register<NodeJoined>("cluster.node-joined.v2"));
        Assert.Contains("cluster.node-joined.v1", ex.Message);
        Assert.False(registry.TryGetType("cluster.node-joined.v2", out _));
    }

    [Theory]
    [InlineData("")]
    [InlineData("  ")]
    [InlineData("cluster node")]
    [InlineData("cluster\tnode")]
    public void Register_BlankOrWhitespaceManifest_IsRefused(string manifest) =>
        Assert.Throws<ArgumentException>(() => new EventManifestRegistry().Register<NodeJoined>(manifest));

    [Fact]
    public void Register_AbstractType_IsRefused() =>
        Assert.Throws<ArgumentException>(() => new EventManifestRegistry().Register<SomeEvent>("some.event.v1"));

    [Fact]
    public async Task Register_ConcurrentSameManifest_ExactlyOneSucceeds()
    {
        var registry = new EventManifestRegistry();
        var start = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var tasks = new[] { typeof(NodeJoined), typeof(NodeLeft) }.Select(t => Task.Run(async () =>
        {
            await start.Task;
            try { registry.Register(t, "cluster.same.v1"); return true; }
            catch (InvalidOperationException) { return false; }
        })).ToArray();
        start.SetResult();
        var results = await Task.WhenAll(tasks).WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(1, results.Count(r => r));
    }
}
