namespace Haven.Actors.Configuration;

/// <summary>Where a setting's effective value comes from.</summary>
public enum SettingSource
{
    /// <summary>reference.conf's default.</summary>
    Default,

    /// <summary>Set cluster-wide (<c>haven config set</c>), kept in the replicated state.</summary>
    Cluster,

    /// <summary>This host's own configuration file (HA-Lizard's ha-lizard.conf override).</summary>
    Host,
}

/// <summary>
/// One setting's effective value on this host: <see cref="Value"/> as HOCON text (as <c>haven config
/// get</c> shows it), its <see cref="Source"/>, and for a host value <see cref="Origin"/> FILE:LINE.
/// <see cref="Value"/> of a @map object is the whole object.
/// </summary>
public sealed record EffectiveSetting(string Key, string Value, SettingSource Source, string? Origin, SettingScope Scope)
{
    public string SourceText => Source switch
    {
        SettingSource.Host => $"host {Origin}",
        SettingSource.Cluster => "cluster",
        _ => "default",
    };
}

/// <summary>Every setting's effective value on one host, in reference.conf's order, and the merged configuration.</summary>
public sealed class EffectiveSettings
{
    private readonly Dictionary<string, EffectiveSetting> _byKey;

    internal EffectiveSettings(IReadOnlyList<EffectiveSetting> all, Config config)
    {
        All = all;
        Config = config;
        _byKey = all.ToDictionary(s => s.Key, StringComparer.Ordinal);
    }

    public IReadOnlyList<EffectiveSetting> All { get; }

    /// <summary>reference.conf &lt; cluster-wide settings &lt; this host's file: what <see cref="HavenSettings.From"/> reads.</summary>
    public Config Config { get; }

    public EffectiveSetting this[string key] => _byKey.TryGetValue(key, out var s) ? s : throw new KeyNotFoundException($"{key} is not a setting");

    public bool TryGet(string key, out EffectiveSetting setting) => _byKey.TryGetValue(key, out setting!);

    /// <summary>
    /// One setting, every setting of a section (<c>haven.heuristics</c>), or all when
    /// <paramref name="key"/> is null or empty; null with the reason for a path that is neither.
    /// </summary>
    public IReadOnlyList<EffectiveSetting>? Select(string? key, out string? error)
    {
        error = null;
        if (string.IsNullOrWhiteSpace(key)) return All;
        if (ClusterWideSettings.FindSetting(key, out error) is not { } setting) return null;
        return setting.IsSection
            ? All.Where(s => s.Key.StartsWith(setting.Path + ".", StringComparison.Ordinal)).ToList()
            : [_byKey[setting.Path]];
    }
}

/// <summary>
/// Resolves each setting: reference default &lt; cluster-wide value &lt; this host's own file. A host
/// file does not count for cluster-only keys (<c>@scope cluster</c>), and cluster-wide values do not
/// count for host-only keys (<c>@scope host</c>). Each key's value is taken whole from one layer (a
/// @map object is not merged across layers). Pure.
/// </summary>
public static class SettingsResolver
{
    /// <param name="cluster">The cluster-wide settings (key → HOCON text), as the replicated state holds them.</param>
    /// <param name="host">This host's configuration as loaded (with or without reference.conf under it); null for none.</param>
    public static EffectiveSettings Resolve(IEnumerable<KeyValuePair<string, string>> cluster, Config? host)
    {
        var schema = HavenConfig.Schema;
        var layer = ClusterWideSettings.Layer(cluster);
        var root = new HoconObject(new ConfigOrigin("effective", 0, 0));
        var all = new List<EffectiveSetting>();
        foreach (var setting in schema.Settings.Values)
        {
            if (setting.IsSection || setting.Segments.Count == 0) continue;
            var (value, source) = Pick(setting, layer, host, schema.Defaults);
            ClusterWideSettings.Put(root, setting.Segments, value);
            var origin = source == SettingSource.Host ? $"{value.Origin.Source}:{value.Origin.Line}" : null;
            all.Add(new EffectiveSetting(setting.Path, ClusterWideSettings.Render(value), source, origin, setting.Scope));
        }
        return new EffectiveSettings(all, new Config(root));
    }

    private static (HoconValue Value, SettingSource Source) Pick(SettingSchema setting, Config cluster, Config? host, Config defaults)
    {
        if (setting.Scope != SettingScope.Cluster && host is not null && host.TryGetValue(setting.Segments, out var fromHost)
            && fromHost.Origin.Source != HavenConfig.ReferenceSourceName && fromHost.Origin.Source != ClusterWideSettings.SourceName)
            return (fromHost, SettingSource.Host);
        if (setting.Scope != SettingScope.Host && cluster.TryGetValue(setting.Segments, out var fromCluster))
            return (fromCluster, SettingSource.Cluster);
        defaults.TryGetValue(setting.Segments, out var fallback);
        return (fallback!, SettingSource.Default);
    }
}
