using System.Collections.Immutable;
using System.Net;
using Haven.Actors.Membership;

namespace Haven.Actors.SplitBrain;

/// <summary>Thrown when split-brain settings are invalid; <see cref="Errors"/> lists every problem.</summary>
public sealed class SplitBrainConfigurationException(IReadOnlyList<string> errors)
    : Exception("Invalid split-brain settings: " + string.Join("; ", errors))
{
    public IReadOnlyList<string> Errors { get; } = errors;
}

/// <summary>
/// Pacemaker's no-quorum-policy: what a host does with its resources when its side lost the split-brain decision
/// (it has no quorum). In every case the losing side decides nothing (no DC, nothing placed or fenced) and the
/// primary fences it before it recovers anything of it.
/// </summary>
public enum NoQuorumPolicy
{
    /// <summary>Release its addresses and stop its VMs (graceful, then forced): Pacemaker's default.</summary>
    Stop,

    /// <summary>Release its addresses, keep its VMs running as they are and start nothing (Haven before no-quorum-policy).</summary>
    Freeze,

    /// <summary>Keep its addresses and VMs as they are (only the primary's fence ends them).</summary>
    Ignore,

    /// <summary>As stop: Haven has no promotable resources besides conntrackd, which follows the addresses.</summary>
    Demote,

    /// <summary>Stop everything, then reboot itself (reboot-command, or the watchdog): Pacemaker's fence.</summary>
    Fence,

    /// <summary>Pacemaker's older name of fence.</summary>
    Suicide,
}

/// <summary>
/// The split-brain resolver's configuration (haven.split-brain.*). <see cref="Validate"/> lists every
/// error; <see cref="CreateStrategy"/> throws them all at once.
/// </summary>
public sealed record SplitBrainSettings
{
    /// <summary>Strategy names as written in the configuration.</summary>
    public static readonly ImmutableArray<string> StrategyNames =
        ["keep-majority", "static-quorum", "keep-oldest", "keep-referee", "down-all", "votequorum"];

    /// <summary>The configured node ids (the cluster's node list).</summary>
    public ImmutableArray<NodeId> Nodes { get; init; } = [];

    public string Strategy { get; init; } = "keep-majority";

    /// <summary>What the losing side does with its resources (Pacemaker's no-quorum-policy).</summary>
    public NoQuorumPolicy NoQuorumPolicy { get; init; } = NoQuorumPolicy.Stop;

