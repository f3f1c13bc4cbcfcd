using Haven.Actors.Cluster;
using Haven.Actors.Runtime;
using Haven.Host.Daemon;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace Haven.Host.Control;

/// <summary>
/// /v1/cluster: this host's view of the cluster, and the operator's down and leave; /v1/nodes: standby;
/// /v1/maintenance: maintenance of one node or all; /v1/ips (IpApi): the floating addresses.
/// Every command answers the ClusterActor's <see cref="OperatorCommandResult"/>: {"message"}, or 400 {"error"} when refused.
/// </summary>
internal static class ClusterApi
{
    internal static readonly TimeSpan AskTimeout = TimeSpan.FromSeconds(10);

    /// <summary>
    /// How long a command may wait for the ClusterActor before it is dropped unapplied (<see cref="CommandBefore"/>): less
    /// than <see cref="AskTimeout"/>, so that a command the client is told timed out is not applied later, out of order.
    /// </summary>
    internal static readonly TimeSpan CommandDeadline = TimeSpan.FromSeconds(8);

    public static void Map(WebApplication app, DaemonState state)
    {
        app.MapGet("/v1/cluster", async () => Results.Json(ClusterStatusView.From(await ViewAsync(state)), ServerJson.Options));

        app.MapPost("/v1/cluster/down", async (NodeRequest? request) =>
        {
            if (request?.Node is not { Length: > 0 } node)
                return Error("the request needs a node name: {\"node\": \"NAME\"}");
            return await Command(state, new DownNode(node));
        });

        app.MapPost("/v1/cluster/leave", () => Command(state, LeaveCluster.Instance));

        app.MapPost("/v1/nodes/standby", (NodeRequest? request) => SetMode(state, request, NodeMode.Standby, nodeRequired: true));
        app.MapPost("/v1/nodes/unstandby", (NodeRequest? request) => SetMode(state, request, NodeMode.Unstandby, nodeRequired: true));
        app.MapPost("/v1/maintenance/on", (NodeRequest? request) => SetMode(state, request, NodeMode.MaintenanceOn, nodeRequired: false));
        app.MapPost("/v1/maintenance/off", (NodeRequest? request) => SetMode(state, request, NodeMode.MaintenanceOff, nodeRequired: false));

        IpApi.Map(app, state);
    }

    /// <summary>A node's mode; without a node (maintenance only) every node's.</summary>
    private static async Task<IResult> SetMode(DaemonState state, NodeRequest? request, NodeMode mode, bool nodeRequired)
    {
        var node = request?.Node;
        if (node is { Length: 0 } || (nodeRequired && node is null))
            return Error(nodeRequired
                ? "the request needs a node name: {\"node\": \"NAME\"}"
                : "the node name is empty: send {\"node\": \"NAME\"} for one node, or {} for every node");
        return await Command(state, new SetNodeMode(node, mode));
    }

    /// <summary>This host's cluster view, as every read verb and the web view take it.</summary>
    internal static Task<ClusterView> ViewAsync(DaemonState state) => ClusterOf(state).Ask<ClusterView>(GetClusterView.Instance, AskTimeout);

    /// <summary>
    /// An operator command to the ClusterActor, with a deadline: taken up within <see cref="CommandDeadline"/> or refused
    /// unapplied; no answer within <see cref="AskTimeout"/> is a 503 that says so.
    /// </summary>
    internal static async Task<IResult> Command(DaemonState state, object command)
    {
        var deadline = state.Time.GetUtcNow() + CommandDeadline;
        try
        {
            return Answer(await ClusterOf(state).Ask<OperatorCommandResult>(new CommandBefore(command, deadline), AskTimeout));
        }
        catch (AskTimeoutException)
        {
            return Results.Json(new
            {
                error = $"the cluster did not answer within {AskTimeout.TotalSeconds:0} s (busy or blocked); a request it had not taken up "
                        + $"within {CommandDeadline.TotalSeconds:0} s is dropped and never applied later: check whether this one took effect before retrying",
            }, ServerJson.Options, statusCode: 503);
        }
    }

    internal static IActorRef ClusterOf(DaemonState state) => state.ClusterActor ?? throw new InvalidOperationException("the cluster actor is not running");

    internal static IResult Answer(OperatorCommandResult result) => result.Accepted
        ? Results.Json(new { message = result.Message }, ServerJson.Options)
        : Error(result.Message);

    internal static IResult Error(string message) => Results.Json(new { error = message }, ServerJson.Options, statusCode: 400);
}

/// <summary>The JSON of `haven cluster status --json`.</summary>
internal sealed record ClusterStatusView(string Cluster, string Node, uint NodeId, string? Dc, bool Quorate, string Partition,
    IReadOnlyList<ClusterMemberView> Members, long StreamIndex, string Digest)
{
    public static ClusterStatusView From(ClusterView view)
    {
        var names = view.State.Nodes.Values.ToDictionary(n => n.Id, n => n.Name);
        foreach (var m in view.Members) names.TryAdd(m.Id, m.Name);
        names.TryAdd(view.Self.Id, view.Self.Name);
        var members = names.OrderBy(n => n.Key)
            .Select(n => new ClusterMemberView(n.Value, n.Key.Value, Lower(view.State.StateOf(n.Key)?.ToString() ?? "joining"),
                view.State.Nodes.GetValueOrDefault(n.Key) is { State: NodeState.Down or NodeState.Unreachable or NodeState.Unhealthy, FenceFailure: { } failure } ? failure : null))
            .ToList();
        return new ClusterStatusView(view.Cluster, view.Self.Name, view.Self.Id.Value,
            view.Dc is { } dc ? names.GetValueOrDefault(dc) : null, view.Quorate, Lower(view.Role.ToString()), members,
            view.StreamIndex, view.StreamDigest);
    }

    private static string Lower(string s) => s.ToLowerInvariant();
}

/// <summary>One node in `haven cluster status`; <paramref name="FenceFailure"/>: why the last fence of a lost node failed.</summary>
internal sealed record ClusterMemberView(string Name, uint Id, string State, string? FenceFailure = null);
