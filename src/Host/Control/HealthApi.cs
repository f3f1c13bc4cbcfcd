using Haven.Actors.Cluster;
using Haven.Actors.Configuration;
using Haven.Actors.Fencing;
using Haven.Actors.Runtime;
using Haven.Adapters.Heuristics;
using Haven.Adapters.Persistence.Postgres;
using Haven.Host.Cli;
using Haven.Host.Daemon;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Haven.Host.Control;

/// <summary>GET /v1/health: the seed's havc-health as one report — journal, cluster, peers, fencing, heuristics, and cluster-wide settings skipped at start.</summary>
internal static class HealthApi
{
    private static readonly TimeSpan AskTimeout = TimeSpan.FromSeconds(10);
    private static readonly TimeSpan JournalTimeout = TimeSpan.FromSeconds(5);

    public static void Map(WebApplication app, DaemonState state, HavenSettings settings, ILoggerFactory loggers) =>
        app.MapGet("/v1/health", async (CancellationToken ct) =>
            Results.Json(await CheckAsync(state, settings, loggers, ct), ServerJson.Options));

    public static async Task<HealthReport> CheckAsync(DaemonState state, HavenSettings settings, ILoggerFactory loggers, CancellationToken ct)
    {
        var checks = new List<HealthCheck> { await JournalAsync(state, ct) };
        if (state.JournalHandle.NodeLock is { } nodeLock)
            checks.Add(JournalLock(nodeLock.State, nodeLock.Node, nodeLock.Key, state.JournalHandle.Location));
        ClusterStatusView? view = null;
        try
        {
            var cluster = state.ClusterActor ?? throw new InvalidOperationException("the cluster actor is not running");
            view = ClusterStatusView.From(await cluster.Ask<ClusterView>(GetClusterView.Instance, AskTimeout));
        }
        catch (Exception e) when (e is not OperationCanceledException || !ct.IsCancellationRequested)
        {
            checks.Add(HealthCheck.Error("cluster", $"no cluster view: {e.Message}"));
        }
        if (view is not null)
        {
            checks.Add(Cluster(view));
            var running = (state.NodeListWatch?.Running ?? settings.Cluster.Nodes).Select(n => n.Name).ToList();
            checks.AddRange(Peers(view, running));
            checks.AddRange(Unlisted(view, running));
        }
        if (settings.Cluster.Transport == ClusterTransportKind.Corosync)
            checks.Add(NodeList(state.NodeListWatch?.Running ?? settings.Cluster.Nodes, Haven.Adapters.Corosync.CorosyncNodeList.Read(out var nodeListError), nodeListError,
                state.NodeListWatch?.Problem));
        checks.AddRange(await FencingAsync(state.Fencing, FencingConfig.LostHostsWarning(settings), ct));
        if (state.SkippedSettings.Count > 0)
            checks.Add(HealthCheck.Warning("settings",
                $"{state.SkippedSettings.Count} cluster-wide setting(s) skipped at start (this host runs its file and the defaults for them): {string.Join("; ", state.SkippedSettings)}"));
        checks.AddRange(await HeuristicsAsync(settings.Heuristics, loggers, ct));
        return HealthReport.Of(checks);
    }

    /// <summary>Reads the journal (bounded) and, for SQLite, opens its file for writing without writing to it.</summary>
    private static async Task<HealthCheck> JournalAsync(DaemonState state, CancellationToken ct)
    {
        var handle = state.JournalHandle;
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(ct);
        limit.CancelAfter(JournalTimeout);
        try
        {
            var count = await state.Journal.CountAsync(limit.Token).WaitAsync(limit.Token);
            if (handle.Provider == "sqlite")
            {
                using var probe = new FileStream(handle.Location, FileMode.Open, FileAccess.ReadWrite, FileShare.ReadWrite | FileShare.Delete);
            }
            if (JournalWrites(state.Journal.WriteFailure, handle.Provider, handle.Location) is { } failed) return failed;
            return HealthCheck.Success("journal", $"{handle.Provider} {handle.Location}: {count} events, readable{(handle.Provider == "sqlite" ? " and writable" : "")}");
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            return HealthCheck.Error("journal", $"{handle.Provider} {handle.Location}: no answer within {JournalTimeout.TotalSeconds:0} s");
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            return HealthCheck.Error("journal", $"{handle.Provider} {handle.Location}: {e.Message}");
        }
    }

