using Haven.Actors.Configuration;
using Serilog;
using Serilog.Events;
using Serilog.Formatting.Json;

namespace Haven.Host.Daemon;

/// <summary>Serilog from haven.logging: console (text or JSON) and an optional file.</summary>
internal static class LoggingSetup
{
    public static Serilog.Core.Logger Create(LoggingSettings settings, string node)
    {
        var level = settings.Level switch
        {
            HavenLogLevel.Verbose => LogEventLevel.Verbose,
            HavenLogLevel.Debug => LogEventLevel.Debug,
            HavenLogLevel.Warning => LogEventLevel.Warning,
            HavenLogLevel.Error => LogEventLevel.Error,
            HavenLogLevel.Fatal => LogEventLevel.Fatal,
            _ => LogEventLevel.Information,
        };
        const string text = "{Timestamp:yyyy-MM-dd HH:mm:ss.fff} [{Level:u3}] {Message:lj}{NewLine}{Exception}";
        var config = new LoggerConfiguration()
            .MinimumLevel.Is(level)
            .MinimumLevel.Override("Microsoft", LogEventLevel.Warning)
            .Enrich.WithProperty("Node", node);
        var json = settings.Format == LogFormat.Json;
        if (settings.Console)
        {
            config = json ? config.WriteTo.Console(new JsonFormatter(renderMessage: true), standardErrorFromLevel: LogEventLevel.Verbose)
                          : config.WriteTo.Console(outputTemplate: text, standardErrorFromLevel: LogEventLevel.Verbose);
        }
        if (settings.FilePath is { } file)
        {
            config = json ? config.WriteTo.File(new JsonFormatter(renderMessage: true), file)
                          : config.WriteTo.File(file, outputTemplate: text);
        }
        return config.CreateLogger();
    }
}
