using Haven.Actors.Configuration;

namespace Haven.Host.Daemon;

/// <summary><c>haven.events</c>: the scripts directory, the script timeout, the monitor interval and healthy-after.</summary>
internal sealed record EventsSettings(string ScriptsDir, TimeSpan ScriptTimeout, TimeSpan MonitorInterval, int HealthyAfter)
{
    public const string ScriptsDirPath = "haven.events.scripts-dir";
    public const string ScriptTimeoutPath = "haven.events.script-timeout";
    public const string MonitorIntervalPath = "haven.events.monitor-interval";
    public const string HealthyAfterPath = "haven.events.healthy-after";

    /// <summary>Reads <c>haven.events</c> (the reference under <paramref name="config"/>); a bad value names its key and origin.</summary>
    public static EventsSettings From(Config config)
    {
        var c = config.WithFallback(HavenConfig.Reference);
        var dir = c.GetString(ScriptsDirPath);
        if (dir.Length == 0) throw new ConfigException(ScriptsDirPath, c.Origin(ScriptsDirPath), "must name a directory (a missing directory means no scripts)");
        return new EventsSettings(dir, Positive(c, ScriptTimeoutPath), Positive(c, MonitorIntervalPath), AtLeastOne(c, HealthyAfterPath));
    }

    private static TimeSpan Positive(Config c, string path)
    {
        var value = c.GetDuration(path);
        return value > TimeSpan.Zero ? value : throw new ConfigException(path, c.Origin(path), $"must be longer than 0s, got {c.GetString(path)}");
    }

    private static int AtLeastOne(Config c, string path)
    {
        var value = c.GetInt(path);
        return value >= 1 ? value : throw new ConfigException(path, c.Origin(path), $"must be 1 or more, got {value}");
    }
}
