using System.Collections.Immutable;
using Haven.Actors.SplitBrain;

namespace Haven.Actors.Configuration;

public static partial class ClusterConfig
{
    private const string Sbr = "haven.split-brain-resolver";
    private const string HeuristicAddressesPath = "haven.heuristics.addresses";

    /// <summary>
    /// How <see cref="SplitBrainSettings.Validate"/> names its settings, and the configuration key each
    /// one is read from. Its messages start with one of these names.
    /// </summary>
    private static readonly (string Name, string Path)[] SplitBrainKeys =
    [
        ("split-brain.static-quorum.quorum-size", $"{Sbr}.static-quorum.quorum-size"),
        ("split-brain.keep-referee.down-all-if-less-than-nodes", $"{Sbr}.keep-referee.down-all-if-less-than-nodes"),
        ("split-brain.keep-referee.referee", RefereePath),
        ("split-brain.down-all-when-unstable", $"{Sbr}.down-all-when-unstable"),
        ("split-brain.stable-after", $"{Sbr}.stable-after"),
        ("split-brain.strategy", $"{Sbr}.active-strategy"),
        ("split-brain.nodes", NodesPath),
        ("split-brain.ip-heuristics", "haven.heuristics.enabled"),
        ("split-brain.heuristic-addresses", HeuristicAddressesPath),
    ];

    /// <summary>
    /// Every problem of the node list, the public addresses and the split-brain settings of
    /// <paramref name="config"/> (which must already have the reference under it and pass the schema).
    /// The split-brain rules are <see cref="SplitBrainSettings.Validate"/>'s; each of its errors is
    /// reported at the key it concerns. Whether this host is in the node list is checked when its
    /// name is known: <c>haven.cluster.node-name</c> is set or <paramref name="hostName"/> is given.
    /// </summary>
    public static IReadOnlyList<ConfigProblem> Validate(Config config, string? hostName)
    {
        ArgumentNullException.ThrowIfNull(config);
        var problems = new List<ConfigProblem>();
        void Report(string path, string message, ConfigOrigin origin) => problems.Add(new ConfigProblem(path, message, origin.ToString()));

        var configured = ParseNodes(config, Report);
        ParsePublicAddresses(config, Report);

        var nodeName = config.GetString(NodeNamePath);
        var selfName = nodeName.Length > 0 ? nodeName : hostName;
        if (!configured.IsEmpty && selfName is not null && !configured.Any(n => n.Name == selfName))
        {
            Report(NodeNamePath, NotInNodeList(nodeName, selfName, configured), config.Origin(NodeNamePath));
        }

        // An empty list is this host alone; when its name is unknown here, a referee can only mean this host.
        var nodes = configured.IsEmpty && selfName is null
            ? [new NodeSettings(config.GetString(RefereePath) is { Length: > 0 } referee ? referee : "this-host", SingleHostNodeId)]
            : EffectiveNodes(configured, selfName ?? "");
        CheckSplitBrain(config, nodes, Report);
        return problems;
    }

    private static void CheckSplitBrain(Config config, ImmutableArray<NodeSettings> nodes, ReportProblem report)
    {
        var heuristics = HavenSettings.ReadHeuristics(config);
        var settings = ToSplitBrainSettings(HavenSettings.ReadSplitBrainResolver(config), heuristics, nodes, out var unknownReferee);
        if (unknownReferee is not null)
        {
            report(RefereePath, UnknownReferee(unknownReferee, nodes), config.Origin(RefereePath));
        }

        foreach (var error in settings.Validate())
        {
            var (name, path) = SplitBrainKeys.FirstOrDefault(k => error.StartsWith(k.Name + " ", StringComparison.Ordinal));
            if (name is null)
            {
                report($"{Sbr}.active-strategy", error, config.Origin($"{Sbr}.active-strategy"));
                continue;
            }

            if (unknownReferee is not null && path == RefereePath)
            {
                continue; // already reported by name above
            }

            var message = SplitBrainKeys.Aggregate(error, (text, key) => text.Replace(key.Name, key.Path, StringComparison.Ordinal));
            var origin = config.Origin(path);
            if (path == "haven.heuristics.enabled" && error.Contains("heuristic-addresses is empty", StringComparison.Ordinal))
            {
                // SplitBrainSettings names the list without its prefix here.
                (path, origin) = (HeuristicAddressesPath, config.Origin(HeuristicAddressesPath));
                message = message.Replace(" heuristic-addresses ", $" {HeuristicAddressesPath} ", StringComparison.Ordinal);
            }
            else if (path == HeuristicAddressesPath && EntryIndex(error, heuristics.Addresses) is { } index
                && config.GetValue(HeuristicAddressesPath) is HoconList list)
            {
                (path, origin) = ($"{HeuristicAddressesPath}[{index}]", list.Items[index].Origin);
            }

            report(path, message, origin);
        }
    }

    /// <summary>The index of the heuristic address an error quotes (<c>entry 'x'</c>), if any.</summary>
    private static int? EntryIndex(string error, ImmutableArray<string> addresses)
    {
        for (var i = 0; i < addresses.Length; i++)
        {
            if (error.Contains($"entry '{addresses[i]}'", StringComparison.Ordinal))
            {
                return i;
            }
        }

        return null;
    }
}
