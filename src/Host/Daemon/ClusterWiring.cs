using System.Collections.Immutable;
using Haven.Actors;
using Haven.Actors.Cluster;
using Haven.Actors.Configuration;
using Haven.Actors.Membership;
using Haven.Actors.Persistence;
using Haven.Actors.Runtime;

namespace Haven.Host.Daemon;

/// <summary>Builds this host's ClusterActor from the settings: transport, fencing, addresses.</summary>
internal static class ClusterWiring
{
    public static IActorRef Start(ActorSystem system, HavenSettings settings, string node, DaemonState state)
    {
        var options = Options(settings, node);
        IClusterTransport transport = settings.Cluster.Transport switch
        {
            ClusterTransportKind.Simulated => new SingleHostTransport(options.Self),
            _ => throw new CliException("haven.cluster.transport = corosync is not available in this version; use simulated (a one-host cluster)"),
        };
        var services = new PersistenceServices(state.Journal, state.JournalHandle.Snapshots, new JsonEventSerializer(HavenManifests.CreateRegistry()));
        var deps = new ClusterDependencies(transport, services, new UnconfiguredFencer(), new UnmanagedAddresses());
        return system.ActorOf(ClusterActor.Props(options, deps), "cluster");
    }

    /// <summary>A one-host cluster: this node, id 1, with the configured split-brain settings.</summary>
    internal static ClusterOptions Options(HavenSettings settings, string node)
    {
        var self = new Member(new NodeId(1), node);
        return new ClusterOptions
        {
            ClusterName = settings.Cluster.Name,
            Self = self,
            Nodes = [self],
            SplitBrain = new Haven.Actors.SplitBrain.SplitBrainSettings
            {
                Nodes = [self.Id],
                StableAfter = settings.SplitBrainResolver.StableAfter > TimeSpan.Zero ? settings.SplitBrainResolver.StableAfter : TimeSpan.FromMilliseconds(1),
            },
        };
    }

    /// <summary>No fence device is configured: every fence fails, so nothing of a lost host is ever recovered.</summary>
    private sealed class UnconfiguredFencer : IFencer
    {
        public Task<FenceResult> FenceAsync(FenceTarget target, CancellationToken cancellationToken) =>
            Task.FromResult(new FenceResult(false, "", $"no fence device is configured for {target.Name}"));
    }

    /// <summary>No public addresses are configured in a one-host cluster: nothing is taken or released.</summary>
    private sealed class UnmanagedAddresses : IAddressManager
    {
        public Task TakeAsync(PublicAddress address, CancellationToken cancellationToken) =>
            Task.FromException(new NotSupportedException($"floating address {address.Ip} cannot be managed by this version"));

        public Task ReleaseAsync(PublicAddress address, CancellationToken cancellationToken) =>
            Task.FromException(new NotSupportedException($"floating address {address.Ip} cannot be managed by this version"));
    }
}
