using System.Collections.Immutable;
using Haven.Actors.Cluster;

namespace Haven.Actors.Events;

/// <summary>Whether an interface has link, and what was read (carrier, operstate).</summary>
public sealed record LinkStatus(bool Up, string Detail);

/// <summary>Reads an interface's link state (implemented over /sys/class/net in Haven.Adapters.Events).</summary>
public interface ILinkState
{
    LinkStatus Check(string interfaceName);
}

/// <summary>How this host monitors itself: how often, how many good rounds make it healthy, which interfaces need link.</summary>
public sealed record MonitorOptions(TimeSpan Interval, int HealthyAfter, ImmutableArray<string> Interfaces)
{
    public static MonitorOptions Create(TimeSpan interval, int healthyAfter, IEnumerable<string> interfaces)
    {
        if (interval <= TimeSpan.Zero) throw new ArgumentOutOfRangeException(nameof(interval), interval, "the monitor interval must be positive");
        if (healthyAfter < 1) throw new ArgumentOutOfRangeException(nameof(healthyAfter), healthyAfter, "healthy-after must be at least 1");
        return new MonitorOptions(interval, healthyAfter, [.. interfaces.Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal)]);
    }
}

/// <summary>One monitor round: healthy, or the reasons it is not.</summary>
public sealed record MonitorOutcome(bool Healthy, string Reason)
{
    public static readonly MonitorOutcome Good = new(true, "");

    /// <summary>The monitor event's result and each interface's link, as one verdict (every failure named).</summary>
    public static MonitorOutcome From(EventRunResult monitor, IEnumerable<(string Interface, LinkStatus Link)> links)
    {
        ArgumentNullException.ThrowIfNull(monitor);
        var reasons = new List<string>();
        foreach (var (name, link) in links)
            if (!link.Up) reasons.Add($"interface {name} has no link ({link.Detail})");
        if (monitor.Errors.Length > 0) reasons.Add($"monitor event not run: {string.Join("; ", monitor.Errors)}");
        else if (monitor.FirstFailure is { } f)
            reasons.Add(f.TimedOut ? $"monitor script {f.Name} timed out" : $"monitor script {f.Name} exited with {f.ExitCode}");
        return reasons.Count == 0 ? Good : new MonitorOutcome(false, string.Join("; ", reasons));
    }
}

/// <summary>
/// CTDB's health rule as a pure decision: a failed monitor makes the host UNHEALTHY at once; it is healthy again
/// after <c>healthyAfter</c> good monitors in a row. Reports only changes (and the first healthy verdict).
/// </summary>
public sealed record HealthTracker(int ConsecutiveGood, bool? Reported)
{
    public static readonly HealthTracker Initial = new(0, null);

    public (HealthTracker Next, ReportHealth? Report) Observe(MonitorOutcome outcome, int healthyAfter)
    {
        ArgumentNullException.ThrowIfNull(outcome);
        if (!outcome.Healthy)
            return Reported == false
                ? (this with { ConsecutiveGood = 0 }, null)
                : (new HealthTracker(0, false), new ReportHealth(false, outcome.Reason));
        var good = ConsecutiveGood + 1;
        return good >= healthyAfter && Reported != true
            ? (new HealthTracker(good, true), new ReportHealth(true, ""))
            : (this with { ConsecutiveGood = good }, null);
    }
}
