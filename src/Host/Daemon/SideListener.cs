using Haven.Host.Cli;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Haven.Host.Daemon;

/// <summary>
/// A small Kestrel of the daemon's own beside the owner-only control socket (the Prometheus endpoint, the web view): no request
/// logging, a short shutdown. Disposing stops it; <see cref="Off"/> serves nothing.
/// </summary>
internal sealed class SideListener : IAsyncDisposable
{
    private readonly WebApplication? _app;

    private SideListener(WebApplication? app, Uri? address)
    {
        _app = app;
        Address = address;
    }

    public static SideListener Off => new(null, null);

    /// <summary>Where it serves, or null when off.</summary>
    public Uri? Address { get; }

    /// <summary>The listener's settings from the daemon's config file; a problem stops the daemon's start with its FILE:LINE.</summary>
    public static T ReadSettings<T>(string configPath, Func<Haven.Actors.Configuration.Config, T> read)
    {
        try
        {
            return read(Haven.Adapters.Configuration.ConfigFiles.Load(configPath));
        }
        catch (Haven.Actors.Configuration.ConfigException e)
        {
            throw new CliException(e.Message);
        }
    }

    /// <summary>The application to map endpoints on; <paramref name="https"/> when <paramref name="listen"/> uses TLS.</summary>
    public static WebApplication Build(Action<KestrelServerOptions> listen, bool https = false)
    {
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = [], ContentRootPath = AppContext.BaseDirectory });
        builder.Logging.ClearProviders();
        builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = TimeSpan.FromSeconds(5));
        if (https) builder.WebHost.UseKestrelHttpsConfiguration();
        builder.WebHost.ConfigureKestrel(k =>
        {
            k.AddServerHeader = false;
            listen(k);
        });
        return builder.Build();
    }

    /// <summary>Starts <paramref name="app"/>; a port in use (or any bind failure) stops the daemon's start naming <paramref name="what"/>.</summary>
    public static async Task<SideListener> StartAsync(WebApplication app, Uri address, string what, CancellationToken ct)
    {
        try
        {
            await app.StartAsync(ct);
        }
        catch (IOException e)
        {
            await app.DisposeAsync();
            throw new CliException($"cannot serve {what}: {e.Message}");
        }
        return new SideListener(app, address);
    }

    public async ValueTask DisposeAsync()
    {
        if (_app is null) return;
        await _app.StopAsync(CancellationToken.None);
        await _app.DisposeAsync();
    }
}
