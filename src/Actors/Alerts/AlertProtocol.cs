using System.Collections.Immutable;

namespace Haven.Actors.Alerts;

/// <summary>What an alert is about; <see cref="AlertKinds.Name"/> gives the word used in <c>haven.alerts.triggers</c>.</summary>
public enum AlertKind
{
    /// <summary>fence: a node is being fenced, or was fenced.</summary>
    Fence,

    /// <summary>fence-failed: fencing a node failed; its resources stay where they were.</summary>
    FenceFailed,

    /// <summary>failover: an address moved to another host after a node was lost or became unhealthy.</summary>
    Failover,

    /// <summary>unhealthy: a node's monitor failed.</summary>
    Unhealthy,

    /// <summary>healthy: a node's monitor passes again.</summary>
    Healthy,

    /// <summary>node-down: a node was downed (split-brain decision or operator).</summary>
    NodeDown,

    /// <summary>split-brain: a side lost the split-brain decision and demoted.</summary>
    SplitBrain,

    /// <summary>address-conflict: another machine answered for a floating address.</summary>
    AddressConflict,

    /// <summary>conntrack: a conntrackd promote, demote or monitor failed.</summary>
    Conntrack,
}

/// <summary>
/// One alert. <see cref="Key"/> identifies "the same thing happening again" for de-duplication (e.g.
/// <c>fence-failed:3</c>); <see cref="Text"/> is one line for people.
/// </summary>
public sealed record Alert(AlertKind Kind, string Key, string Text);

/// <summary>An alert as the policy accepted it: when, and how many duplicates of its key were suppressed before it.</summary>
public sealed record AlertRecord(Alert Alert, DateTimeOffset At, int SuppressedBefore = 0);

/// <summary>One e-mail: a single alert, or a summary of alerts held back by the rate limit.</summary>
public sealed record AlertMail(string Subject, string Body, ImmutableArray<AlertRecord> Alerts, bool IsSummary);

/// <summary>Delivers alert mails (implemented by <c>Haven.Adapters.Alerts.SmtpAlertSender</c>); throws when delivery failed.</summary>
public interface IAlertSender
{
    Task SendAsync(AlertMail mail, CancellationToken cancellationToken);
}

public static class AlertKinds
{
    /// <summary>The kebab-case name: <see cref="AlertKind.FenceFailed"/> → <c>fence-failed</c>.</summary>
    public static string Name(this AlertKind kind) => kind switch
    {
        AlertKind.Fence => "fence",
        AlertKind.FenceFailed => "fence-failed",
        AlertKind.Failover => "failover",
        AlertKind.Unhealthy => "unhealthy",
        AlertKind.Healthy => "healthy",
        AlertKind.NodeDown => "node-down",
        AlertKind.SplitBrain => "split-brain",
        AlertKind.AddressConflict => "address-conflict",
        AlertKind.Conntrack => "conntrack",
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "unknown alert kind"),
    };

    public static bool TryParse(string name, out AlertKind kind)
    {
        foreach (var k in Enum.GetValues<AlertKind>())
        {
            if (k.Name() == name)
            {
                kind = k;
                return true;
            }
        }

        kind = default;
        return false;
    }

    public static string AllNames => string.Join(", ", Enum.GetValues<AlertKind>().Select(Name));
}
