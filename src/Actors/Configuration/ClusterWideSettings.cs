namespace Haven.Actors.Configuration;

/// <summary>
/// The rules for settings kept cluster-wide in the replicated state (<c>haven config set</c>): only
/// keys of reference.conf, never a section and never a host-only key (<c>@scope host</c>), with the
/// type reference.conf gives. A value is HOCON text of one value (<c>5s</c>, <c>on</c>,
/// <c>"a b"</c>, <c>[x, y]</c>, <c>{ ... }</c> for a <c>@map</c>). Pure: the cluster state and the
/// operator commands use the same checks, so every host accepts and refuses the same events.
/// </summary>
public static class ClusterWideSettings
{
    /// <summary>The origin source of values that come from the cluster-wide settings.</summary>
    public const string SourceName = "cluster-wide setting";

    /// <summary>The cluster-wide HA switch (HA-Lizard's HA on/off).</summary>
    public const string HaEnabledKey = "haven.ha.enabled";

    /// <summary>The setting <paramref name="key"/> names, or null with why it cannot be set or reset cluster-wide.</summary>
    public static SettingSchema? FindSettable(string key, out string? error)
    {
        var setting = FindSetting(key, out error);
        if (setting is null) return null;
        if (setting.IsSection)
        {
            error = $"{setting.Path} is a section, not a setting; set its keys one by one ({SectionKeys(setting.Path)})";
            return null;
        }
        if (setting.Scope == SettingScope.Host)
        {
            error = $"{setting.Path} is a host setting (@scope host in reference.conf): set it in each host's configuration file, not cluster-wide";
            return null;
        }
        return setting;
    }

    /// <summary>A setting or section of reference.conf by path, or null with the reason (nearest key suggested).</summary>
    public static SettingSchema? FindSetting(string key, out string? error)
    {
        error = null;
        if (!ConfigPath.TryParse(key, out var segments, out var pathError))
        {
            error = $"'{Shown(key)}' is not a setting path: {pathError}";
            return null;
        }
        var schema = HavenConfig.Schema;
        var path = ConfigPath.Render(segments);
        if (schema.Settings.TryGetValue(path, out var setting)) return setting;
        for (var i = segments.Count - 1; i > 0; i--)
        {
            if (schema.Settings.TryGetValue(ConfigPath.Render(segments.Take(i)), out var parent) && parent.IsMap)
            {
                error = $"{path} is an entry of {parent.Path}, whose entries you choose; set the whole of {parent.Path} as one value ({{ ... }})";
                return null;
            }
        }
        error = schema.UnknownKeyMessage(path);
        return null;
    }

    /// <summary>
    /// Null when <paramref name="value"/> is a valid cluster-wide value for <paramref name="key"/>, else
    /// why not (the validator's own words: wrong type, not one of an enum's values, unknown key).
    /// <paramref name="normalized"/> is the value as stored and shown.
    /// </summary>
    public static string? Check(string key, string value, out string normalized)
    {
        normalized = value;
        if (FindSettable(key, out var error) is not { } setting) return error;
        if (!TryParseValue(value, out var parsed, out error)) return $"{setting.Path}: {error}";
        var problems = HavenConfig.Schema.Validate(new Config(Tree(setting.Segments, parsed)));
        if (problems.Count > 0) return string.Join("; ", problems.Select(p => $"{p.Path}: {p.Message}"));
        normalized = Render(parsed);
        return null;
    }

    /// <summary>An operator's text as an error quotes it: on one line (control characters escaped), at most 100 characters.</summary>
    private static string Shown(string text) => ConfigPath.Escape(text.Length > 100 ? text[..100] + "…" : text);

    /// <summary>The most characters of one cluster-wide value's text (it is journaled and replicated to every host).</summary>
    public const int MaxValueLength = 64 * 1024;

