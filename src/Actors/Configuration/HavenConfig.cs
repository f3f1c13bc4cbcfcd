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
        return problems.Count > 0 ? problems : CrossChecks(config.WithFallback(Reference), hostName);
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
