using Haven.Actors.Configuration;
using Haven.Host.Control;
using Haven.Host.Daemon;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Logging;

namespace Haven.Host.Metrics;

/// <summary>The operator surface of a daemon: /v1/health on the control API and the loopback Prometheus endpoint.</summary>
internal static class OpsSurface
{
    /// <summary>Call after the control API is mapped and before it starts; dispose when the daemon stops.</summary>
    public static Task<SideListener> StartAsync(WebApplication control, HavenSettings settings, string configPath, DaemonState state,
        ILoggerFactory loggers, CancellationToken ct)
    {
        HealthApi.Map(control, state, settings, loggers);
        return MetricsListener.StartAsync(configPath, state, loggers, ct);
    }
}