    /// <summary>
    /// The PostgreSQL journal's single-daemon lock, as its watch last saw it: held is healthy; being taken
    /// again after its connection dropped, or taken by another daemon of this name, is an error.
    /// </summary>
    /// <summary>An ERROR when the journal's last write failed (a full disk): this host cannot record changes until one succeeds.</summary>
    internal static HealthCheck? JournalWrites(string? writeFailure, string provider, string location) => writeFailure is null
        ? null
        : HealthCheck.Error("journal", $"{provider} {location}: the last write failed ({writeFailure}); this host cannot record changes until a write succeeds");

    internal static HealthCheck JournalLock(NodeLockState lockState, string node, string key, string location) => lockState switch
    {
        NodeLockState.Held => HealthCheck.Success("journal lock", $"held: advisory lock \"{key}\" in {location}"),
        NodeLockState.Retaking => HealthCheck.Error("journal lock",
            $"lost with its connection to {location}; taking \"{key}\" again (another daemon named {node} could start meanwhile)"),
        _ => HealthCheck.Error("journal lock",
            $"another haven daemon named {node} took \"{key}\" in {location} while this one's connection was down; this daemon is stopping"),
    };

    /// <summary>Primary and quorate is healthy; joining is a warning (it is catching up); a minority or no quorum is an error.</summary>
    internal static HealthCheck Cluster(ClusterStatusView view) => (view.Partition, view.Quorate) switch
    {
        ("primary", true) => HealthCheck.Success("cluster", $"partition primary, quorate, DC {view.Dc ?? "none"}"),
        ("joining", _) => HealthCheck.Warning("cluster", $"partition joining (not yet in sync with the primary){(view.Quorate ? "" : ", not quorate")}"),
        (var role, var quorate) => HealthCheck.Error("cluster", $"partition {role}, {(quorate ? "quorate" : "not quorate")}: this host acts on nothing"),
    };

    /// <summary>
    /// Each configured peer must be a member and up: absent from the membership is an error, a member in
    /// another state a warning. No configured nodes is a one-host cluster.
    /// </summary>
    internal static IEnumerable<HealthCheck> Peers(ClusterStatusView view, IEnumerable<string> configured)
    {
        var peers = configured.Where(n => n != view.Node).ToList();
        if (peers.Count == 0)
        {
            yield return HealthCheck.Success("peers", "none configured (a one-host cluster)");
            yield break;
        }
        foreach (var peer in peers)
        {
            var member = view.Members.FirstOrDefault(m => m.Name == peer);
            yield return member switch
            {
                null => HealthCheck.Error($"peer {peer}", "not a member of this host's cluster view"),
                { FenceFailure: { } failure } => HealthCheck.Error($"peer {peer}", $"{member.State}, fence failed: {failure}"),
                { State: "up" } => HealthCheck.Success($"peer {peer}", "member, up"),
                _ => HealthCheck.Warning($"peer {peer}", $"member, but {member.State}"),
            };
        }
    }

    /// <summary>
    /// Nodes the cluster shows that the node list Haven runs with does not name: one removed from corosync's
    /// nodelist that is not clean yet (down, never confirmed off) is an error, as a lost peer is; a member not
    /// named yet (its daemon started before this host took the reload) is a warning. Fenced or left: forgotten.
    /// </summary>
    internal static IEnumerable<HealthCheck> Unlisted(ClusterStatusView view, IReadOnlyCollection<string> running) =>
        view.Members.Where(m => m.Name != view.Node && !running.Contains(m.Name) && m.State is not ("fenced" or "left"))
            .Select(m => m.State == "joining"
                ? HealthCheck.Warning($"peer {m.Name}", "a member, but not in the node list Haven runs with: it is not admitted until the node list names it")
                : HealthCheck.Error($"peer {m.Name}", $"removed from the node list while {m.State}, never confirmed off: it is fenced before its resources move "
                    + $"(with fencing off, they stay until haven fence confirm {m.Name})"));

    /// <summary>
    /// corosync's nodelist now against the node list this daemon runs with. A node added to or removed from
    /// corosync.conf and reloaded (corosync-cfgtool -R) is taken within a few seconds without a restart; until
    /// then the difference is a warning, and a change that cannot be taken (<paramref name="problem"/>: it no
    /// longer matches haven.cluster.nodes, it removes a node that is still a member, …) stays one, with why.
    /// </summary>
    internal static HealthCheck NodeList(System.Collections.Immutable.ImmutableArray<NodeSettings> running,
        System.Collections.Immutable.ImmutableArray<NodeSettings>? corosync, string error, string? problem = null)
    {
        if (corosync is not { } now) return HealthCheck.Warning("nodelist", $"cannot read corosync's nodelist: {error}");
        var differences = ClusterConfig.NodeListDifferences(running, now, "the node list Haven runs with");
        if (differences.Count == 0) return HealthCheck.Success("nodelist", $"{now.Length} nodes, as in corosync's nodelist");
        return HealthCheck.Warning("nodelist", problem
            ?? $"corosync's nodelist changed: {string.Join("; ", differences)}; Haven takes it within a few seconds (it reads the nodelist every {CorosyncNodeListWatch.Period.TotalSeconds:0} s)");
    }

