using System.Collections.Immutable;
using Haven.Actors.Cluster;
using Haven.Actors.Configuration;
using Haven.Actors.Membership;
using Haven.Actors.Runtime;
using Haven.Adapters.Corosync;
using Microsoft.Extensions.Logging;

namespace Haven.Host.Daemon;

/// <summary>
/// With <c>transport = corosync</c>: runs the <see cref="CorosyncNodeListWatch"/> until the daemon stops. A
/// change it finds valid goes to the ClusterActor (<see cref="ChangeNodeList"/>); once accepted, the transport
/// names the new nodes and the daemon's state (health, the wirings) sees the new list.
/// </summary>
internal sealed class NodeListWiring : IAsyncDisposable
{
    private static readonly TimeSpan AskTimeout = TimeSpan.FromSeconds(10);
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;

    private NodeListWiring(CorosyncNodeListWatch watch, TimeProvider time)
    {
        _loop = watch.RunAsync(time, _stop.Token);
    }

    /// <param name="file">The settings as the host file gives them (its haven.cluster.nodes, empty or not).</param>
    public static NodeListWiring? Start(DaemonState state, HavenSettings file, ImmutableArray<NodeSettings> running, ILoggerFactory loggers, TimeProvider time)
    {
        if (file.Cluster.Transport != ClusterTransportKind.Corosync) return null;
        var watch = new CorosyncNodeListWatch(file, running, Environment.MachineName, CorosyncNodeList.Read,
            changed => AdoptAsync(state, changed), loggers.CreateLogger<CorosyncNodeListWatch>());
        state.NodeListWatch = watch;
        return new NodeListWiring(watch, time);
    }

    private static async Task<(bool, string)> AdoptAsync(DaemonState state, NodeListChange.Changed changed)
    {
        var members = changed.Nodes.Select(n => new Member(new NodeId(n.Id), n.Name)).ToImmutableArray();
        OperatorCommandResult reply;
        try
        {
            var cluster = state.ClusterActor ?? throw new InvalidOperationException("the cluster actor is not running");
            reply = await cluster.Ask<OperatorCommandResult>(new ChangeNodeList(members), AskTimeout);
        }
        catch (Exception e) when (e is TimeoutException or InvalidOperationException)
        {
            return (false, $"the cluster actor did not take it ({e.Message})");
        }
        if (reply.Accepted)
        {
            (state.Transport as CorosyncTransport)?.SetNodes(members);
            if (state.ClusterOptions is { } options) // what a restart of the ClusterActor starts from
                state.ClusterOptions = options with { Nodes = members, SplitBrain = options.SplitBrain with { Nodes = [.. members.Select(m => m.Id)] } };
        }
        return (reply.Accepted, reply.Message);
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await _loop;
        _stop.Dispose();
    }
}
