using System.Collections.Immutable;
using Haven.Actors.Configuration;

namespace Haven.Actors.Cluster;

/// <summary>Cluster-wide settings and HA switches kept in the replicated state (issue "Operator surface").</summary>
public sealed partial record ClusterState
{
    /// <summary>
    /// The cluster-wide settings (key → HOCON text of one value), as <see cref="SettingChanged"/> and
    /// <see cref="SettingReset"/> left them. Only keys of reference.conf that are not host-only.
    /// </summary>
    public ImmutableDictionary<string, string> Settings { get; private init; } = ImmutableDictionary.Create<string, string>(StringComparer.Ordinal);

    /// <summary>
    /// HA on or off for the whole cluster (<c>haven.ha.enabled</c>, cluster-wide only): the cluster-wide
    /// value, else reference.conf's default (on). Off: no VM is restarted or moved.
    /// </summary>
    public bool HaEnabled => Settings.TryGetValue(ClusterWideSettings.HaEnabledKey, out var text)
        && ClusterWideSettings.TryParseValue(text, out var value, out _) && value is HoconScalar scalar
        && ConfigUnits.TryParseBoolean(scalar.Text, out var enabled)
            ? enabled
            : HavenConfig.Reference.GetBoolean(ClusterWideSettings.HaEnabledKey);

    /// <summary>The transition for a settings event, or null when the event is not one.</summary>
    private (ClusterState? State, string? Reason)? SettingsTransition(IClusterEvent clusterEvent) => clusterEvent switch
    {
        SettingChanged e => ChangeSetting(e),
        SettingReset e => ResetSetting(e),
        _ => null,
    };

    private (ClusterState?, string?) ChangeSetting(SettingChanged e)
    {
        if (e.Key is null || e.Value is null) return (null, "a setting change needs a key and a value");
        if (ClusterWideSettings.Check(e.Key, e.Value, out _) is { } bad) return (null, bad);
        if (NotCanonical(e.Key) is { } key) return (null, key);
        if (Settings.TryGetValue(e.Key, out var current) && current == e.Value) return (null, $"{e.Key} is already {e.Value} cluster-wide");
        return (this with { Settings = Settings.SetItem(e.Key, e.Value), Version = Version + 1 }, null);
    }

    private (ClusterState?, string?) ResetSetting(SettingReset e)
    {
        if (e.Key is null) return (null, "a setting reset needs a key");
        if (ClusterWideSettings.FindSettable(e.Key, out var bad) is null) return (null, bad);
        if (NotCanonical(e.Key) is { } key) return (null, key);
        if (!Settings.ContainsKey(e.Key)) return (null, $"{e.Key} is not set cluster-wide; there is nothing to reset");
        return (this with { Settings = Settings.Remove(e.Key), Version = Version + 1 }, null);
    }

    /// <summary>Keys are stored as reference.conf writes them, so one setting is never held twice.</summary>
    private static string? NotCanonical(string key) =>
        ClusterWideSettings.FindSettable(key, out _) is { } setting && setting.Path != key ? $"write the key as {setting.Path}, not '{key}'" : null;

    private bool SettingsEqual(ClusterState other) => SameContents(Settings, other.Settings);
}
