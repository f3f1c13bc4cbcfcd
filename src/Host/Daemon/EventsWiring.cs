using Haven.Adapters.FloatingIps;
using Haven.Actors;
using Haven.Actors.Configuration;
using Haven.Actors.Events;
using Haven.Actors.Persistence;
using Haven.Actors.Runtime;
using Haven.Adapters.Configuration;
using Haven.Adapters.Events;
using Microsoft.Extensions.Logging;

namespace Haven.Host.Daemon;

/// <summary>Builds this host's event scripts from haven.events: the runner, the delivery actor and the monitor.</summary>
internal static class EventsWiring
{
    /// <summary>
    /// Before the ClusterActor starts: on the first start of event delivery, journals its checkpoint at the "cluster"
    /// stream's highest sequence number, so older history is not replayed to the scripts (see <see cref="EventDeliveryStart"/>).
    /// </summary>
    public static Task<long?> PrepareAsync(DaemonState state, ILoggerFactory loggers, CancellationToken ct) =>
        EventDeliveryStart.EnsureCheckpointAsync(Persistence(state), TimeProvider.System, loggers.CreateLogger("Haven.Events"), cancellationToken: ct);

    private static PersistenceServices Persistence(DaemonState state) =>
        new(state.Journal, state.JournalHandle.Snapshots, new JsonEventSerializer(HavenManifests.CreateRegistry()));

    public static DaemonEvents Start(ActorSystem system, HavenSettings settings, string configPath, DaemonState state, IActorRef cluster, ILoggerFactory loggers)
    {
        EventsSettings events;
        ExtraAddressSettings extra;
        var options = state.ClusterOptions ?? throw new InvalidOperationException("the cluster is wired first");
        try
        {
            var config = state.StartConfig(settings, configPath);
            events = EventsSettings.From(config);
            extra = ExtraAddressSettings.Read(config);
        }
        catch (Exception e) when (e is ConfigException or HoconException)
        {
            throw new CliException(e.Message);
        }
        var log = loggers.CreateLogger("Haven.Events");
        if (!Directory.Exists(events.ScriptsDir))
            log.LogWarning("Event scripts directory {Directory} does not exist: no event scripts run", events.ScriptsDir);
        var runner = new SerializedEventScriptRunner(
            new EventScriptRunner(events.ScriptsDir, events.ScriptTimeout, TimeProvider.System, loggers.CreateLogger<EventScriptRunner>()),
            new EventScriptHistory(), TimeProvider.System);
        var persistence = Persistence(state);
        // CTDB monitors only once startup ran: the monitor waits for the delivery's start.
        // The public interfaces: those of the configured addresses and the one the extra-address file's go to.
        var interfaces = options.PublicAddresses.Select(a => a.Interface).Concat(extra.Enabled ? [extra.Interface] : []);
        var monitorOptions = MonitorOptions.Create(events.MonitorInterval, events.HealthyAfter, interfaces);
        var monitor = system.ActorOf(MonitorActor.Props(monitorOptions, runner, new SysfsLinkState(), cluster, waitForStart: true), "monitor");
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var delivery = system.ActorOf(EventDeliveryActor.Props(new EventDeliveryOptions(options.Self.Id, runner)
        {
            Started = () =>
            {
                monitor.Tell(StartMonitoring.Instance, ActorRefs.NoSender);
                started.TrySetResult();
            },
        }, persistence), "event-delivery");
        log.LogInformation("Event scripts from {Directory}; monitor every {Interval} (interfaces {Interfaces})",
            events.ScriptsDir, events.MonitorInterval, monitorOptions.Interfaces.IsEmpty ? "none" : string.Join(",", monitorOptions.Interfaces));
        return new DaemonEvents(events, runner, delivery, monitor, started.Task, log);
    }
}
