using System.Collections.Immutable;

namespace Haven.Actors.Configuration;

public enum ClusterTransportKind
{
    Simulated,
    Corosync,
}

public enum JournalProviderKind
{
    Sqlite,
    PostgreSql,
    Memory,
}

/// <summary>Log levels as reference.conf names them (Serilog's names).</summary>
public enum HavenLogLevel
{
    Verbose,
    Debug,
    Information,
    Warning,
    Error,
    Fatal,
}

public enum LogFormat
{
    Text,
    Json,
}

public enum SplitBrainStrategyKind
{
    KeepMajority,
    StaticQuorum,
    KeepOldest,
    KeepReferee,
    DownAll,
    VoteQuorum,
}

/// <summary>One entry of <c>haven.cluster.nodes</c>: a node's name and its Corosync nodeid.</summary>
public sealed record NodeSettings(string Name, uint Id);

/// <summary>
/// <c>haven.cluster</c>. <see cref="NodeName"/> "" means the machine's host name. <see cref="Nodes"/>
/// empty means this host alone (see <see cref="ClusterConfig.ToClusterOptions"/>).
/// </summary>
public sealed record ClusterSettings(string Name, string NodeName, ClusterTransportKind Transport)
{
    /// <summary><c>haven.cluster.nodes</c>, in the order written.</summary>
    public ImmutableArray<NodeSettings> Nodes { get; init; } = [];

    public string EffectiveNodeName(string hostName) => NodeName.Length > 0 ? NodeName : hostName;
}

/// <summary>
/// One entry of <c>haven.ips.public-addresses</c>: <c>Ip/Mask</c> on <c>Interface</c>, optionally with the node
/// that should hold it (<c>preferred-host</c>) and the group its addresses are spread by (<c>group</c>).
/// </summary>
public sealed record PublicAddressSettings(string Ip, int Mask, string Interface)
{
    /// <summary>The node name that gets the address whenever it is eligible; null: none.</summary>
    public string? PreferredHost { get; init; }

    /// <summary>Addresses of one group are spread over as many hosts as possible; null: the subnet.</summary>
    public string? Group { get; init; }

    public override string ToString() =>
        $"{Ip}/{Mask} on {Interface}{(PreferredHost is null ? "" : $", preferred host {PreferredHost}")}{(Group is null ? "" : $", group {Group}")}";
}

/// <summary><c>haven.ips</c>.</summary>
public sealed record IpsSettings(ImmutableArray<PublicAddressSettings> PublicAddresses)
{
    /// <summary>haven.ips.duplicate-probes: ARP duplicate-address probes before a take (0: none).</summary>
    public int DuplicateProbes { get; init; } = 1;
}

/// <summary><c>haven.journal</c>.</summary>
public sealed record JournalSettings(JournalProviderKind Provider, string SqlitePath, string PostgreSqlConnectionString)
{
    /// <summary>
    /// Start on a SQLite journal file that exists but is empty (`haven daemon --new-journal`): otherwise refused, since a
    /// journal that once held the cluster's settings and VMs and is now 0 bytes was truncated, and starting would lose them.
    /// </summary>
    public bool AcceptEmptyFile { get; init; }

    /// <summary>haven.journal.snapshot-every: replicated events between snapshots.</summary>
    public long SnapshotEvery { get; init; } = 10_000;

    /// <summary>haven.journal.keep-events: journal entries kept before the latest snapshot (the audit window).</summary>
    public long KeepEvents { get; init; } = 10_000;
}

/// <summary><c>haven.control</c>.</summary>
public sealed record ControlSettings(string Socket);

/// <summary><c>haven.logging</c>. <see cref="FilePath"/> is null when no log file is wanted.</summary>
public sealed record LoggingSettings(HavenLogLevel Level, bool Console, LogFormat Format, string? FilePath);

/// <summary><c>haven.split-brain-resolver</c>.</summary>
public sealed record SplitBrainResolverSettings(
    SplitBrainStrategyKind ActiveStrategy,
    TimeSpan StableAfter,
    bool DownAllWhenUnstable,
    int StaticQuorumSize,
    string KeepRefereeNode,
    bool KeepOldestDownIfAlone)
{
    /// <summary><c>keep-referee.down-all-if-less-than-nodes</c>.</summary>
    public int KeepRefereeDownAllIfLessThanNodes { get; init; } = 1;

    /// <summary><c>no-quorum-policy</c>: what the losing side does with its resources.</summary>
    public Haven.Actors.SplitBrain.NoQuorumPolicy NoQuorumPolicy { get; init; }
}

/// <summary><c>haven.heuristics</c>.</summary>
public sealed record HeuristicsSettings(bool Enabled, ImmutableArray<string> Addresses, TimeSpan Interval, TimeSpan Timeout)
{
    /// <summary>Echoes per address and probe before it counts as unreachable.</summary>
    public int Attempts { get; init; } = 2;
}

