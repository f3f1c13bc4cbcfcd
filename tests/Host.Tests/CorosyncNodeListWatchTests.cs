using System.Collections.Immutable;
using Haven.Actors.Configuration;
using Haven.Host.Control;
using Haven.Host.Daemon;
using Microsoft.Extensions.Logging.Abstractions;

namespace Haven.Host.Tests;

/// <summary>CorosyncNodeListWatch and NodeListChange: a reloaded corosync nodelist noticed, checked as a start checks it, and adopted or refused.</summary>
public sealed class CorosyncNodeListWatchTests
{
    private static readonly ImmutableArray<NodeSettings> Three = [new("n1", 1), new("n2", 2), new("n3", 3)];
    private static readonly ImmutableArray<NodeSettings> Four = [.. Three, new("n4", 4)];

    private static HavenSettings Settings(string cluster = "") =>
        HavenSettings.From(HoconParser.Parse($"haven.cluster {{ name = c, node-name = n1, transport = corosync {cluster} }}", "haven.conf"));

    private sealed class Fixture
    {
        public ImmutableArray<NodeSettings>? Corosync = Three;
        public List<NodeListChange.Changed> Adopted { get; } = [];
        public (bool, string) Answer = (true, "ok");
        public CorosyncNodeListWatch Watch { get; }

        public Fixture(HavenSettings file)
        {
            Watch = new CorosyncNodeListWatch(file, Three, "box", Read, c =>
            {
                Adopted.Add(c);
                return Task.FromResult(Answer);
            }, NullLogger.Instance);
        }

        private ImmutableArray<NodeSettings>? Read(out string error)
        {
            error = Corosync is null ? "cannot reach corosync (CS_ERR_LIBRARY)" : "";
            return Corosync;
        }
    }

    [Fact]
    public void Change_NodeAdded_IsChangedNamingIt()
    {
        var change = Assert.IsType<NodeListChange.Changed>(NodeListChange.Of(Settings(), Three, [Four[3], .. Three], "box"));

        Assert.Equal(Four.ToArray(), change.Nodes.ToArray()); // sorted by id, as a start sorts it
        Assert.Equal([new NodeSettings("n4", 4)], change.Added.ToArray());
        Assert.Empty(change.Removed);
    }

    [Fact]
    public void Change_SameNodesInAnotherOrder_IsUnchanged() =>
        Assert.IsType<NodeListChange.Unchanged>(NodeListChange.Of(Settings(), Three, [.. Three.Reverse()], "box"));

    [Theory]
    [InlineData("n2:2 n3:3 n4:4", "haven.cluster.node-name: node \"n1\" is not in corosync's nodelist")]
    [InlineData("n1:1 n2:2 n3:3 n-4:4 n 4:5", "not a valid Haven node name")]
    [InlineData("n1:1 n2:2 n3:3 n4:2", "nodeid 2 appears twice")]
    [InlineData("n1:1 n2:2 n3:3 n4:0", "node \"n4\" has no nodeid")]
    [InlineData("n1:9 n2:2 n3:3", "n1 (id 1) is now n1 (nodeid 9)")]
    [InlineData("n1:1 n2:2 n9:3", "n3 (id 3) is now n9 (nodeid 3)")]
    public void Change_InvalidList_IsRefusedNamingWhy(string corosync, string expected)
    {
        ImmutableArray<NodeSettings> nodes = [.. System.Text.RegularExpressions.Regex.Matches(corosync, @"([^:]+):(\d+) ?")
            .Select(m => new NodeSettings(m.Groups[1].Value, uint.Parse(m.Groups[2].Value, System.Globalization.CultureInfo.InvariantCulture)))];

        var refused = Assert.IsType<NodeListChange.Refused>(NodeListChange.Of(Settings(), Three, nodes, "box"));

        Assert.Contains(expected, refused.Reason);
    }

