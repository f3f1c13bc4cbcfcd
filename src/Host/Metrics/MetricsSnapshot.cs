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
    /// <summary>Floating addresses by holder name (every member, 0 for those holding none).</summary>
    public IReadOnlyDictionary<string, int> AddressesByNode { get; init; } = new Dictionary<string, int>();

    /// <summary>Recoveries (CTDB recovery generations: failovers and reallocations) the replicated state has seen.</summary>
    public long Recoveries { get; init; }

    /// <summary>Confirmed fences of this daemon and their total duration (from the fence history).</summary>
    public long FencesSucceeded { get; init; }
    public double FenceSecondsSum { get; init; }

    public long ScriptRuns { get; init; }
    public long ScriptFailures { get; init; }

    /// <summary>Managed VMs by state (running, stopped, failed, …).</summary>
    public IReadOnlyDictionary<string, int> VmsByState { get; init; } = new Dictionary<string, int>();

    /// <summary>Every member state and partition role, so a series exists (at 0) before anything is in it.</summary>
    public static readonly IReadOnlyList<string> MemberStates =
        ["joining", "up", "unreachable", "down", "fenced", "leaving", "left", "standby", "maintenance", "unhealthy"];
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
        Header(sb, "haven_addresses", "gauge", "Floating addresses by the node holding them.");
        foreach (var (node, count) in AddressesByNode.OrderBy(n => n.Key, StringComparer.Ordinal))
            Sample(sb, "haven_addresses", count, ("node", node));
        Single(sb, "haven_recoveries_total", "counter", "Recoveries (failovers and address reallocations) in the replicated state.", Recoveries);
        Single(sb, "haven_fences_succeeded_total", "counter", "Fences of this daemon confirmed off (from its fence history).", FencesSucceeded);
        Header(sb, "haven_fence_duration_seconds_sum", "counter", "Total time the confirmed fences of this daemon took.");
        sb.Append("haven_fence_duration_seconds_sum ").Append(FenceSecondsSum.ToString("0.###", CultureInfo.InvariantCulture)).Append('\n');
        Single(sb, "haven_event_script_runs_total", "counter", "Event script runs of this host since the daemon started.", ScriptRuns);
        Single(sb, "haven_event_script_failures_total", "counter", "Event script runs that failed or timed out.", ScriptFailures);
        Header(sb, "haven_vms", "gauge", "Managed VMs by state.");
        foreach (var (state, count) in VmsByState.OrderBy(n => n.Key, StringComparer.Ordinal))
            Sample(sb, "haven_vms", count, ("state", state));
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
