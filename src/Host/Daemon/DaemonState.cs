namespace Haven.Host.Daemon;

/// <summary>What the control API reports about this daemon.</summary>
internal sealed class DaemonState(string cluster, string node, JournalHandle journal, TimeProvider time)
{
    private readonly DateTimeOffset _startedAt = time.GetUtcNow();

    public string Cluster { get; } = cluster;
    public string Node { get; } = node;
    public ObservableJournal Journal { get; } = journal.Journal;
    public JournalHandle JournalHandle { get; } = journal;

    /// <summary>This host's cluster options (set by ClusterWiring; the other wirings read them instead of deriving them again).</summary>
    public Haven.Actors.Cluster.ClusterOptions? ClusterOptions { get; set; }

    /// <summary>The configured floating addresses (set by ClusterWiring from the cluster options); `haven ip list` shows each.</summary>
    public System.Collections.Immutable.ImmutableArray<Haven.Actors.Cluster.PublicAddress> PublicAddresses { get; set; } = [];

    /// <summary>The effective settings this daemon started with: a setting read only at start runs with this value until the next start.</summary>
    public Haven.Actors.Configuration.EffectiveSettings? StartedWith { get; set; }

    /// <summary>
    /// What the components that read their settings at start read (events, alerts, conntrack, extra addresses,
    /// hypervisors): reference.conf &lt; the cluster-wide values this host could use &lt; its file, so a cluster-wide value
    /// `haven config get` shows in force is the one they run with; else the file, read from <paramref name="configPath"/>.
    /// </summary>
    public Haven.Actors.Configuration.Config StartConfig(Haven.Actors.Configuration.HavenSettings settings, string configPath) =>
        StartedWith?.Config ?? settings.Source ?? Haven.Adapters.Configuration.ConfigFiles.Load(configPath);

    /// <summary>Cluster-wide settings this host could not use at start (KEY = VALUE: why); `haven health` warns of each.</summary>
    public IReadOnlyList<string> SkippedSettings { get; set; } = [];

    /// <summary>Event streams being served now (`haven events --follow`), at most ControlApi.MaxEventStreams.</summary>
    public int OpenEventStreams;

    /// <summary>How long a write of an event stream may wait for its consumer before the stream is dropped (tests shorten it).</summary>
    public TimeSpan SlowConsumer { get; set; } = Haven.Host.Control.ControlApi.SlowConsumer;

    /// <summary>The transport the ClusterActor runs over (set by ClusterWiring).</summary>
    public Haven.Actors.Membership.IClusterTransport? Transport { get; set; }

    /// <summary>With transport = corosync: the watch of corosync's nodelist (the node list Haven runs with, and why a change is not taken).</summary>
    public CorosyncNodeListWatch? NodeListWatch { get; set; }

    /// <summary>This host's ClusterActor, once started.</summary>
    public Haven.Actors.Runtime.IActorRef? ClusterActor { get; set; }

    /// <summary>The daemon's clock (the ActorSystem's): control requests' deadlines are measured by it.</summary>
    public TimeProvider Time => time;

    /// <summary>The fencing devices, fencer and history (set by ClusterWiring before the control API starts).</summary>
    public DaemonFencing? Fencing { get; set; }

    /// <summary>Watchdog self-fencing, when haven.fencing.watchdog.enabled.</summary>
    public DaemonWatchdog? Watchdog { get; set; }

    /// <summary>The event scripts: runner, delivery and monitor (set by EventsWiring before the control API starts).</summary>
    public DaemonEvents? Events { get; set; }

    public async Task<StatusView> StatusAsync(CancellationToken ct) => new(
        Cluster,
        Node,
        Environment.ProcessId,
        VersionInfo.Version,
        _startedAt,
        Math.Round((time.GetUtcNow() - _startedAt).TotalSeconds, 3),
        new JournalView(JournalHandle.Provider, JournalHandle.Location),
        await Journal.CountAsync(ct));
}

internal sealed record StatusView(string Cluster, string Node, int Pid, string Version, DateTimeOffset StartedAt,
    double UptimeSeconds, JournalView Journal, long EventsJournaled);

internal sealed record JournalView(string Provider, string Location);

internal static class VersionInfo
{
    public static string Version { get; } =
        typeof(VersionInfo).Assembly.GetName().Version?.ToString(3) ?? "0.0.0";
}
