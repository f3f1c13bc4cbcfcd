namespace Haven.Actors.Fencing;

/// <summary>HA-Lizard's fencing rules as settings (FENCE_ENABLED, FENCE_MIN_HOSTS, FENCE_QUORUM_REQUIRED, …).</summary>
public sealed record FencingPolicy
{
    public bool Enabled { get; init; } = true;

    /// <summary>No fencing when fewer than this many hosts remain in this host's partition (FENCE_MIN_HOSTS).</summary>
    public int MinHosts { get; init; } = 1;

    /// <summary>Fence only from a quorate partition (FENCE_QUORUM_REQUIRED).</summary>
    public bool QuorumRequired { get; init; } = true;

    /// <summary>Recover a host's resources even when fencing it failed (FENCE_HA_ONFAIL; unsafe, default off).</summary>
    public bool RecoverOnFailure { get; init; }

    /// <summary>A host that sees no other member reboots itself instead of fencing (FENCE_REBOOT_LONE_HOST).</summary>
    public bool RebootLoneHost { get; init; }

    /// <summary>In a two-host fence race, how long the side holding less waits before it fences.</summary>
    public TimeSpan PriorityDelay { get; init; } = TimeSpan.Zero;
}

/// <summary>What this host's partition looks like when it is about to fence.</summary>
public sealed record FencingContext(int HostsRemaining, int HostsConfigured, bool Quorate);

/// <summary>The rules' answer before fencing.</summary>
public enum FenceVerdict
{
    Proceed,
    Refuse,

    /// <summary>This host is alone and reboot-lone-host is on: it reboots itself instead of fencing.</summary>
    RebootSelf,
}

public sealed record FenceDecision(FenceVerdict Verdict, string Reason)
{
    public static readonly FenceDecision Proceed = new(FenceVerdict.Proceed, "");
}

/// <summary>What happens to a lost host's resources after fencing it failed.</summary>
public enum FailedFenceRecovery
{
    /// <summary>Nothing is recovered; the fence is retried and an alert raised (the default).</summary>
    Block,

    /// <summary>Resources are recovered anyway (recover-on-failure; risks split brain on shared storage).</summary>
    RecoverAnyway,
}

/// <summary>The fencing rules as pure functions.</summary>
public static class FencingRules
{
    /// <summary>Whether to fence now, refuse, or reboot this lone host instead.</summary>
    public static FenceDecision Decide(FencingPolicy policy, FencingContext context)
    {
        ArgumentNullException.ThrowIfNull(policy);
        ArgumentNullException.ThrowIfNull(context);
        if (!policy.Enabled)
        {
            return new(FenceVerdict.Refuse, "fencing is disabled (haven.fencing.enabled = off)");
        }

        if (policy.RebootLoneHost && context.HostsRemaining == 1 && context.HostsConfigured > 1)
        {
            return new(FenceVerdict.RebootSelf, "this host sees no other member and reboot-lone-host is on: it reboots itself instead of fencing");
        }

        if (policy.QuorumRequired && !context.Quorate)
        {
            return new(FenceVerdict.Refuse, "this partition has no quorum and quorum-required is on");
        }

        if (context.HostsRemaining < policy.MinHosts)
        {
            return new(FenceVerdict.Refuse, $"only {context.HostsRemaining} host(s) remain, fewer than min-hosts = {policy.MinHosts}");
        }

        return FenceDecision.Proceed;
    }

    public static FailedFenceRecovery AfterFailure(FencingPolicy policy) =>
        policy.RecoverOnFailure ? FailedFenceRecovery.RecoverAnyway : FailedFenceRecovery.Block;

    /// <summary>
    /// How long this host waits before fencing its peer in a two-host race: nothing when it holds more
    /// (weight of resources, priorities) than the peer, the priority delay when it holds less, and on a
    /// tie the host with the lower node id goes first. Clusters of more than two hosts never wait.
    /// </summary>
    public static TimeSpan PriorityDelay(FencingPolicy policy, int hostsConfigured, long ownWeight, long peerWeight, bool ownIdIsLower)
    {
        if (hostsConfigured != 2 || policy.PriorityDelay <= TimeSpan.Zero)
        {
            return TimeSpan.Zero;
        }

        return ownWeight > peerWeight || (ownWeight == peerWeight && ownIdIsLower) ? TimeSpan.Zero : policy.PriorityDelay;
    }
}
