using System.Collections.Immutable;
using Haven.Actors.Cluster;
using Haven.Actors.Membership;
using Haven.Actors.SplitBrain;

namespace Haven.Actors.Configuration;

public static partial class ClusterConfig
{
    public const string RefereePath = "haven.split-brain-resolver.keep-referee.node";

    /// <summary>
    /// What one host's ClusterActor needs, from validated settings: the node list (or this host alone
    /// with id <see cref="SingleHostNodeId"/> when it is empty), this host by its effective node name,
    /// the split-brain settings with the keep-referee node mapped from its name to its id, the
    /// heuristics and the public addresses (with their preferred host and group). Throws <see cref="ConfigException"/> when this host or the
    /// referee is not in the node list.
    /// </summary>
    public static ClusterOptions ToClusterOptions(HavenSettings settings, string hostName)
    {
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(hostName);
        var selfName = settings.Cluster.EffectiveNodeName(hostName);
        var nodes = EffectiveNodes(settings.Cluster.Nodes, selfName);
        if (!nodes.Any(n => n.Name == selfName))
        {
            throw new ConfigException(NodeNamePath, null, NotInNodeList(settings.Cluster.NodeName, selfName, nodes));
        }

        var splitBrain = ToSplitBrainSettings(settings.SplitBrainResolver, settings.Heuristics, nodes, out var unknownReferee);
        if (unknownReferee is not null)
        {
            throw new ConfigException(RefereePath, null, UnknownReferee(unknownReferee, nodes));
        }

        var members = nodes.Select(n => new Member(new NodeId(n.Id), n.Name)).ToImmutableArray();
        return new ClusterOptions
        {
            ClusterName = settings.Cluster.Name,
            Self = members.Single(m => m.Name == selfName),
            Nodes = members,
            SplitBrain = splitBrain,
            PublicAddresses = [.. settings.Ips.PublicAddresses.Select(a => new PublicAddress(a.Ip, a.Mask, a.Interface, a.PreferredHost, a.Group))],
            HeuristicsInterval = settings.Heuristics.Interval,
            Fencing = settings.Fencing.Policy,
            HostConfig = settings.Source,
            Snapshots = new Haven.Actors.Cluster.SnapshotPolicy(settings.Journal.SnapshotEvery, settings.Journal.KeepEvents),
        };
    }

    /// <summary>The configuration word of a strategy, as <see cref="SplitBrainSettings.StrategyNames"/> spells it.</summary>
    public static string StrategyName(SplitBrainStrategyKind kind) => kind switch
    {
        SplitBrainStrategyKind.KeepMajority => "keep-majority",
        SplitBrainStrategyKind.StaticQuorum => "static-quorum",
        SplitBrainStrategyKind.KeepOldest => "keep-oldest",
        SplitBrainStrategyKind.KeepReferee => "keep-referee",
        SplitBrainStrategyKind.DownAll => "down-all",
        SplitBrainStrategyKind.VoteQuorum => "votequorum",
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "unknown split-brain strategy"),
    };

    /// <summary>The configured nodes, or this host alone (named <paramref name="selfName"/>, id 1) when there are none.</summary>
    internal static ImmutableArray<NodeSettings> EffectiveNodes(ImmutableArray<NodeSettings> configured, string selfName) =>
        configured.IsDefaultOrEmpty ? [new NodeSettings(selfName, SingleHostNodeId)] : configured;

    /// <summary>
    /// The resolver's settings over <paramref name="nodes"/>. The referee is given by name; a name that
    /// is not in <paramref name="nodes"/> comes back in <paramref name="unknownReferee"/> (and the
    /// referee is left unset).
    /// </summary>
    internal static SplitBrainSettings ToSplitBrainSettings(
        SplitBrainResolverSettings resolver, HeuristicsSettings heuristics, ImmutableArray<NodeSettings> nodes, out string? unknownReferee)
    {
        unknownReferee = null;
        NodeId? referee = null;
        if (resolver.KeepRefereeNode.Length > 0)
        {
            var node = nodes.FirstOrDefault(n => n.Name == resolver.KeepRefereeNode);
            if (node is null)
            {
                unknownReferee = resolver.KeepRefereeNode;
            }
            else
            {
                referee = new NodeId(node.Id);
            }
        }

        return new SplitBrainSettings
        {
            Nodes = [.. nodes.Select(n => new NodeId(n.Id))],
            Strategy = StrategyName(resolver.ActiveStrategy),
            NoQuorumPolicy = resolver.NoQuorumPolicy,
            StableAfter = resolver.StableAfter,
            DownAllWhenUnstableEnabled = resolver.DownAllWhenUnstable,
            QuorumSize = resolver.StaticQuorumSize,
            DownIfAlone = resolver.KeepOldestDownIfAlone,
            Referee = referee,
            RefereeMinimumMembers = resolver.KeepRefereeDownAllIfLessThanNodes,
            UseIpHeuristics = heuristics.Enabled,
            HeuristicAddresses = heuristics.Addresses.IsDefault ? [] : heuristics.Addresses,
        };
    }

    private static string KnownNames(ImmutableArray<NodeSettings> nodes) => string.Join(", ", nodes.Select(n => n.Name));

    private static string NotInNodeList(string configuredName, string effectiveName, ImmutableArray<NodeSettings> nodes) =>
        configuredName.Length > 0
            ? $"node \"{effectiveName}\" is not in {NodesPath} (known: {KnownNames(nodes)})"
            : $"is \"\", so this host is named by its host name \"{effectiveName}\", which is not in {NodesPath} (known: {KnownNames(nodes)}); set {NodeNamePath} to one of them";

    private static string UnknownReferee(string name, ImmutableArray<NodeSettings> nodes) =>
        $"node \"{name}\" is not in {NodesPath} (known: {KnownNames(nodes)})";
}
