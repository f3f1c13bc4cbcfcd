using System.Globalization;
using System.Text;

namespace Haven.Host.Metrics;

/// <summary>What one scrape reports, read from the daemon's state at scrape time.</summary>
internal sealed record MetricsSnapshot(
    IReadOnlyDictionary<string, int> MembersByState,
    bool Quorate,
    bool IsDc,
    string Partition,
    long EventsJournaled,
    long ReplicatedEvents,
    long FenceAttempts,
    long FenceFailures,
    int AddressesHeld)
{
    /// <summary>Every member state and partition role, so a series exists (at 0) before anything is in it.</summary>
    public static readonly IReadOnlyList<string> MemberStates = ["joining", "up", "unreachable", "down", "fenced", "leaving", "left"];
    public static readonly IReadOnlyList<string> PartitionRoles = ["joining", "primary", "minority"];

    public const string ContentType = "text/plain; version=0.0.4; charset=utf-8";

    /// <summary>The Prometheus text exposition format, version 0.0.4.</summary>
    public string ToPrometheusText()
    {
        var sb = new StringBuilder();
        Header(sb, "haven_members", "gauge", "Cluster members by state, as this host sees them.");
        foreach (var state in MemberStates.Concat(MembersByState.Keys.Except(MemberStates)))
            Sample(sb, "haven_members", MembersByState.GetValueOrDefault(state), ("state", state));
        Single(sb, "haven_quorate", "gauge", "1 when this host's partition has quorum.", Quorate ? 1 : 0);
        Single(sb, "haven_is_dc", "gauge", "1 when this host is the designated coordinator.", IsDc ? 1 : 0);
        Header(sb, "haven_partition", "gauge", "1 for this host's partition role, 0 for the others.");
        foreach (var role in PartitionRoles.Concat(PartitionRoles.Contains(Partition) ? [] : [Partition]))
            Sample(sb, "haven_partition", role == Partition ? 1 : 0, ("role", role));
        Single(sb, "haven_events_journaled_total", "counter", "Events in this host's journal.", EventsJournaled);
        Single(sb, "haven_replicated_events", "gauge", "Length of the replicated event stream this host applied.", ReplicatedEvents);
        Single(sb, "haven_fence_attempts_total", "counter", "Fence requests this daemon made (from its fence history).", FenceAttempts);
        Single(sb, "haven_fence_failures_total", "counter", "Fences of this daemon that failed on every device (from its fence history).", FenceFailures);
        Single(sb, "haven_addresses_held", "gauge", "Floating addresses this host holds.", AddressesHeld);
        return sb.ToString();
    }

    private static void Header(StringBuilder sb, string name, string type, string help) =>
        sb.Append("# HELP ").Append(name).Append(' ').Append(help).Append('\n')
          .Append("# TYPE ").Append(name).Append(' ').Append(type).Append('\n');

    private static void Single(StringBuilder sb, string name, string type, string help, long value)
    {
        Header(sb, name, type, help);
        Sample(sb, name, value);
    }

    private static void Sample(StringBuilder sb, string name, long value, params (string Name, string Value)[] labels)
    {
        sb.Append(name);
        if (labels.Length > 0)
            sb.Append('{').Append(string.Join(",", labels.Select(l => $"{l.Name}=\"{Escape(l.Value)}\""))).Append('}');
        sb.Append(' ').Append(value.ToString(CultureInfo.InvariantCulture)).Append('\n');
    }

    /// <summary>Label values escape backslash, double quote and line feed (the 0.0.4 format's rule).</summary>
    internal static string Escape(string value) => value.Replace("\\", "\\\\", StringComparison.Ordinal)
        .Replace("\"", "\\\"", StringComparison.Ordinal).Replace("\n", "\\n", StringComparison.Ordinal);
}