    /// <summary>Parses the text of one value; false with the reason when it is not exactly one HOCON value.</summary>
    public static bool TryParseValue(string text, out HoconValue value, out string? error)
    {
        value = null!;
        error = null;
        if (string.IsNullOrWhiteSpace(text))
        {
            error = "the value is empty (write \"\" for an empty string)";
            return false;
        }
        if (text.Length > MaxValueLength)
        {
            error = $"the value is {text.Length} characters, more than the {MaxValueLength} a cluster-wide setting may hold";
            return false;
        }
        Config parsed;
        try
        {
            parsed = HoconParser.Parse($"v = {text}\n", SourceName);
        }
        catch (HoconException e)
        {
            error = $"'{Shown(text)}' is not one HOCON value: {e.Reason}";
            return false;
        }
        if (parsed.Root.Count != 1 || !parsed.Root.TryGetValue("v", out var found))
        {
            error = $"'{Shown(text)}' is not one value (it sets {string.Join(", ", parsed.Root.Keys.Where(k => k != "v"))} too)";
            return false;
        }
        value = found;
        return true;
    }

    /// <summary>
    /// A value as <c>haven config get</c> shows it and the state stores it: a string that reads back
    /// as itself unquoted is written bare (<c>5s</c>, <c>keep-majority</c>), anything else as HOCON.
    /// </summary>
    public static string Render(HoconValue value) => value switch
    {
        HoconObject { Count: 0 } => "{}",
        HoconObject obj => "{ " + string.Join(", ", obj.Keys.Select(k => $"{ConfigPath.Render([k])} {(obj[k] is HoconObject ? "" : "= ")}{Render(obj[k])}")) + " }",
        HoconList list => "[" + string.Join(", ", list.Items.Select(Render)) + "]",
        HoconScalar { ScalarKind: HoconValueKind.String } s when ReadsBackBare(s.Text) => s.Text,
        _ => ConfigRenderer.Render(value),
    };

    /// <summary>Words (<c>keep-majority</c>) and numbers with a unit (<c>2s</c>, <c>64k</c>); addresses and paths stay quoted.</summary>
    private static bool ReadsBackBare(string text) =>
        (System.Text.RegularExpressions.Regex.IsMatch(text, "^[A-Za-z][A-Za-z0-9_-]*$")
         || System.Text.RegularExpressions.Regex.IsMatch(text, "^[0-9]+(\\.[0-9]+)?[A-Za-z]+$"))
        && TryParseValue(text, out var back, out _) && back is HoconScalar b && b.Text == text;

    /// <summary>The cluster-wide settings as a configuration tree (origin: <see cref="SourceName"/>); unparsable entries are skipped.</summary>
    public static Config Layer(IEnumerable<KeyValuePair<string, string>> settings)
    {
        var root = new HoconObject(new ConfigOrigin(SourceName, 0, 0));
        foreach (var (key, text) in settings)
        {
            if (HavenConfig.Schema.Settings.TryGetValue(key, out var setting) && TryParseValue(text, out var value, out _))
                Put(root, setting.Segments, value);
        }
        return new Config(root);
    }

    /// <summary>A tree holding one value at a path.</summary>
    internal static HoconObject Tree(IReadOnlyList<string> segments, HoconValue value)
    {
        var root = new HoconObject(value.Origin);
        Put(root, segments, value);
        return root;
    }

    /// <summary>Puts a value at a path, creating the objects on the way.</summary>
    internal static void Put(HoconObject root, IReadOnlyList<string> segments, HoconValue value)
    {
        var at = root;
        for (var i = 0; i < segments.Count - 1; i++)
        {
            if (!at.TryGetValue(segments[i], out var child) || child is not HoconObject obj)
            {
                obj = new HoconObject(value.Origin);
                at.Set(segments[i], obj);
            }
            at = obj;
        }
        at.Set(segments[^1], value);
    }

    private static string SectionKeys(string section)
    {
        var keys = HavenConfig.Schema.Settings.Values
            .Where(s => !s.IsSection && s.Path.StartsWith(section + ".", StringComparison.Ordinal))
            .Select(s => s.Path).ToList();
        return keys.Count <= 6 ? string.Join(", ", keys) : $"{string.Join(", ", keys.Take(4))}, … ({keys.Count} in all; see haven config get {section})";
    }
}
