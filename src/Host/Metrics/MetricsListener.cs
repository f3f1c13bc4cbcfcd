using Haven.Host.Cli;
using Haven.Host.Control;
using Haven.Host.Daemon;
using Microsoft.Extensions.Logging;

namespace Haven.Host.Metrics;

/// <summary>
/// The Prometheus endpoint: its own small Kestrel on the loopback address of <c>haven.metrics.listen</c>,
/// apart from the owner-only control socket.
/// </summary>
internal static class MetricsListener
{
    /// <summary>
    /// Reads <c>haven.metrics</c> from the daemon's config file and, when enabled, starts serving (http://HOST:PORT/metrics). A bad or
    /// non-loopback address, or a port in use, stops the daemon's start with a <see cref="CliException"/>.
    /// </summary>
    public static async Task<SideListener> StartAsync(string configPath, DaemonState state, ILoggerFactory loggers, CancellationToken ct)
    {
        var settings = SideListener.ReadSettings(configPath, MetricsSettings.From);
        if (!settings.Enabled) return SideListener.Off;

        var app = SideListener.Build(k => k.Listen(settings.Listen));
        MetricsApi.Map(app, state);
        var address = new Uri($"http://{settings.Listen}/metrics");
        var listener = await SideListener.StartAsync(app, address, $"metrics on {MetricsSettings.ListenPath} = {settings.Listen}", ct);
        loggers.CreateLogger("Haven.Metrics").LogInformation("Serving Prometheus metrics on {Address}", address);
        return listener;
    }
}
