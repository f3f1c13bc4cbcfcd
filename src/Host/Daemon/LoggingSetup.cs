using Haven.Actors.Configuration;
using Serilog;
using Serilog.Events;
using Serilog.Formatting.Json;

namespace Haven.Host.Daemon;

/// <summary>Serilog from haven.logging: console (text or JSON) and an optional file.</summary>
internal static class LoggingSetup
{
    public static Serilog.Core.Logger Create(LoggingSettings settings, string node, TextWriter? console = null)
    {
        var level = settings.Level switch
        {
            "verbose" => LogEventLevel.Verbose,
            "debug" => LogEventLevel.Debug,
            "warning" => LogEventLevel.Warning,
            "error" => LogEventLevel.Error,
            "fatal" => LogEventLevel.Fatal,
            _ => LogEventLevel.Information,
        };
        const string text = "{Timestamp:yyyy-MM-dd HH:mm:ss.fff} [{Level:u3}] {Message:lj}{NewLine}{Exception}";
        var config = new LoggerConfiguration()
            .MinimumLevel.Is(level)
            .MinimumLevel.Override("Microsoft", LogEventLevel.Warning)
            .Enrich.WithProperty("Node", node);
        var json = settings.Format == "json";
        if (settings.Console)
        {
            if (console is not null)
                config = json ? config.WriteTo.TextWriter(new JsonFormatter(renderMessage: true), console)
                              : config.WriteTo.TextWriter(console, outputTemplate: text);
            else
                config = json ? config.WriteTo.Console(new JsonFormatter(renderMessage: true), standardErrorFromLevel: LogEventLevel.Verbose)
                              : config.WriteTo.Console(outputTemplate: text, standardErrorFromLevel: LogEventLevel.Verbose);
        }
        if (settings.FilePath.Length > 0)
        {
            config = json ? config.WriteTo.File(new JsonFormatter(renderMessage: true), settings.FilePath)
                          : config.WriteTo.File(settings.FilePath, outputTemplate: text);
        }
        return config.CreateLogger();
    }
}