    [Fact]
    public void Change_HavenClusterNodesGivenAndNoLongerMatching_IsRefused()
    {
        var file = Settings(", nodes = [{ name = n1, id = 1 }, { name = n2, id = 2 }, { name = n3, id = 3 }]");

        var refused = Assert.IsType<NodeListChange.Refused>(NodeListChange.Of(file, Three, Four, "box"));

        Assert.Contains("haven.cluster.nodes: does not match corosync's nodelist: n4 (nodeid 4) is in corosync's nodelist but not in haven.cluster.nodes", refused.Reason);
    }

    [Fact]
    public async Task Poll_ChangeSeenTwice_IsAdoptedOnce()
    {
        var f = new Fixture(Settings());
        await f.Watch.PollAsync();
        f.Corosync = Four;

        await f.Watch.PollAsync(); // first sight: a reload may be half written
        Assert.Empty(f.Adopted);
        await f.Watch.PollAsync();
        await f.Watch.PollAsync();

        var adopted = Assert.Single(f.Adopted);
        Assert.Equal(Four.ToArray(), adopted.Nodes.ToArray());
        Assert.Equal(Four.ToArray(), f.Watch.Running.ToArray());
        Assert.Null(f.Watch.Problem);
    }

    [Fact]
    public async Task Poll_ListStillChangingBetweenReads_WaitsUntilItSettles()
    {
        var f = new Fixture(Settings());
        f.Corosync = [.. Three, new("n4", 4)];
        await f.Watch.PollAsync();
        f.Corosync = [.. Three, new("n4", 4), new("n5", 5)];
        await f.Watch.PollAsync();
        Assert.Empty(f.Adopted);
        await f.Watch.PollAsync();

        Assert.Equal(5, Assert.Single(f.Adopted).Nodes.Length);
    }

    [Fact]
    public async Task Poll_RefusedByTheClusterActor_KeepsTheOldListSaysWhyAndRetries()
    {
        var f = new Fixture(Settings()) { Answer = (false, "n3 (3) removed from the node list but still a member of the cluster") };
        f.Corosync = [.. Three.Take(2)];
        await f.Watch.PollAsync();
        await f.Watch.PollAsync();

        Assert.Equal(Three.ToArray(), f.Watch.Running.ToArray());
        Assert.Equal("corosync's nodelist changed but is not taken: n3 (3) removed from the node list but still a member of the cluster; Haven keeps running on n1 (1), n2 (2), n3 (3)",
            f.Watch.Problem);
        var check = HealthApi.NodeList(f.Watch.Running, f.Corosync, "", f.Watch.Problem);
        Assert.Equal(("warning", f.Watch.Problem), (check.Status, check.Reason));

        f.Answer = (true, "ok"); // n3 has stopped: the next poll takes it
        await f.Watch.PollAsync();
        Assert.Equal(2, f.Watch.Running.Length);
        Assert.Null(f.Watch.Problem);
        Assert.Equal("success", HealthApi.NodeList(f.Watch.Running, f.Corosync, "").Status);
    }

    [Fact]
    public async Task Poll_InvalidListThenReverted_ProblemShownThenCleared()
    {
        var f = new Fixture(Settings(", nodes = [{ name = n1, id = 1 }, { name = n2, id = 2 }, { name = n3, id = 3 }]"));
        f.Corosync = Four;
        await f.Watch.PollAsync();
        await f.Watch.PollAsync();

        Assert.Empty(f.Adopted);
        Assert.StartsWith("corosync's nodelist changed but cannot be taken: haven.cluster.nodes: does not match corosync's nodelist", f.Watch.Problem);
        Assert.EndsWith("; Haven keeps running on n1 (1), n2 (2), n3 (3)", f.Watch.Problem);

        f.Corosync = Three;
        await f.Watch.PollAsync();
        Assert.Null(f.Watch.Problem);
    }

    [Fact]
    public async Task Poll_CorosyncUnreachable_ChangesNothing()
    {
        var f = new Fixture(Settings()) { Corosync = null };
        await f.Watch.PollAsync();
        await f.Watch.PollAsync();

        Assert.Empty(f.Adopted);
        Assert.Null(f.Watch.Problem);
        Assert.Equal(Three.ToArray(), f.Watch.Running.ToArray());
    }
}
