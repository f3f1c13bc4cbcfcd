using Haven.Actors;
using Haven.Actors.Cluster;
using Haven.Actors.Configuration;
using Haven.Actors.Fencing;
using Haven.Actors.Membership;
using Haven.Actors.Persistence;
using Haven.Actors.Runtime;
using Haven.Adapters.FloatingIps;
using Haven.Adapters.Fencing;
using Haven.Adapters.Corosync;
using Haven.Adapters.Heuristics;
using Microsoft.Extensions.Logging;

namespace Haven.Host.Daemon;

/// <summary>Builds this host's ClusterActor from the settings: transport, fencing, addresses, heuristics.</summary>
internal static class ClusterWiring
{
    /// <param name="checkNodeList">haven.cluster.nodes could not be checked against corosync's nodelist at start: the transport checks it when it connects.</param>
    public static IActorRef Start(ActorSystem system, HavenSettings settings, DaemonState state, ILoggerFactory loggers, DurableFenceHistory fenceHistory,
        Haven.Actors.Vms.VmServices? vms = null, bool checkNodeList = false, DaemonOverrides? overrides = null)
    {
        ClusterOptions options;
        try
        {
            options = ClusterConfig.ToClusterOptions(settings, Environment.MachineName);
        }
        catch (ConfigException e)
        {
            throw new CliException(e.Message);
        }
        // The fencing rules the actor starts from are this host's own; the cluster-wide ones apply live on top.
        options = options with
        {
            Fencing = settings.Source is { } file ? FencingRulesConfig.Read(file.WithFallback(HavenConfig.Reference)) : settings.Fencing.Policy,
            ValidateSettings = config => StartValidation.Problems(config, Environment.MachineName), // `haven config set` checks what a start checks
        };
        state.ClusterOptions = options;
        state.PublicAddresses = options.PublicAddresses;
        IClusterTransport transport = overrides?.Transport is { } simulated ? simulated(options) : settings.Cluster.Transport switch
        {
            ClusterTransportKind.Simulated when options.Nodes.Length > 1 => throw new CliException(
                $"haven.cluster.transport = simulated runs a one-host cluster, but haven.cluster.nodes lists {options.Nodes.Length} nodes; use transport = corosync"),
            ClusterTransportKind.Simulated => new SingleHostTransport(options.Self),
            ClusterTransportKind.Corosync => new CorosyncTransport(options.Self, options.Nodes, loggers.CreateLogger<CorosyncTransport>(),
                new CorosyncTransportOptions { ExpectedClusterName = options.ClusterName, ExpectedNodes = checkNodeList ? settings.Cluster.Nodes : null }),
            _ => throw new CliException($"haven.cluster.transport = {settings.Cluster.Transport} is not supported"),
        };
        state.Transport = transport;
        // Leave the group cleanly (peers see LEAVE, not PROCDOWN) once the actors have stopped.
        if (transport is IDisposable disposable)
            _ = system.WhenTerminated.ContinueWith(_ => disposable.Dispose(), CancellationToken.None, TaskContinuationOptions.None, TaskScheduler.Default);
        IReachability? reachability = settings.Heuristics.Enabled
            ? PingReachability.From(settings.Heuristics, loggers.CreateLogger<PingReachability>())
            : null;
        var services = new PersistenceServices(state.Journal, state.JournalHandle.Snapshots, new JsonEventSerializer(HavenManifests.CreateRegistry()));
        state.Watchdog = DaemonWatchdog.Start(settings.Fencing.Watchdog, loggers);
        var selfReboot = new DaemonSelfReboot(state.Watchdog, settings.Fencing.RebootCommand, loggers.CreateLogger<DaemonSelfReboot>());
        var deps = new ClusterDependencies(transport, services, Fencer(settings, state, loggers, fenceHistory), overrides?.Addresses ?? new LinuxAddressManager(loggers.CreateLogger<LinuxAddressManager>(), duplicateProbes: settings.Ips.DuplicateProbes), reachability,
            SelfFence: state.Watchdog, Vms: vms, SelfReboot: selfReboot);
        // A restart of the actor takes the node list as adopted since (NodeListWiring updates state.ClusterOptions).
        return system.ActorOf(ClusterActor.Props(() => state.ClusterOptions ?? options, deps), "cluster");
    }

    /// <summary>The configured fencing topology, or (fencing off) a fencer that always fails, so nothing of a lost host moves.</summary>
    private static IFencer Fencer(HavenSettings settings, DaemonState state, ILoggerFactory loggers, DurableFenceHistory history)
    {
        if (!settings.Fencing.Enabled)
        {
            state.Fencing = DaemonFencing.Off(settings.Fencing, new UnconfiguredFencer(), history);
            return state.Fencing.Fencer;
        }
        if (settings.Fencing.SecretsFile.Length == 0) throw new CliException(StartValidation.NeedsSecretsFile);
        try
        {
            var secrets = FencingSecretsFile.Load(settings.Fencing.SecretsFile);
            var missing = FencingConfig.CheckSecrets(settings.Fencing, secrets);
            if (missing.Count > 0) throw new CliException($"fencing secrets file {settings.Fencing.SecretsFile}: {string.Join("; ", missing)}");
            var devices = FenceDeviceFactory.Create(settings.Fencing, secrets, loggers);
            var fencer = new TopologyFencer(settings.Fencing.Topology, devices, settings.Fencing.ToFencerOptions(), TimeProvider.System,
                loggers.CreateLogger<TopologyFencer>(), history.Add);
            state.Fencing = new DaemonFencing(settings.Fencing, devices, fencer, history.Log, history.Add);
            return fencer;
        }
        catch (Exception e) when (e is ConfigException or FenceDeviceException or ArgumentException or IOException or UnauthorizedAccessException)
        {
            throw new CliException($"cannot set up fencing: {e.Message}");
        }
    }

    /// <summary>No fence device is configured: every fence fails, so nothing of a lost host is ever recovered.</summary>
    private sealed class UnconfiguredFencer : IFencer
    {
        public Task<FenceResult> FenceAsync(FenceTarget target, CancellationToken cancellationToken) =>
            Task.FromResult(new FenceResult(false, "", $"fencing is off (haven.fencing.enabled): {target.Name} cannot be confirmed off", Impossible: true));
    }
}