    /// <summary>
    /// Every device answers its status query within the per-device timeout; fencing off is skipped with a
    /// note on one host, and a warning (<paramref name="offWarning"/>) in a corosync cluster.
    /// </summary>
    private static async Task<IEnumerable<HealthCheck>> FencingAsync(DaemonFencing? fencing, string? offWarning, CancellationToken ct)
    {
        if (fencing is null) return [HealthCheck.Error("fencing", "fencing is not set up")];
        if (!fencing.Enabled && offWarning is not null) return [HealthCheck.Warning("fencing", offWarning)];
        if (!fencing.Enabled) return [HealthCheck.Success("fencing", "skipped: fencing is off (haven.fencing.enabled = off)")];
        if (fencing.Devices.Count == 0) return [HealthCheck.Error("fencing", "fencing is on but no device is configured")];
        return await Task.WhenAll(fencing.Devices.Values.OrderBy(d => d.Name, StringComparer.Ordinal)
            .Select(d => DeviceAsync(d, fencing.Settings.DeviceTimeout, ct)));
    }

    private static async Task<HealthCheck> DeviceAsync(IFenceDevice device, TimeSpan timeout, CancellationToken ct)
    {
        var name = $"fence device {device.Name}";
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(ct);
        limit.CancelAfter(timeout);
        try
        {
            var health = await Task.Run(() => device.CheckAsync(limit.Token), limit.Token).WaitAsync(limit.Token);
            return health.Healthy ? HealthCheck.Success(name, $"{device.Type}: {health.Detail}") : HealthCheck.Error(name, $"{device.Type}: {health.Detail}");
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            return HealthCheck.Error(name, $"{device.Type}: no answer within {timeout.TotalSeconds:0.###} s");
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            return HealthCheck.Error(name, $"{device.Type}: {e.Message}");
        }
    }

    /// <summary>Each heuristic address answers an echo; an unreachable one is a warning (the tie-break vote would be lost).</summary>
    private static async Task<IEnumerable<HealthCheck>> HeuristicsAsync(HeuristicsSettings settings, ILoggerFactory loggers, CancellationToken ct)
    {
        if (!settings.Enabled) return [HealthCheck.Success("heuristics", "skipped: IP heuristics are off (haven.heuristics.enabled = off)")];
        if (settings.Addresses.IsDefaultOrEmpty) return [HealthCheck.Warning("heuristics", "enabled, but haven.heuristics.addresses is empty")];
        var probe = PingReachability.From(settings, loggers.CreateLogger<PingReachability>());
        return await Task.WhenAll(settings.Addresses.Select(async a => await probe.IsReachableAsync(a, ct)
            ? HealthCheck.Success($"heuristic {a}", "reachable")
            : HealthCheck.Warning($"heuristic {a}", $"no echo answer ({probe.Attempts} attempts, {probe.Timeout.TotalMilliseconds:0} ms each)")));
    }
}

/// <summary>One check of `haven health`: status is success, warning or error.</summary>
internal sealed record HealthCheck(string Name, string Status, string Reason)
{
    public const string SuccessStatus = HealthStatus.Success;
    public const string WarningStatus = HealthStatus.Warning;
    public const string ErrorStatus = HealthStatus.Error;

    public static HealthCheck Success(string name, string reason) => new(name, SuccessStatus, reason);
    public static HealthCheck Warning(string name, string reason) => new(name, WarningStatus, reason);
    public static HealthCheck Error(string name, string reason) => new(name, ErrorStatus, reason);
}

/// <summary>The JSON of `haven health --json`: the worst status of the checks, and each check.</summary>
internal sealed record HealthReport(string Status, IReadOnlyList<HealthCheck> Checks)
{
    public static HealthReport Of(IReadOnlyList<HealthCheck> checks) => new(
        checks.Any(c => c.Status == HealthCheck.ErrorStatus) ? HealthCheck.ErrorStatus
            : checks.Any(c => c.Status == HealthCheck.WarningStatus) ? HealthCheck.WarningStatus
            : HealthCheck.SuccessStatus,
        checks);
}
