namespace Haven.Actors.Configuration;

public static partial class FencingConfig
{
    /// <summary>
    /// HA-Lizard's warning for a cluster of several hosts (transport = corosync) with fencing off: a
    /// lost host cannot be confirmed off, so its addresses and VMs never move (unless recover-on-failure
    /// moves them unfenced). Null when there is nothing to warn about. <c>haven config check</c> and
    /// <c>haven health</c> say it.
    /// </summary>
    public static string? LostHostsWarning(HavenSettings settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        if (settings.Cluster.Transport != ClusterTransportKind.Corosync || settings.Fencing.Enabled) return null;
        return settings.Fencing.Policy.RecoverOnFailure
            ? $"fencing is off ({Root}.enabled = off) and {Root}.recover-on-failure = on: a lost host's addresses and VMs move to other hosts without it being fenced, and may then run twice"
            : $"fencing is off ({Root}.enabled = off): a lost host's addresses and VMs will not move to other hosts; they stay where they were until an operator confirms the host is off (haven fence confirm NODE). Configure fence devices and {Root}.enabled = on to have them moved";
    }
}
