using System.Collections.Immutable;
using Haven.Actors.Configuration;
using Haven.Actors.Runtime;
using Haven.Host.Daemon;
using Microsoft.Extensions.Logging.Abstractions;

namespace Haven.Host.Tests;

/// <summary>CorosyncNodesAtStart: the daemon's node list from corosync's nodelist, before anything is opened.</summary>
public sealed class CorosyncNodesAtStartTests
{
    private static readonly ImmutableArray<NodeSettings> Corosync = [new("n1", 1), new("n2", 2)];

    private static HavenSettings Settings(string cluster) =>
        HavenSettings.From(HoconParser.Parse($"haven.cluster {{ name = c, node-name = n1, {cluster} }}", "haven.conf"));

    [Fact]
    public async Task NoNodesAndCorosyncNotYetUp_WaitsWithBackoffUntilItAnswers()
    {
        var clock = new VirtualClock();
        var asked = 0;
        ImmutableArray<NodeSettings>? Read(out string error)
        {
            error = ++asked < 3 ? "cannot reach corosync (CS_ERR_LIBRARY): is corosync running? (cmap_initialize)" : "";
            return asked < 3 ? null : Corosync;
        }

        var resolving = CorosyncNodesAtStart.ResolveAsync(Settings("transport = corosync"), Read, "box", clock, NullLogger.Instance, CancellationToken.None);
        Assert.False(resolving.IsCompleted);
        Assert.Equal(1, asked);
        clock.Advance(TimeSpan.FromMilliseconds(500));
        await WaitUntil(() => asked == 2 && clock.ActiveTimerCount == 1); // the second wait has begun
        Assert.False(resolving.IsCompleted);
        clock.Advance(TimeSpan.FromMilliseconds(999)); // the second wait is twice the first
        Assert.Equal(2, asked);
        clock.Advance(TimeSpan.FromMilliseconds(1));

        var (settings, isChecked) = await resolving.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(Corosync.ToArray(), settings.Cluster.Nodes.ToArray());
        Assert.True(isChecked);
    }

    [Fact]
    public async Task NodesGivenAndCorosyncNotUp_StartsWithTheGivenList()
    {
        ImmutableArray<NodeSettings>? Read(out string error)
        {
            error = "cannot reach corosync";
            return null;
        }

        var (settings, isChecked) = await CorosyncNodesAtStart.ResolveAsync(Settings("transport = corosync, nodes = [{ name = n1, id = 1 }, { name = n3, id = 3 }]"), Read, "box",
            new VirtualClock(), NullLogger.Instance, CancellationToken.None);

        Assert.Equal([new NodeSettings("n1", 1), new NodeSettings("n3", 3)], settings.Cluster.Nodes.ToArray());
        Assert.False(isChecked); // the transport checks it when it connects
    }

    [Fact]
    public async Task NodesGivenDiffer_RefusesTheStartNamingTheDifference()
    {
        ImmutableArray<NodeSettings>? Read(out string error)
        {
            error = "";
            return Corosync;
        }

        var e = await Assert.ThrowsAsync<CliException>(() => CorosyncNodesAtStart.ResolveAsync(
            Settings("transport = corosync, nodes = [{ name = n1, id = 1 }, { name = n3, id = 3 }]"), Read, "box", new VirtualClock(), NullLogger.Instance, CancellationToken.None));

        Assert.Contains("n3 (id 3) is in haven.cluster.nodes but not in corosync's nodelist; n2 (nodeid 2) is in corosync's nodelist but not in haven.cluster.nodes", e.Message);
    }

    [Fact]
    public async Task SimulatedTransport_NeverAsksCorosync()
    {
        ImmutableArray<NodeSettings>? Read(out string error) => throw new InvalidOperationException("asked corosync");

        var (settings, _) = await CorosyncNodesAtStart.ResolveAsync(Settings("transport = simulated"), Read, "box", new VirtualClock(), NullLogger.Instance, CancellationToken.None);

        Assert.Empty(settings.Cluster.Nodes);
    }

    private static async Task WaitUntil(Func<bool> condition)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        while (!condition())
        {
            timeout.Token.ThrowIfCancellationRequested();
            await Task.Yield();
        }
    }
}
