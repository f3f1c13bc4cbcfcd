using System.Globalization;
using System.Xml.Linq;
using Haven.Actors.Placement;

namespace Haven.Adapters.Placement;

/// <summary>Failed operations and fail counts as a CIB records them (see <see cref="CibReader"/>).</summary>
internal sealed partial class CibParser
{
    /// <summary>What a failed operation does, by its on-fail (Pacemaker's defaults: fence for a stop when fencing is on, else block; restart otherwise) and its kind.</summary>
    private void Failure(Resource rsc, NodeFacts node, string op, long interval, FailureKind kind, bool active, bool stonith)
    {
        if (!active)
        {
            if (kind == FailureKind.Hard) rsc.Preferences.Add(new NodePreference(node.Name, PlacementScores.Banned)); // a probe: cannot run here
            return;
        }
        var onFail = OnFail(rsc, op, interval) ?? (op == "stop" ? (stonith ? "fence" : "block") : "restart");
        if (onFail == "fence" && !stonith) onFail = "block";
        switch (onFail)
        {
            case "ignore":
                return;
            case "block":
                rsc.Unmanaged = true;
                warnings.Add($"{rsc.Id}: {op} failed on {node.Name} with on-fail=block: left as it is");
                return;
            case "stop":
                rsc.StopIt = true;
                return;
            case "fence":
                Fence(node, $"{rsc.Id} failed there", fencedByHistory, stonith);
                break;
            case "standby":
                if (node.Health == NodeHealth.Online) node.Health = NodeHealth.Standby;
                break;
        }
        rsc.Failed = true;
        if (kind == FailureKind.Hard) rsc.Preferences.Add(new NodePreference(node.Name, PlacementScores.Banned));
        if (kind == FailureKind.Fatal) rsc.StopIt = true;
    }

    /// <summary>The on-fail of the configured operation with that name and interval (ms), if it states one.</summary>
    private static string? OnFail(Resource rsc, string op, long interval)
    {
        foreach (var o in rsc.Element.Elements("operations").Elements("op"))
            if ((string?)o.Attribute("name") == op && (CibHistory.DurationMs((string?)o.Attribute("interval")) ?? 0) == interval)
                return (string?)o.Attribute("on-fail");
        return null;
    }

    /// <summary>The sum of fail-count-RSC and fail-count-RSC#OP_INTERVAL on the node, 0 once failure-timeout has passed since last-failure.</summary>
    private static long FailCount(NodeFacts node, string rsc, long timeoutMs, DateTimeOffset clock)
    {
        long count = 0, last = 0;
        foreach (var (name, value) in node.Transient)
        {
            if (Matches(name, "fail-count-", rsc))
                count = Math.Min(PlacementScores.Infinity, count + (value is "INFINITY" or "+INFINITY" ? PlacementScores.Infinity : Math.Max(0, CibHistory.Long(value, 0))));
            else if (Matches(name, "last-failure-", rsc)) last = Math.Max(last, CibHistory.Long(value, 0));
        }
        if (count > 0 && timeoutMs > 0 && last > 0 && clock.ToUnixTimeMilliseconds() > last * 1000 + timeoutMs) return 0;
        return count;
    }

    private static bool Matches(string name, string prefix, string rsc) =>
        name.StartsWith(prefix, StringComparison.Ordinal) && name.AsSpan(prefix.Length).StartsWith(rsc, StringComparison.Ordinal)
        && (name.Length == prefix.Length + rsc.Length || name[prefix.Length + rsc.Length] == '#');
}
