using System.Globalization;
using System.Xml.Linq;

namespace Haven.Adapters.Placement;

/// <summary>How bad a failed operation is (Pacemaker Explained, "OCF Return Codes": soft, hard, fatal).</summary>
internal enum FailureKind
{
    /// <summary>rc 1, 7 or 8 where not expected, 9, a timeout: recover where it is (or move once migration-threshold is reached).</summary>
    Soft,
    /// <summary>rc 2, 3, 4, 5: the node cannot run it; move it elsewhere and ban that node.</summary>
    Hard,
    /// <summary>rc 6 (not configured): it can run nowhere; stop it.</summary>
    Fatal,
}

/// <summary>What a resource's operation history (lrm_rsc_op) on one node says.</summary>
/// <param name="Active">running there (started, found running by a probe or monitor, or its stop failed).</param>
/// <param name="FailedOp">the failed operation that left it failed (name and interval in ms), null when none.</param>
internal sealed record NodeHistory(bool Active, string? FailedOp, long FailedInterval, FailureKind Kind);

/// <summary>
/// Reads one lrm_resource's operation history as Pacemaker's scheduler does: operations in call-id order (pending ones,
/// call-id -1, last); the expected rc from the transition-key (PCMK's "action:transition:target-rc:uuid"; a probe expects
/// 7, anything else 0); an operation whose rc-code or op-status differs from what was expected has failed.
/// </summary>
internal static class CibHistory
{
    public static NodeHistory Read(XElement lrmResource)
    {
        var ops = lrmResource.Elements("lrm_rsc_op")
            .Select(op => (Op: op, Call: Long((string?)op.Attribute("call-id"), -1)))
            .OrderBy(o => o.Call < 0 ? long.MaxValue : o.Call)
            .ToList();
        var active = false;
        string? failedOp = null;
        long failedInterval = 0;
        var kind = FailureKind.Soft;
        foreach (var (op, call) in ops)
        {
            var name = (string?)op.Attribute("operation") ?? "";
            var interval = Long((string?)op.Attribute("interval"), 0);
            var status = Long((string?)op.Attribute("op-status"), 0);
            var rc = Long((string?)op.Attribute("rc-code"), 0);
            var probe = name == "monitor" && interval == 0;
            var target = Target((string?)op.Attribute("transition-key"), probe ? 7 : 0);
            if (status == -1 || call < 0 || rc == 193) // pending: a start or migration in flight is taken as running
            {
                if (name is "start" or "migrate_from" or "stop") active = true;
                continue;
            }
            if (status == 1) continue; // cancelled
            var ok = status == 0 && (rc == target || (probe && rc is 0 or 7 or 8) || (name == "monitor" && target == 7 && rc is 0 or 8));
            if (ok)
            {
                switch (name)
                {
                    case "start" or "migrate_from" or "promote" or "demote":
                        active = true;
                        failedOp = null;
                        break;
                    case "stop":
                        active = false;
                        failedOp = null;
                        break;
                    case "monitor":
                        active = rc is 0 or 8; // a probe or a role=Stopped monitor that found it running
                        break;
                }
                continue;
            }
            if (probe && status == 0 && rc is 2 or 3 or 4 or 5)
            {
                // a probe that finds the agent cannot run here: not running, and this node is banned
                active = false;
                failedOp = name;
                failedInterval = 0;
                kind = FailureKind.Hard;
                continue;
            }
            // failed: it is (or may be) running there until a stop succeeds
            active = true;
            failedOp = name;
            failedInterval = interval;
            kind = status switch
            {
                6 => FailureKind.Hard,
                7 => FailureKind.Fatal,
                _ => status != 0 ? FailureKind.Soft : rc switch
                {
                    2 or 3 or 4 or 5 => FailureKind.Hard,
                    6 => FailureKind.Fatal,
                    _ => FailureKind.Soft,
                },
            };
        }
        return new NodeHistory(active, failedOp, failedInterval, kind);
    }

    /// <summary>The target rc in a transition-key "action:transition:target-rc:uuid", else <paramref name="fallback"/>.</summary>
    private static long Target(string? key, long fallback)
    {
        if (key is null) return fallback;
        var parts = key.Split(':');
        return parts.Length >= 4 ? Long(parts[2], fallback) : fallback;
    }

    internal static long Long(string? value, long fallback) =>
        long.TryParse(value, NumberStyles.Integer, CultureInfo.InvariantCulture, out var n) ? n : fallback;

    /// <summary>A Pacemaker duration in ms: "10" (seconds), "10s", "500ms", "2min"/"2m", "1h"; null when unreadable.</summary>
    internal static long? DurationMs(string? value)
    {
        if (string.IsNullOrWhiteSpace(value)) return null;
        var v = value.Trim().ToLowerInvariant();
        var digits = 0;
        while (digits < v.Length && char.IsAsciiDigit(v[digits])) digits++;
        if (digits == 0 || !long.TryParse(v.AsSpan(0, digits), NumberStyles.None, CultureInfo.InvariantCulture, out var n)) return null;
        long? scale = v[digits..].Trim() switch
        {
            "" or "s" or "sec" => 1000,
            "ms" or "msec" => 1,
            "m" or "min" => 60_000,
            "h" or "hr" => 3_600_000,
            _ => null,
        };
        return scale is { } s ? checked(n * s) : null;
    }
}