    /// <summary>How long the membership must stay unchanged before a decision.</summary>
    public TimeSpan StableAfter { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// Extra instability tolerated beyond <see cref="StableAfter"/> before everyone is downed; null turns
    /// it off. Default: three quarters of stable-after, at least <see cref="MinimumUnstableTolerance"/> (so down-all after
    /// 1.75 × stable-after of flapping, and never within 1 s of a short stable-after: hosts that join a few hundred ms
    /// apart are not flapping).
    /// </summary>
    public TimeSpan? DownAllWhenUnstable { get; init; }

    /// <summary>Whether <see cref="DownAllWhenUnstable"/> applies at all.</summary>
    public bool DownAllWhenUnstableEnabled { get; init; } = true;

    /// <summary>static-quorum: members a side needs to survive.</summary>
    public int QuorumSize { get; init; }

    /// <summary>keep-oldest: an oldest member alone on its side gives way to a larger side.</summary>
    public bool DownIfAlone { get; init; } = true;

    /// <summary>keep-referee: the referee node.</summary>
    public NodeId? Referee { get; init; }

    /// <summary>keep-referee: members the referee's side needs, else everyone is downed.</summary>
    public int RefereeMinimumMembers { get; init; } = 1;

    /// <summary>HA-Lizard FENCE_USE_IP_HEURISTICS: keep-majority breaks ties with reachability of the addresses below.</summary>
    public bool UseIpHeuristics { get; init; }

    /// <summary>HA-Lizard FENCE_HEURISTICS_IPS: addresses or host names; a side must reach all of them.</summary>
    public ImmutableArray<string> HeuristicAddresses { get; init; } = [];

    /// <summary>The instability tolerance actually used, or null when off.</summary>
    public TimeSpan? EffectiveDownAllWhenUnstable =>
        DownAllWhenUnstableEnabled ? DownAllWhenUnstable ?? Max(StableAfter * 0.75, MinimumUnstableTolerance) : null;

    /// <summary>The least default instability tolerance (<see cref="DownAllWhenUnstable"/> unset).</summary>
    public static readonly TimeSpan MinimumUnstableTolerance = TimeSpan.FromSeconds(1);

    private static TimeSpan Max(TimeSpan a, TimeSpan b) => a > b ? a : b;

    public IReadOnlyList<string> Validate()
    {
        var errors = new List<string>();
        if (Nodes.IsDefaultOrEmpty)
            errors.Add("split-brain.nodes is empty; the resolver needs the configured node list");
        else if (Nodes.Distinct().Count() != Nodes.Length)
            errors.Add($"split-brain.nodes names a node twice: {string.Join(", ", Nodes.GroupBy(n => n).Where(g => g.Count() > 1).Select(g => g.Key))}");
        var nodeCount = Nodes.IsDefault ? 0 : Nodes.Length;
        if (!StrategyNames.Contains(Strategy))
            errors.Add($"split-brain.strategy '{Strategy}' is unknown; use one of {string.Join(", ", StrategyNames)}");
        if (StableAfter <= TimeSpan.Zero)
            errors.Add($"split-brain.stable-after must be positive, got {StableAfter}");
        if (DownAllWhenUnstable is { } extra && extra < TimeSpan.Zero)
            errors.Add($"split-brain.down-all-when-unstable must not be negative, got {extra}");
        switch (Strategy)
        {
            case "static-quorum":
                if (QuorumSize < 1)
                    errors.Add($"split-brain.static-quorum.quorum-size must be at least 1, got {QuorumSize}");
                else if (QuorumSize > nodeCount)
                    errors.Add($"split-brain.static-quorum.quorum-size {QuorumSize} is larger than the {nodeCount} configured nodes");
                else if (QuorumSize * 2 <= nodeCount)
                    errors.Add($"split-brain.static-quorum.quorum-size {QuorumSize} is not more than half of {nodeCount} nodes; both halves of a split could survive (use at least {nodeCount / 2 + 1})");
                break;
            case "keep-referee":
                if (Referee is not { } referee)
                    errors.Add("split-brain.keep-referee.referee is not set");
                else if (Nodes.IsDefault || !Nodes.Contains(referee))
                    errors.Add($"split-brain.keep-referee.referee {referee} is not a configured node");
                if (RefereeMinimumMembers < 1 || RefereeMinimumMembers > Math.Max(1, nodeCount))
                    errors.Add($"split-brain.keep-referee.down-all-if-less-than-nodes must be between 1 and {Math.Max(1, nodeCount)}, got {RefereeMinimumMembers}");
                break;
        }
        if (UseIpHeuristics)
        {
            if (Strategy != "keep-majority")
                errors.Add($"split-brain.ip-heuristics applies to keep-majority only, not to '{Strategy}'");
            if (HeuristicAddresses.IsDefaultOrEmpty)
                errors.Add("split-brain.ip-heuristics is on but heuristic-addresses is empty");
            else
                foreach (var address in HeuristicAddresses)
                    if (!IsAddressOrHostName(address))
                        errors.Add($"split-brain.heuristic-addresses entry '{address}' is neither an IP address nor a host name");
        }
        return errors;
    }

    public DowningStrategy CreateStrategy()
    {
        var errors = Validate();
        if (errors.Count > 0) throw new SplitBrainConfigurationException(errors);
        return Strategy switch
        {
            "keep-majority" => new KeepMajorityStrategy(UseIpHeuristics),
            "static-quorum" => new StaticQuorumStrategy(QuorumSize),
            "keep-oldest" => new KeepOldestStrategy(DownIfAlone),
            "keep-referee" => new KeepRefereeStrategy(Referee!.Value, RefereeMinimumMembers),
            "down-all" => new DownAllStrategy(),
            "votequorum" => new VoteQuorumStrategy(),
            _ => throw new SplitBrainConfigurationException([$"split-brain.strategy '{Strategy}' is unknown"]),
        };
    }

    /// <summary>A fresh stability tracker for these settings, started at <paramref name="now"/>.</summary>
    public StableAfterTracker CreateTracker(DateTimeOffset now) => StableAfterTracker.Start(StableAfter, EffectiveDownAllWhenUnstable, now);

    private static bool IsAddressOrHostName(string value) =>
        !string.IsNullOrWhiteSpace(value)
        && (IPAddress.TryParse(value, out _) || Uri.CheckHostName(value) == UriHostNameType.Dns);
}
