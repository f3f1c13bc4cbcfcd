using System.Globalization;
using Haven.Actors.Fencing;

namespace Haven.Actors.Configuration;

/// <summary><c>haven.fencing.watchdog</c> (this host's self-fencing) and the <c>watchdog</c> device type (the DC side).</summary>
public static partial class FencingConfig
{
    /// <summary>The longest watchdog timeout accepted (the Linux API takes whole seconds; drivers cap far lower).</summary>
    public static readonly TimeSpan MaxWatchdogTimeout = TimeSpan.FromHours(1);

    private static WatchdogSettings ParseWatchdog(Config config, ReportProblem report)
    {
        var settings = new WatchdogSettings
        {
            Enabled = config.GetBoolean($"{WatchdogPath}.enabled"),
            Device = config.GetString($"{WatchdogPath}.device"),
            Timeout = config.GetDuration($"{WatchdogPath}.timeout"),
            DemoteTimeout = config.GetDuration($"{WatchdogPath}.demote-timeout"),
        };
        Check(settings.Device.StartsWith('/'), "device", $"must be an absolute path such as /dev/watchdog, found \"{settings.Device}\"");
        Check(settings.Timeout >= TimeSpan.FromSeconds(1) && settings.Timeout <= MaxWatchdogTimeout && settings.Timeout.Ticks % TimeSpan.TicksPerSecond == 0,
            "timeout", $"must be a whole number of seconds from 1s to {MaxWatchdogTimeout.TotalSeconds:0}s (the kernel watchdog counts seconds)");
        Check(settings.DemoteTimeout > TimeSpan.Zero, "demote-timeout", "must be greater than zero");
        Check(settings.DemoteTimeout < settings.Timeout, "demote-timeout",
            $"must be shorter than timeout ({Seconds(settings.Timeout)}): a host that lost the partition must reset within demote-timeout + timeout, "
            + "which the DC's watchdog device waits out as timeout × safety-factor");
        return settings;

        void Check(bool ok, string key, string message)
        {
            if (!ok)
            {
                var path = $"{WatchdogPath}.{key}";
                report(path, message, config.Origin(path));
            }
        }
    }

    private static WatchdogFenceDeviceSettings? Watchdog(string name, EntryReader reader, WatchdogSettings watchdog, bool demotedKeepResources)
    {
        var timeout = reader.Duration("watchdog-timeout", watchdog.Timeout);
        var factor = reader.Number("safety-factor", 2, 1);
        var settings = new WatchdogFenceDeviceSettings(name, timeout, factor);
        if (!watchdog.Enabled)
        {
            reader.Fail("type", $"a watchdog device assumes every host resets itself, which is safe only when every host runs the watchdog: set {WatchdogPath}.enabled = on");
        }
        else if (demotedKeepResources)
        {
            reader.Fail("type", "a watchdog device counts a lost host as fenced once it had time to release everything, but "
                                + "haven.split-brain-resolver.no-quorum-policy freeze or ignore keeps its VMs (or addresses) running: use stop, demote or fence");
        }
        else if (settings.Wait < watchdog.Timeout + watchdog.DemoteTimeout)
        {
            reader.Fail(reader.Has("safety-factor") ? "safety-factor" : "watchdog-timeout",
                $"watchdog-timeout × safety-factor = {Seconds(settings.Wait)} is shorter than a lost host may take to reset "
                + $"({WatchdogPath}.timeout + demote-timeout = {Seconds(watchdog.Timeout + watchdog.DemoteTimeout)})");
        }

        return settings;
    }

    private static string Seconds(TimeSpan span) => span.TotalSeconds.ToString("0.###", CultureInfo.InvariantCulture) + " s";
}
