using System.Collections.Immutable;
using Haven.Actors.Cluster;
using Haven.Actors.Membership;

namespace Haven.Actors.FloatingIps.Conntrack;

/// <summary>
/// Decides what this host's conntrackd must do for one address group (the addresses that carry the
/// firewalled connections), from the replicated <see cref="ClusterState"/> alone — the seed-004 resource
/// agent's promote, demote and notify rules without Pacemaker:
/// <list type="bullet">
/// <item>This host is master exactly when it holds every address of the group and is not demoted. The
/// state never gives one address two holders, so at most one host of a partition qualifies: never two masters.</item>
/// <item>Backup → master (we took the last address of the group): promote, <c>-c -f -R -B</c>.</item>
/// <item>Master → backup (we released an address, lost the split, were fenced): <c>-B</c> so the next master's
/// external cache is complete before it promotes, then <c>-t -n</c>.</item>
/// <item>Master and a peer came up (its conntrackd restarted with empty caches): <c>-B</c> (failback).</item>
/// <item><see cref="Monitor"/>: <c>-s</c>.</item>
/// </list>
/// Pure: no clock, no IO. The caller runs the plan with an <see cref="IConntrackController"/> and passes the
/// role that controller recorded as <c>current</c> next time, so a failed plan is decided again.
/// </summary>
public sealed class ConntrackPolicy
{
    public ConntrackPolicy(IEnumerable<string> groupAddresses, NodeId self)
    {
        ArgumentNullException.ThrowIfNull(groupAddresses);
        Group = [.. groupAddresses.Select(Canonical).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal)];
        if (Group.IsEmpty)
        {
            throw new ArgumentException("conntrack group: at least one address is needed to decide who is master", nameof(groupAddresses));
        }

        Self = self;
    }

    /// <summary>The group's addresses (canonical IPv4, as <see cref="ClusterState.Ips"/> keys them), sorted.</summary>
    public ImmutableArray<string> Group { get; }

    public NodeId Self { get; }

    /// <summary>The holder of every address of the group, or null when the group is split or partly free.</summary>
    public NodeId? GroupHolder(ClusterState state)
    {
        ArgumentNullException.ThrowIfNull(state);
        NodeId? holder = null;
        foreach (var ip in Group)
        {
            if (!state.Ips.TryGetValue(ip, out var assignment)) return null;
            if (holder is { } h && h != assignment.Node) return null;
            holder = assignment.Node;
        }

        return holder;
    }

    /// <summary>Master when this host holds the whole group and its side did not lose a split-brain decision.</summary>
    public ConntrackRole DesiredRole(ClusterState state) =>
        GroupHolder(state) == Self && !state.Demoted.Contains(Self) ? ConntrackRole.Master : ConntrackRole.Backup;

    /// <summary>
    /// After a replicated event moved the state from <paramref name="before"/> to <paramref name="after"/>:
    /// promote, demote, a bulk update for peers that came up while we stay master, or nothing.
    /// </summary>
    public ConntrackPlan Decide(ConntrackRole current, ClusterState before, ClusterState after)
    {
        ArgumentNullException.ThrowIfNull(before);
        ArgumentNullException.ThrowIfNull(after);
        var plan = Reconcile(current, after);
        if (!plan.IsEmpty || current != ConntrackRole.Master)
        {
            return plan;
        }

        var started = PeersStarted(before, after);
        return started.IsEmpty
            ? plan
            : BulkUpdate($"peer {string.Join(", ", started)} came up while this host is master; sending it the connection table");
    }

    /// <summary>
    /// Brings the recorded role in line with the state: at start-up (the state file may say master after a crash)
    /// and after a failed plan. Promote, demote or nothing.
    /// </summary>
    public ConntrackPlan Reconcile(ConntrackRole current, ClusterState state)
    {
        ArgumentNullException.ThrowIfNull(state);
        var desired = DesiredRole(state);
        if (desired == current)
        {
            return Nothing(current, $"this host stays {current.ToString().ToLowerInvariant()}");
        }

        if (desired == ConntrackRole.Master)
        {
            return new ConntrackPlan(ConntrackTransition.Promote, ConntrackRole.Master, ConntrackCommands.Promote,
                $"this host holds every address of the group ({string.Join(", ", Group)})");
        }

        var holder = GroupHolder(state);
        var why = state.Demoted.Contains(Self) ? "this host's side lost the split-brain decision"
            : holder is { } other ? $"node {other} holds the group now"
            : "this host no longer holds every address of the group";
        return new ConntrackPlan(ConntrackTransition.Demote, ConntrackRole.Backup, ConntrackCommands.Demote, why);
    }

    /// <summary>A peer reported that its conntrackd (re)started: a bulk update when this host is master, else nothing.</summary>
    public ConntrackPlan PeerRestarted(ConntrackRole current, ClusterState state, NodeId peer)
    {
        var plan = Reconcile(current, state);
        if (!plan.IsEmpty || peer == Self)
        {
            return plan;
        }

        return current == ConntrackRole.Master
            ? BulkUpdate($"conntrackd on node {peer} restarted while this host is master; sending it the connection table")
            : Nothing(current, $"conntrackd on node {peer} restarted; only the master sends a bulk update");
    }

    /// <summary>
    /// This host demoted on its own (it lost the split-brain decision, or is leaving) and its copy of the replicated
    /// state may be stale: demote unless already backup, whatever the state says.
    /// </summary>
    public static ConntrackPlan DemoteLocally(ConntrackRole current, string reason) =>
        current == ConntrackRole.Master
            ? new ConntrackPlan(ConntrackTransition.Demote, ConntrackRole.Backup, ConntrackCommands.Demote, reason)
            : Nothing(ConntrackRole.Backup, reason);

    /// <summary>The periodic check: <c>-s</c> answers only while the daemon runs. The role does not change.</summary>
    public static ConntrackPlan Monitor(ConntrackRole current) =>
        new(ConntrackTransition.Monitor, current, [ConntrackCommand.Statistics], "monitor");

    /// <summary>Peers that are Up in <paramref name="after"/> and were not Up (or unknown) in <paramref name="before"/>.</summary>
    private ImmutableArray<NodeId> PeersStarted(ClusterState before, ClusterState after) =>
    [
        .. after.Nodes.Values
            .Where(n => n.Id != Self && n.State == NodeState.Up && before.StateOf(n.Id) is null or NodeState.Joining or NodeState.Down or NodeState.Fenced or NodeState.Left or NodeState.Unreachable)
            .Select(n => n.Id)
            .Order(),
    ];

    /// <summary>The form <see cref="ClusterState.Ips"/> keys addresses by.</summary>
    private static string Canonical(string ip) =>
        System.Net.IPAddress.TryParse(ip, out var address)
            ? address.ToString()
            : throw new ArgumentException($"conntrack group: \"{ip}\" is not an IP address", nameof(ip));

    private static ConntrackPlan BulkUpdate(string reason) =>
        new(ConntrackTransition.BulkUpdate, ConntrackRole.Master, [ConntrackCommand.BulkSend], reason);

    private static ConntrackPlan Nothing(ConntrackRole role, string reason) => new(ConntrackTransition.None, role, [], reason);
}
