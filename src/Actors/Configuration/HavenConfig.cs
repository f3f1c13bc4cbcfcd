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
    /// An empty list means <see cref="HavenSettings.From"/> will succeed.
    /// </summary>
    public static IReadOnlyList<ConfigProblem> Validate(Config config)
    {
        var problems = Schema.Validate(config);
        return problems.Count > 0 ? problems : CrossChecks(config.WithFallback(Reference));
    }

    private static List<ConfigProblem> CrossChecks(Config config)
    {
        var problems = new List<ConfigProblem>();
        void Require(bool ok, string path, string message)
        {
            if (!ok)
            {
                problems.Add(new ConfigProblem(path, message, config.Origin(path).ToString()));
            }
        }

        const string Sbr = "haven.split-brain-resolver";
        var strategy = config.GetString($"{Sbr}.active-strategy");
        Require(strategy != "static-quorum" || config.GetInt($"{Sbr}.static-quorum.quorum-size") > 0,
            $"{Sbr}.static-quorum.quorum-size", "must be at least 1 when active-strategy = static-quorum");
        Require(strategy != "keep-referee" || config.GetString($"{Sbr}.keep-referee.node").Length > 0,
            $"{Sbr}.keep-referee.node", "must name a node when active-strategy = keep-referee");
        Require(config.GetString("haven.journal.provider") != "postgresql" || config.GetString("haven.journal.postgresql.connection-string").Length > 0,
            "haven.journal.postgresql.connection-string", "must be set when haven.journal.provider = postgresql");
        Require(!config.GetBoolean("haven.heuristics.enabled") || config.GetStringList("haven.heuristics.addresses").Count > 0,
            "haven.heuristics.addresses", "must list at least one address when haven.heuristics.enabled = on");
        foreach (var path in new[] { $"{Sbr}.stable-after", "haven.heuristics.interval", "haven.heuristics.timeout" })
        {
            Require(config.GetDuration(path) >= TimeSpan.Zero, path, "must not be negative");
        }

        Require(config.GetDuration("haven.heuristics.interval") > TimeSpan.Zero, "haven.heuristics.interval", "must be greater than zero");
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
