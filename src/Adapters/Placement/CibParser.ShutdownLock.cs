using System.Globalization;
using System.Xml.Linq;
using Haven.Actors.Placement;

namespace Haven.Adapters.Placement;

/// <summary>
/// Pacemaker's shutdown-lock as a CIB records it (Pacemaker Explained 2.1, cluster options <c>shutdown-lock</c>, default false, and
/// <c>shutdown-lock-limit</c>, default 0: none). A node shutting down carries the transient attribute <c>shutdown</c> (the epoch
/// of the request, 0: none): it takes nothing and its resources stop — and move elsewhere unless locked. With shutdown-lock on, a
/// resource active on such a node, or one whose <c>lrm_resource</c> has a <c>shutdown-lock</c> attribute (the epoch it was locked,
/// once stopped by the shutdown), is locked to that node while the limit has not passed since the lock (measured to the CIB's
/// execution-date): every other node is banned, so it runs nowhere until that node is back, and starts there. Haven's daemon
/// applies the same rule (docs/vms.md).
/// </summary>
internal sealed partial class CibParser
{
    private readonly Dictionary<string, (string Node, long Since)> shutdownLocks = new(StringComparer.Ordinal);

    /// <summary>The epoch of a node's <c>shutdown</c> transient attribute when it is shutting down (non-zero), else null.</summary>
    private static long? ShuttingDownSince(NodeFacts node) =>
        node.Transient.TryGetValue("shutdown", out var value) && long.TryParse(value, NumberStyles.Integer, CultureInfo.InvariantCulture, out var at) && at > 0
            ? at : null;

    /// <summary>
    /// Records the lock of <paramref name="rsc"/> on <paramref name="node"/> (its lrm_resource <paramref name="lrm"/>): the
    /// resource's own shutdown-lock attribute, or, active on a node shutting down, the node's shutdown time.
    /// </summary>
    private void ShutdownLock(bool enabled, Resource rsc, NodeFacts node, XElement lrm, bool active)
    {
        if (!enabled) return;
        long? since = (string?)lrm.Attribute("shutdown-lock") is { } text
            ? long.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var at) ? at
                : throw Error(lrm, $"shutdown-lock '{text}' is not a time in seconds since the epoch")
            : active && node.Health == NodeHealth.Standby ? ShuttingDownSince(node) : null;
        if (since is { } s) shutdownLocks[rsc.Id] = (node.Name, s);
    }

    /// <summary>Each lock that still holds bans every other node for its resource (a warning says so).</summary>
    private void ApplyShutdownLocks(Dictionary<string, (string Value, XElement Element)> crm, IReadOnlyList<NodeFacts> nodes,
        Dictionary<string, Resource> resources, DateTimeOffset clock)
    {
        var limitMs = crm.TryGetValue("shutdown-lock-limit", out var l) ? CibHistory.DurationMs(l.Value)
            ?? throw Error(l.Element, $"shutdown-lock-limit '{l.Value}' is not a duration") : 0;
        foreach (var (id, (on, since)) in shutdownLocks)
        {
            var locked = DateTimeOffset.FromUnixTimeSeconds(since);
            if (limitMs > 0 && clock >= locked.AddMilliseconds(limitMs))
            {
                warnings.Add($"{id}: shutdown-lock to {on} since {locked:u} expired (shutdown-lock-limit {l.Value})");
                continue;
            }
            warnings.Add($"{id} is locked to {on} by shutdown-lock since {locked:u}");
            resources[id].Preferences.AddRange(nodes.Where(n => n.Name != on).Select(n => new NodePreference(n.Name, PlacementScores.Banned)));
        }
    }

    private static bool ShutdownLockEnabled(Dictionary<string, (string Value, XElement Element)> crm) =>
        crm.TryGetValue("shutdown-lock", out var value) && Flag(value.Value);
}
