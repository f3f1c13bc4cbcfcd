using Haven.Actors.Configuration;
using Haven.Adapters.Configuration;
using Haven.Host.Cli;
using Haven.Host.Control;
using Haven.Host.Daemon;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Haven.Host.Metrics;

/// <summary>
/// The Prometheus endpoint: its own small Kestrel on the loopback address of <c>haven.metrics.listen</c>,
/// apart from the owner-only control socket. Disposing stops it.
/// </summary>
internal sealed class MetricsListener : IAsyncDisposable
{
    private readonly WebApplication? _app;

    private MetricsListener(WebApplication? app, Uri? address)
    {
        _app = app;
        Address = address;
    }

    /// <summary>Where it serves (http://HOST:PORT/metrics), or null when metrics are off.</summary>
    public Uri? Address { get; }

    /// <summary>
    /// Reads <c>haven.metrics</c> from the daemon's config file and, when enabled, starts serving. A bad or
    /// non-loopback address, or a port in use, stops the daemon's start with a <see cref="CliException"/>.
    /// </summary>
    public static async Task<MetricsListener> StartAsync(string configPath, DaemonState state, ILoggerFactory loggers, CancellationToken ct)
    {
        MetricsSettings settings;
        try
        {
            settings = MetricsSettings.From(ConfigFiles.Load(configPath));
        }
        catch (ConfigException e)
        {
            throw new CliException(e.Message);
        }
        if (!settings.Enabled) return new MetricsListener(null, null);

        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = [], ContentRootPath = AppContext.BaseDirectory });
        builder.Logging.ClearProviders();
        builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = TimeSpan.FromSeconds(5));
        builder.WebHost.ConfigureKestrel(k => k.Listen(settings.Listen));
        var app = builder.Build();
        MetricsApi.Map(app, state);
        try
        {
            await app.StartAsync(ct);
        }
        catch (IOException e)
        {
            await app.DisposeAsync();
            throw new CliException($"cannot serve metrics on {MetricsSettings.ListenPath} = {settings.Listen}: {e.Message}");
        }
        var address = new Uri($"http://{settings.Listen}/metrics");
        loggers.CreateLogger("Haven.Metrics").LogInformation("Serving Prometheus metrics on {Address}", address);
        return new MetricsListener(app, address);
    }

    public async ValueTask DisposeAsync()
    {
        if (_app is null) return;
        await _app.StopAsync(CancellationToken.None);
        await _app.DisposeAsync();
    }
}
