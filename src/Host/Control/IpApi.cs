using System.Collections.Immutable;
using Haven.Actors.Cluster;
using Haven.Actors.Membership;
using Haven.Actors.Runtime;
using Haven.Host.Daemon;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace Haven.Host.Control;

/// <summary>/v1/ips: where every public address is, and the operator's move (CTDB's moveip).</summary>
internal static class IpApi
{
    public static void Map(WebApplication app, DaemonState state)
    {
        app.MapGet("/v1/ips", async () =>
        {
            return Results.Json(IpView.From(await ClusterApi.ViewAsync(state), state.PublicAddresses), ServerJson.Options);
        });

        app.MapPost("/v1/ips/move", async (MoveRequest? request) =>
        {
            if (request?.Address is not { Length: > 0 } address || request.Node is not { Length: > 0 } node)
                return ClusterApi.Error("the request needs an address and a node: {\"address\": \"A.B.C.D\", \"node\": \"NAME\"}");
            return await ClusterApi.Command(state, new MoveAddress(address, node));
        });
    }
}

/// <summary>
/// One line of `haven ip list`: the address with its prefix length, its interface, the node holding it (null:
/// nobody) and its state — held (by an Up node), unassigned, or the holder's state when that is not Up
/// (standby, maintenance, unhealthy, down, …).
/// </summary>
internal sealed record IpView(string Address, string Interface, string? Node, string State)
{
    public const string Held = "held";
    public const string Unassigned = "unassigned";

    /// <summary>
    /// Every configured address in configured order, then the addresses the state has holders for that are not
    /// configured here (extra addresses), by address.
    /// </summary>
    public static IReadOnlyList<IpView> From(ClusterView view, ImmutableArray<PublicAddress> configured)
    {
        var names = view.State.Nodes.Values.ToDictionary(n => n.Id, n => n.Name);
        foreach (var m in view.Members) names.TryAdd(m.Id, m.Name);
        names.TryAdd(view.Self.Id, view.Self.Name);
        var list = new List<IpView>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var a in configured.IsDefault ? [] : configured)
        {
            if (!seen.Add(a.Ip)) continue;
            list.Add(view.State.Ips.TryGetValue(a.Ip, out var held)
                ? Of(held, view.State, names)
                : new IpView($"{a.Ip}/{a.Mask}", a.Interface, null, Unassigned));
        }
        list.AddRange(view.State.Ips.Values.Where(a => !seen.Contains(a.Ip)).OrderBy(a => a.Ip, StringComparer.Ordinal)
            .Select(a => Of(a, view.State, names)));
        return list;
    }

    private static IpView Of(IpAssignment held, ClusterState state, Dictionary<NodeId, string> names) => new(
        $"{held.Ip}/{held.Mask}",
        held.Interface,
        names.GetValueOrDefault(held.Node) ?? held.Node.Unnamed,
        state.StateOf(held.Node) switch
        {
            NodeState.Up => Held,
            null => "unknown",
            var other => other.Value.ToString().ToLowerInvariant(),
        });
}
