namespace Haven.Actors.Configuration;

/// <summary>
/// Haven's configuration schema: the embedded hocon/reference.conf (defaults, keys, types and
/// annotations) plus the few rules that span several settings.
/// </summary>
public static class HavenConfig
{
    public const string ReferenceResourceName = "Haven.reference.conf";
    public const string ReferenceSourceName = "reference.conf";

    private static readonly Lazy<ConfigSchema> LazySchema = new(() => ConfigSchema.FromReference(ReadReference(), ReferenceSourceName));

    /// <summary>The schema read from reference.conf.</summary>
    public static ConfigSchema Schema => LazySchema.Value;

    /// <summary>Every default, parsed from the embedded reference.conf.</summary>
    public static Config Reference => Schema.Defaults;

    /// <summary>
    /// Every problem in <paramref name="config"/>: unknown keys (with the nearest known key), values
    /// of the wrong type or outside their allowed values, then settings that contradict each other.
    /// An empty list means <see cref="HavenSettings.From"/> will succeed. <paramref name="hostName"/>
    /// is this machine's host name: with it, a node list that does not contain this host is an error
    /// even when <c>haven.cluster.node-name</c> is not set (the daemon passes it; <c>haven config
    /// check</c> of another host's file need not).
    /// </summary>
    public static IReadOnlyList<ConfigProblem> Validate(Config config, string? hostName = null)
    {
        var problems = Schema.Validate(config);
        if (problems.Count == 0) problems = ClusterOnlyKeys(config.Root, []);
        return problems.Count > 0 ? problems : CrossChecks(config.WithFallback(Reference), hostName);
    }

    /// <summary>
    /// Only the rules that span several settings (no key or type checks), for a configuration whose
    /// keys are known to be valid, e.g. reference.conf &lt; the cluster-wide settings &lt; a host's file.
    /// </summary>
    public static IReadOnlyList<ConfigProblem> CrossCheck(Config config) => CrossChecks(config.WithFallback(Reference), null);

    /// <summary>Cluster-only keys (<c>@scope cluster</c>) written in a host's file: every host must act on the same value.</summary>
    private static List<ConfigProblem> ClusterOnlyKeys(HoconObject obj, List<string> path)
    {
        var problems = new List<ConfigProblem>();
        foreach (var key in obj.Keys)
        {
            List<string> childPath = [.. path, key];
            var value = obj[key];
            if (value.Origin.Source is ReferenceSourceName or ClusterWideSettings.SourceName) continue;
            var rendered = ConfigPath.Render(childPath);
            if (!Schema.Settings.TryGetValue(rendered, out var setting)) continue;
            if (setting.Scope == SettingScope.Cluster && !setting.IsSection)
                problems.Add(new ConfigProblem(rendered,
                    $"is a cluster-wide setting (@scope cluster): set it with `haven config set {rendered} VALUE`, not in a host's file", value.Origin.ToString()));
            else if (value is HoconObject child && setting.IsSection)
                problems.AddRange(ClusterOnlyKeys(child, childPath));
        }
        return problems;
    }

    private static List<ConfigProblem> CrossChecks(Config config, string? hostName)
    {
        var problems = new List<ConfigProblem>();
        void Require(bool ok, string path, string message)
        {
            if (!ok)
            {
                problems.Add(new ConfigProblem(path, message, config.Origin(path).ToString()));
            }
        }

        Require(config.GetString("haven.journal.provider") != "postgresql" || config.GetString("haven.journal.postgresql.connection-string").Length > 0,
            "haven.journal.postgresql.connection-string", "must be set when haven.journal.provider = postgresql");
        foreach (var path in new[] { "haven.heuristics.interval", "haven.heuristics.timeout" })
        {
            Require(config.GetDuration(path) > TimeSpan.Zero, path, "must be greater than zero");
        }

        Require(config.GetInt("haven.heuristics.attempts") >= 1, "haven.heuristics.attempts", "must be at least 1");

        // The node list, the public addresses and the split-brain rules (SplitBrainSettings.Validate).
        problems.AddRange(ClusterConfig.Validate(config, hostName));
        if (problems.Count > 0) return problems;

        // Fencing: devices, topology, and every node covered when fencing is on.
        var nodes = ClusterConfig.ReadNodes(config);
        var names = nodes.IsDefaultOrEmpty
            ? (config.GetString("haven.cluster.node-name") is { Length: > 0 } self ? [self] : hostName is { } h ? [h] : Array.Empty<string>())
            : nodes.Select(n => n.Name).ToArray();
        problems.AddRange(FencingConfig.Validate(config, names));

        // VMs: policy, placement and node capacities (a capacity's node must be a listed node).
        problems.AddRange(VmConfig.Validate(config, nodes.IsDefaultOrEmpty ? null : names));
        return problems;
    }

    private static string ReadReference()
    {
        using var stream = typeof(HavenConfig).Assembly.GetManifestResourceStream(ReferenceResourceName)
            ?? throw new InvalidOperationException($"embedded resource {ReferenceResourceName} is missing from {typeof(HavenConfig).Assembly.GetName().Name}");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }
}
