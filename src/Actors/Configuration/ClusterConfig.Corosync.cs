using System.Collections.Immutable;
using System.Globalization;

namespace Haven.Actors.Configuration;

public static partial class ClusterConfig
{
    /// <summary>
    /// The node list a corosync host runs with, as Pacemaker takes it: corosync's nodelist (cmap's
    /// <c>nodelist.node.X.name</c>/<c>ring0_addr</c> and <c>nodelist.node.X.nodeid</c>), given here as
    /// <paramref name="corosync"/>. <c>haven.cluster.nodes</c> may be left empty; when it is given it
    /// must be the same set of names and ids. Throws <see cref="ConfigException"/> naming every
    /// difference, or what is wrong with corosync's list (a name Haven cannot use, a duplicate, this
    /// host — <c>haven.cluster.node-name</c>, else <paramref name="hostName"/> — not in it).
    /// </summary>
    public static HavenSettings WithCorosyncNodes(HavenSettings settings, ImmutableArray<NodeSettings> corosync, string hostName)
    {
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(hostName);
        if (CorosyncListProblems(corosync) is { Count: > 0 } problems)
        {
            throw new ConfigException(NodesPath, null, $"corosync's nodelist cannot be used: {string.Join("; ", problems)}");
        }

        var configured = settings.Cluster.Nodes;
        if (!configured.IsDefaultOrEmpty && NodeListDifferences(configured, corosync) is { Count: > 0 } differences)
        {
            throw new ConfigException(NodesPath, null,
                $"does not match corosync's nodelist: {string.Join("; ", differences)}; make them the same, or remove {NodesPath} to use corosync's");
        }

        var self = settings.Cluster.EffectiveNodeName(hostName);
        if (!corosync.Any(n => n.Name == self))
        {
            throw new ConfigException(NodeNamePath, null, settings.Cluster.NodeName.Length > 0
                ? $"node \"{self}\" is not in corosync's nodelist (known: {KnownNames(corosync)})"
                : $"is \"\", so this host is named by its host name \"{self}\", which is not in corosync's nodelist (known: {KnownNames(corosync)}); set {NodeNamePath} to one of them");
        }

        return settings with { Cluster = settings.Cluster with { Nodes = [.. corosync.OrderBy(n => n.Id)] } };
    }

    /// <summary>
    /// How <paramref name="configured"/> (<c>haven.cluster.nodes</c>) differs from corosync's nodelist,
    /// node by node, matched by name: a different id, a node only in one of the lists. Empty when they
    /// hold the same nodes (in any order). <paramref name="ours"/> names <paramref name="configured"/> in the messages.
    /// </summary>
    public static IReadOnlyList<string> NodeListDifferences(ImmutableArray<NodeSettings> configured, ImmutableArray<NodeSettings> corosync, string ours = NodesPath)
    {
        var differences = new List<string>();
        var theirs = corosync.ToDictionary(n => n.Name, StringComparer.Ordinal);
        foreach (var node in configured)
        {
            if (!theirs.TryGetValue(node.Name, out var other))
            {
                differences.Add($"{node.Name} (id {Id(node.Id)}) is in {ours} but not in corosync's nodelist");
            }
            else if (other.Id != node.Id)
            {
                differences.Add($"{node.Name} has id {Id(node.Id)} in {ours} but nodeid {Id(other.Id)} in corosync's nodelist");
            }
        }

        var names = configured.Select(n => n.Name).ToHashSet(StringComparer.Ordinal);
        differences.AddRange(corosync.Where(n => !names.Contains(n.Name))
            .Select(n => $"{n.Name} (nodeid {Id(n.Id)}) is in corosync's nodelist but not in {ours}"));
        return differences;
    }

    /// <summary>What makes corosync's nodelist unusable for Haven: empty, a bad or duplicate name, a duplicate or zero id.</summary>
    private static List<string> CorosyncListProblems(ImmutableArray<NodeSettings> corosync)
    {
        var problems = new List<string>();
        if (corosync.IsDefaultOrEmpty)
        {
            problems.Add("it is empty (corosync.conf has no nodelist { node { … } })");
            return problems;
        }

        var names = new HashSet<string>(StringComparer.Ordinal);
        var ids = new HashSet<uint>();
        foreach (var node in corosync)
        {
            if (!IsValidNodeName(node.Name))
            {
                problems.Add($"node name \"{node.Name}\" (nodeid {Id(node.Id)}) is not a valid Haven node name ([A-Za-z0-9._-]+); give the node a name: in corosync.conf");
            }
            else if (!names.Add(node.Name))
            {
                problems.Add($"node name \"{node.Name}\" appears twice");
            }

            if (node.Id == 0)
            {
                problems.Add($"node \"{node.Name}\" has no nodeid");
            }
            else if (!ids.Add(node.Id))
            {
                problems.Add($"nodeid {Id(node.Id)} appears twice");
            }
        }

        return problems;
    }

    private static string Id(uint id) => id.ToString(CultureInfo.InvariantCulture);
}
