using Haven.Actors.Events;
using Haven.Actors.Runtime;
using Microsoft.Extensions.Logging;

namespace Haven.Host.Daemon;

/// <summary>This daemon's event scripts: the runner (with the last results), the delivery actor and the monitor.</summary>
internal sealed class DaemonEvents(EventsSettings settings, SerializedEventScriptRunner runner, IActorRef delivery, IActorRef monitor, Task started, ILogger log)
{
    /// <summary>Completes once init, setup and startup ran and delivery caught up with the journal.</summary>
    public Task Started { get; } = started;

    public EventsSettings Settings { get; } = settings;
    public SerializedEventScriptRunner Runner { get; } = runner;
    public IActorRef Delivery { get; } = delivery;
    public IActorRef Monitor { get; } = monitor;

    /// <summary>The scripts directory with every entry's verdict and last result.</summary>
    public ScriptListing Listing() => ScriptListing.From(Runner.Inspect(), Runner.History.Last);

    /// <summary>Runs the shutdown event (bounded by the script timeout per script, after the run in progress).</summary>
    public async Task ShutdownAsync()
    {
        var scripts = Math.Max(1, Runner.Inspect().Scripts.Length);
        var bound = Settings.ScriptTimeout * (2 * scripts) + TimeSpan.FromSeconds(5);
        try
        {
            var ran = await Delivery.Ask<ShutdownEventRan>(RunShutdownEvent.Instance, bound);
            if (!ran.Result.Succeeded) log.LogWarning("Shutdown event failed; stopping anyway");
        }
        catch (TimeoutException)
        {
            log.LogWarning("Shutdown event did not finish within {Bound}; stopping anyway", bound);
        }
    }
}
