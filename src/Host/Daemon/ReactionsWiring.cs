using Haven.Actors.Alerts;
using Haven.Actors.Cluster;
using Haven.Actors.Configuration;
using Haven.Actors.Events;
using Haven.Actors.FloatingIps.Conntrack;
using Haven.Actors.Runtime;
using Haven.Adapters.Alerts;
using Haven.Adapters.Configuration;
using Haven.Adapters.Conntrack;
using Haven.Adapters.FloatingIps;
using Microsoft.Extensions.Logging;

namespace Haven.Host.Daemon;

/// <summary>
/// What reacts to the cluster besides the ClusterActor itself: e-mail alerts (haven.alerts), conntrackd
/// master/backup (haven.conntrack) and the extra-address file (haven.ips.extra-addresses-file).
/// </summary>
internal static class ReactionsWiring
{
    public static IDisposable Start(ActorSystem system, HavenSettings settings, string configPath, DaemonState state, IActorRef cluster, ILoggerFactory loggers)
    {
        AlertSettings alertSettings;
        ConntrackSettings conntrack;
        ExtraAddressSettings extra;
        var options = state.ClusterOptions ?? throw new InvalidOperationException("the cluster is wired first");
        try
        {
            var config = state.StartConfig(settings, configPath);
            alertSettings = AlertSettings.Read(config) with { ClusterName = settings.Cluster.Name };
            conntrack = ConntrackSettings.Read(config);
            extra = ExtraAddressSettings.Read(config);
        }
        catch (Exception e) when (e is ConfigException or HoconException)
        {
            throw new CliException(e.Message);
        }
        var owned = new List<IDisposable>();
        AlertDispatcher? alerts = null;
        if (alertSettings.Enabled)
        {
            alerts = new AlertDispatcher(alertSettings, new SmtpAlertSender(alertSettings, loggers.CreateLogger<SmtpAlertSender>()),
                TimeProvider.System, loggers.CreateLogger<AlertDispatcher>());
            owned.Add(alerts);
        }
        ConntrackPolicy? policy = null;
        IConntrackController? controller = null;
        if (conntrack.Enabled)
        {
            var addresses = options.PublicAddresses.Select(a => a.Ip).ToHashSet(StringComparer.Ordinal);
            var unknown = conntrack.Group.Where(ip => !addresses.Contains(ip)).ToList();
            if (unknown.Count > 0)
                throw new CliException($"haven.conntrack.group: {string.Join(", ", unknown)} not in haven.ips.public-addresses");
            policy = new ConntrackPolicy(conntrack.Group, options.Self.Id);
            controller = new ConntrackdController(conntrack, loggers.CreateLogger<ConntrackdController>());
        }
        if (alerts is not null || policy is not null)
            system.ActorOf(ClusterReactionsActor.Props(new ClusterReactionsOptions(alerts, policy, controller, cluster, TimeSpan.FromSeconds(15))), "reactions");
        if (extra.Enabled)
        {
            var watcher = new ExtraAddressWatcher(extra, set => cluster.Tell(new PublicAddressesChanged(set), ActorRefs.NoSender),
                TimeProvider.System, loggers.CreateLogger<ExtraAddressWatcher>());
            cluster.Tell(new PublicAddressesChanged(watcher.Start()), ActorRefs.NoSender);
            owned.Add(watcher);
        }
        return new Owned(owned);
    }

    private sealed class Owned(List<IDisposable> parts) : IDisposable
    {
        public void Dispose()
        {
            foreach (var part in parts) part.Dispose();
        }
    }
}
