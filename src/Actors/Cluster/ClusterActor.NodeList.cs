using System.Collections.Immutable;
using Haven.Actors.Membership;
using Microsoft.Extensions.Logging;

namespace Haven.Actors.Cluster;

/// <summary>
/// The node list changing while the actor runs (corosync's nodelist reloaded): an added node is known at
/// once and joins as any member does; a removed node is forgotten once it is clean (fenced or left).
/// </summary>
public sealed partial class ClusterActor
{
    private void OnChangeNodeList(ChangeNodeList command)
    {
        var nodes = command.Nodes.IsDefault ? [] : command.Nodes.OrderBy(n => n.Id).ToImmutableArray();
        var old = _options.Nodes;
        var refusal = NodeListRefusal(nodes, old);
        if (refusal is not null)
        {
            Reply(false, refusal);
            return;
        }

        var added = nodes.Where(n => old.All(o => o.Id != n.Id)).ToList();
        var removed = old.Where(o => nodes.All(n => n.Id != o.Id)).ToList();
        if (added.Count == 0 && removed.Count == 0)
        {
            Reply(true, "the node list is unchanged");
            return;
        }
        _options = _options with { Nodes = nodes, SplitBrain = _options.SplitBrain with { Nodes = [.. nodes.Select(n => n.Id)] } };
        _configured = [.. nodes.Select(n => n.Id)];
        _view = [.. _view.Select(Named)];
        var message = $"node list changed: added {Names(added)}; removed {Names(removed)}; now {Names(nodes)}";
        Log.LogInformation("Node list of {Cluster} changed: added {Added}; removed {Removed}; now {Nodes}",
            _options.ClusterName, Names(added), Names(removed), Names(nodes));
        Reply(true, message);
        Notify();
        Self.Tell(ReconcileTick.Instance, Self);
    }

    /// <summary>Why the new list cannot be adopted now (nothing changes then), or null.</summary>
    private string? NodeListRefusal(ImmutableArray<Member> nodes, ImmutableArray<Member> old)
    {
        if (nodes.FirstOrDefault(n => n.Id == Me) is not { } self || self.Name != _options.Self.Name)
            return $"this host ({_options.Self.Name}, id {Me.Value}) is not in the new node list {Names(nodes)}";
        if (nodes.GroupBy(n => n.Id).FirstOrDefault(g => g.Count() > 1) is { } twiceId) return $"node id {twiceId.Key.Value} appears twice";
        if (nodes.GroupBy(n => n.Name, StringComparer.Ordinal).FirstOrDefault(g => g.Count() > 1) is { } twiceName) return $"node name {twiceName.Key} appears twice";
        // The state is keyed by id and shows names: a node may not change either while Haven runs.
        var changed = nodes.Select(n => (New: n, Old: old.FirstOrDefault(o => o.Id == n.Id || o.Name == n.Name)))
            .Where(p => p.Old is not null && (p.Old.Id != p.New.Id || p.Old.Name != p.New.Name))
            .Select(p => $"{p.Old!.Name} (id {p.Old.Id.Value}) is now {p.New.Name} (id {p.New.Id.Value})").ToList();
        if (changed.Count > 0)
            return $"a node's name or id cannot change while Haven runs: {string.Join("; ", changed)}; restart the daemons to take it";
        var stillMembers = old.Where(o => nodes.All(n => n.Id != o.Id) && _viewIds.Contains(o.Id)).ToList();
        if (stillMembers.Count > 0)
            return $"{Names(stillMembers)} removed from the node list but still a member of the cluster: stop Haven and corosync there first (it is not fenced); keeping the node list {Names(old)}";
        return null;
    }

    /// <summary>A member as the node list names it (the transport may not know a node added since it started).</summary>
    private Member Named(Member member) => _options.Nodes.FirstOrDefault(n => n.Id == member.Id) ?? member;

    private static string Names(IEnumerable<Member> nodes) =>
        nodes.Any() ? string.Join(", ", nodes.Select(n => $"{n.Name} ({n.Id.Value})")) : "none";
}