/// <summary>Every Haven setting, typed. Build with <see cref="From"/> after <see cref="HavenConfig.Validate"/> passed.</summary>
public sealed record HavenSettings(
    ClusterSettings Cluster,
    JournalSettings Journal,
    ControlSettings Control,
    LoggingSettings Logging,
    SplitBrainResolverSettings SplitBrainResolver,
    HeuristicsSettings Heuristics)
{
    /// <summary><c>haven.ips</c>.</summary>
    public IpsSettings Ips { get; init; } = new([]);

    /// <summary><c>haven.fencing</c>: devices, topology and rules.</summary>
    public Haven.Actors.Fencing.FencingSettings Fencing { get; init; } = new();

    /// <summary><c>haven.vms</c>: how this host runs VMs, how the DC places them, node capacities.</summary>
    public VmSettings Vms { get; init; } = new();

    /// <summary>The configuration these settings were read from (this host's file, with its origins), when known.</summary>
    public Config? Source { get; init; }

    /// <summary>
    /// Reads the settings, with <see cref="HavenConfig.Reference"/> under <paramref name="config"/>
    /// for anything it lacks. Throws <see cref="ConfigException"/> (path and origin) on a bad value.
    /// </summary>
    public static HavenSettings From(Config config)
    {
        var c = config.WithFallback(HavenConfig.Reference);
        var logFile = c.GetString("haven.logging.file.path");
        return new HavenSettings(
            new ClusterSettings(
                c.GetString("haven.cluster.name"),
                c.GetString("haven.cluster.node-name"),
                Enum<ClusterTransportKind>(c, "haven.cluster.transport"))
            {
                Nodes = ClusterConfig.ReadNodes(c),
            },
            new JournalSettings(
                Enum<JournalProviderKind>(c, "haven.journal.provider"),
                c.GetString("haven.journal.sqlite.path"),
                c.GetString("haven.journal.postgresql.connection-string"))
            {
                SnapshotEvery = c.GetLong("haven.journal.snapshot-every"),
                KeepEvents = c.GetLong("haven.journal.keep-events"),
            },
            new ControlSettings(c.GetString("haven.control.socket")),
            new LoggingSettings(
                Enum<HavenLogLevel>(c, "haven.logging.level"),
                c.GetBoolean("haven.logging.console"),
                Enum<LogFormat>(c, "haven.logging.format"),
                logFile.Length > 0 ? logFile : null),
            ReadSplitBrainResolver(c),
            ReadHeuristics(c))
        {
            Ips = new IpsSettings(ClusterConfig.ReadPublicAddresses(c)) { DuplicateProbes = ReadDuplicateProbes(c) },
            Fencing = FencingConfig.Read(c),
            Vms = VmConfig.Read(c),
            Source = config,
        };
    }

    /// <summary><c>haven.split-brain-resolver</c> of a config that already has the reference under it.</summary>
    internal static SplitBrainResolverSettings ReadSplitBrainResolver(Config c)
    {
        const string Sbr = "haven.split-brain-resolver";
        return new SplitBrainResolverSettings(
            Enum<SplitBrainStrategyKind>(c, $"{Sbr}.active-strategy"),
            c.GetDuration($"{Sbr}.stable-after"),
            c.GetBoolean($"{Sbr}.down-all-when-unstable"),
            c.GetInt($"{Sbr}.static-quorum.quorum-size"),
            c.GetString($"{Sbr}.keep-referee.node"),
            c.GetBoolean($"{Sbr}.keep-oldest.down-if-alone"))
        {
            KeepRefereeDownAllIfLessThanNodes = c.GetInt($"{Sbr}.keep-referee.down-all-if-less-than-nodes"),
            NoQuorumPolicy = Enum<Haven.Actors.SplitBrain.NoQuorumPolicy>(c, $"{Sbr}.no-quorum-policy"),
        };
    }

    /// <summary><c>haven.heuristics</c> of a config that already has the reference under it.</summary>
    internal static HeuristicsSettings ReadHeuristics(Config c) =>
        new(
            c.GetBoolean("haven.heuristics.enabled"),
            [.. c.GetStringList("haven.heuristics.addresses")],
            c.GetDuration("haven.heuristics.interval"),
            c.GetDuration("haven.heuristics.timeout"))
        {
            Attempts = c.GetInt("haven.heuristics.attempts"),
        };

    private static int ReadDuplicateProbes(Config c)
    {
        const string path = "haven.ips.duplicate-probes";
        var probes = c.GetInt(path);
        return probes is >= 0 and <= 5 ? probes : throw new ConfigException(path, c.Origin(path), $"{probes} is out of range (0..5)");
    }

    /// <summary>Kebab-case words map onto enum members: keep-majority → KeepMajority, postgresql → PostgreSql.</summary>
    private static T Enum<T>(Config config, string path)
        where T : struct, Enum
    {
        var text = config.GetString(path);
        var name = text.Replace("-", "", StringComparison.Ordinal);
        foreach (var value in System.Enum.GetValues<T>())
        {
            if (string.Equals(value.ToString(), name, StringComparison.OrdinalIgnoreCase) && !text.Any(char.IsUpper))
            {
                return value;
            }
        }

        var allowed = HavenConfig.Schema.Settings.TryGetValue(path, out var setting) && setting.AllowedValues is { } words
            ? words
            : System.Enum.GetNames<T>();
        throw new ConfigException(path, config.Origin(path), $"invalid value \"{text}\"; expected one of {string.Join(", ", allowed)}");
    }
}
