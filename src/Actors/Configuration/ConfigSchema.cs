using System.Globalization;

namespace Haven.Actors.Configuration;

/// <summary>The type a setting must have.</summary>
public enum SettingType
{
    Any,
    String,
    Number,
    Integer,
    Boolean,
    Duration,
    Size,
    List,
    Object,
}

/// <summary>Where a setting may be set (<c>@scope</c> in reference.conf).</summary>
public enum SettingScope
{
    /// <summary>A host's file or cluster-wide (the host's file wins for that host).</summary>
    Any,

    /// <summary>Only a host's configuration file: paths, sockets, identity, logging.</summary>
    Host,

    /// <summary>Only cluster-wide, so that every host acts on the same value.</summary>
    Cluster,
}

/// <summary>One known path of a reference configuration.</summary>
public sealed record SettingSchema(
    string Path,
    SettingType Type,
    IReadOnlyList<string>? AllowedValues = null,
    bool IsMap = false,
    SettingType ElementType = SettingType.Any)
{
    /// <summary>Where it may be set; inherited from the enclosing object unless annotated itself.</summary>
    public SettingScope Scope { get; init; } = SettingScope.Any;

    /// <summary>
    /// True when a running daemon acts on a new value at once (<c>@live</c>); otherwise the value is read
    /// when the daemon starts and a change applies at each host's next start. Inherited like the scope.
    /// </summary>
    public bool Live { get; init; }

    /// <summary>
    /// <c>@range MIN..MAX</c>: the least and greatest value of a number, whole number or duration (as written,
    /// e.g. <c>0..5</c>, <c>1ms..1h</c>); null for a duration means <see cref="ConfigSchema.DefaultDurationRange"/>.
    /// </summary>
    public (string Min, string Max)? Range { get; init; }

    /// <summary>
    /// <c>@max-length N</c>: the most characters of a string, or entries of a list or a <c>@map</c> (each entry of a
    /// list of strings is a string of at most <see cref="ConfigSchema.DefaultMaxLength"/>); null means that default.
    /// </summary>
    public int? MaxLength { get; init; }

    /// <summary>The path's keys (a quoted key stays one key).</summary>
    public IReadOnlyList<string> Segments { get; init; } = [];

    /// <summary>A section: an object whose keys are settings of their own (not a <c>@map</c>).</summary>
    public bool IsSection => Type == SettingType.Object && !IsMap;
}

/// <summary>
/// The settings a reference configuration declares: its defaults give each key and type, and
/// comment annotations on the line(s) above a key add <c>@enum a|b|c</c>, <c>@map</c>,
/// <c>@type T</c> or <c>@type list&lt;T&gt;</c>, <c>@range MIN..MAX</c>, <c>@max-length N</c> and <c>@scope any|host|cluster</c> (see
/// hocon/reference.conf for the rules; a scope applies to everything inside an object). The
/// entries of a <c>list&lt;object&gt;</c> are checked by the code that reads them (their fields are
/// not keys of the reference).
/// </summary>
public sealed class ConfigSchema
{
    private readonly Dictionary<string, SettingSchema> settings;

    private ConfigSchema(Config defaults, Dictionary<string, SettingSchema> settings)
    {
        Defaults = defaults;
        this.settings = settings;
    }

    public Config Defaults { get; }

    /// <summary>Every known path (objects and leaves), keyed by path expression.</summary>
    public IReadOnlyDictionary<string, SettingSchema> Settings => settings;

    public static ConfigSchema FromReference(string text, string sourceName)
    {
        var defaults = HoconParser.Parse(text, sourceName);
        var lines = text.Split('\n');
        var values = new List<(List<string> Path, HoconValue Value)>();
        Collect(defaults.Root, [], values);
        var deepestOnLine = values
            .GroupBy(v => v.Value.Origin.Line)
            .ToDictionary(g => g.Key, g => g.MaxBy(v => v.Path.Count).Path);
        var settings = new Dictionary<string, SettingSchema>(StringComparer.Ordinal);
        foreach (var (path, value) in values)
        {
            var annotations = deepestOnLine[value.Origin.Line] == path
                ? ReadAnnotations(lines, value.Origin)
                : [];
            var rendered = ConfigPath.Render(path);
            var parent = path.Count > 1 && settings.TryGetValue(ConfigPath.Render(path.Take(path.Count - 1)), out var p) ? p : null;
            settings[rendered] = Build(rendered, value, annotations, sourceName, parent) with { Segments = [.. path] };
        }

        return new ConfigSchema(defaults, settings);
    }

    /// <summary>Every problem of <paramref name="config"/>: unknown keys, wrong types, values outside an enum.</summary>
    public IReadOnlyList<ConfigProblem> Validate(Config config)
    {
        var problems = new List<ConfigProblem>();
        CheckObject(config.Root, [], problems);
        return problems;
    }

    private void CheckObject(HoconObject obj, List<string> path, List<ConfigProblem> problems)
    {
        foreach (var key in obj.Keys)
        {
            List<string> childPath = [.. path, key];
            var rendered = ConfigPath.Render(childPath);
            if (settings.TryGetValue(rendered, out var setting))
            {
                CheckValue(obj[key], setting, childPath, problems);
            }
            else
            {
                ReportUnknown(obj[key], childPath, problems);
            }
        }
    }

    private void CheckValue(HoconValue value, SettingSchema setting, List<string> path, List<ConfigProblem> problems)
    {
        if (!Matches(value, setting.Type))
        {
            problems.Add(new(setting.Path, $"expected {Expected(setting.Type)}, found {value.Describe()}", value.Origin.ToString()));
            return;
        }

        if (TooLong(value, setting) is { } tooLong)
        {
            problems.Add(new(setting.Path, tooLong, value.Origin.ToString()));
            return;
        }

        if (value is HoconObject obj && !setting.IsMap)
        {
            CheckObject(obj, path, problems);
        }
        else if (value is HoconList list)
        {
            for (var i = 0; i < list.Items.Count; i++)
            {
                var item = list.Items[i];
                if (!Matches(item, setting.ElementType))
                {
                    problems.Add(new($"{setting.Path}[{i}]", $"expected {Expected(setting.ElementType)}, found {item.Describe()}", item.Origin.ToString()));
                }
            }
        }
        else if (value is HoconScalar ranged && OutOfRange(ranged.Text, setting) is { } range)
        {
            problems.Add(new(setting.Path, $"{ranged.Text} is out of range ({range})", value.Origin.ToString()));
        }
        else if (setting.AllowedValues is { } allowed && value is HoconScalar scalar && !allowed.Contains(scalar.Text, StringComparer.Ordinal))
        {
            var nearest = Levenshtein.Nearest(scalar.Text, allowed);
            var hint = nearest is null ? "" : $"; did you mean {nearest}?";
            problems.Add(new(setting.Path, $"invalid value \"{scalar.Text}\"; expected one of {string.Join(", ", allowed)}{hint}", value.Origin.ToString()));
        }
    }

    private void ReportUnknown(HoconValue value, List<string> path, List<ConfigProblem> problems)
    {
        if (value is HoconObject obj && obj.Count > 0)
        {
            foreach (var key in obj.Keys)
            {
                ReportUnknown(obj[key], [.. path, key], problems);
            }

            return;
        }

        var rendered = ConfigPath.Render(path);
        problems.Add(new(rendered, UnknownKeyMessage(rendered), value.Origin.ToString()));
    }

    /// <summary><c>unknown key PATH; did you mean NEAREST?</c>, as the validator reports an unknown key.</summary>
    public string UnknownKeyMessage(string path)
    {
        var nearest = Levenshtein.Nearest(path, settings.Keys);
        var hint = nearest is null ? "" : $"; did you mean {nearest}?";
        return $"unknown key {path}{hint}";
    }

    /// <summary>
    /// Durations without <c>@range</c> lie within this: not negative, and short enough for a timer (the runtime's
    /// timers take at most about 24.8 days), so that no accepted value can overflow one.
    /// </summary>
    public static readonly (string Min, string Max) DefaultDurationRange = ("0s", "24d");

    /// <summary>
    /// The most characters of a string and entries of a list or <c>@map</c> without <c>@max-length</c>: every value
    /// comes from outside (a file, `haven config set`) and is journaled and replicated, so none is unbounded.
    /// </summary>
    public const int DefaultMaxLength = 4096;

    /// <summary>Why a string, list or map is longer than the setting allows, or null.</summary>
    private static string? TooLong(HoconValue value, SettingSchema setting)
    {
        var max = setting.MaxLength ?? DefaultMaxLength;
        return value switch
        {
            HoconScalar { ScalarKind: HoconValueKind.String } s when s.Text.Length > max => $"a string of {s.Text.Length} characters, more than the {max} allowed",
            HoconList list when list.Items.Count > max => $"a list of {list.Items.Count} entries, more than the {max} allowed",
            HoconList list when list.Items.OfType<HoconScalar>().FirstOrDefault(i => i.Text.Length > DefaultMaxLength) is { } item =>
                $"an entry of {item.Text.Length} characters, more than the {DefaultMaxLength} allowed",
            HoconObject map when setting.IsMap && map.Count > max => $"{map.Count} entries, more than the {max} allowed",
            _ => null,
        };
    }

    /// <summary>"MIN..MAX" when <paramref name="text"/> (already of the right type) lies outside the setting's range, else null.</summary>
    private static string? OutOfRange(string text, SettingSchema setting)
    {
        if (setting.Type == SettingType.Duration)
        {
            var (min, max) = setting.Range ?? DefaultDurationRange;
            return ConfigUnits.TryParseDuration(text, out var value) && ConfigUnits.TryParseDuration(min, out var low) && ConfigUnits.TryParseDuration(max, out var high)
                && (value < low || value > high) ? $"{min}..{max}" : null;
        }

        if (setting.Range is not { } range || setting.Type is not (SettingType.Integer or SettingType.Number)) return null;
        return double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var number)
            && (number < double.Parse(range.Min, CultureInfo.InvariantCulture) || number > double.Parse(range.Max, CultureInfo.InvariantCulture))
                ? $"{range.Min}..{range.Max}" : null;
    }

    /// <summary><c>MIN..MAX</c> of the setting's type.</summary>
    private static bool TryParseRange(string argument, SettingType type, out (string Min, string Max) range)
    {
        range = default;
        var parts = argument.Split("..", StringSplitOptions.TrimEntries);
        if (parts.Length != 2) return false;
        range = (parts[0], parts[1]);
        return type switch
        {
            SettingType.Duration => ConfigUnits.TryParseDuration(parts[0], out var low) && ConfigUnits.TryParseDuration(parts[1], out var high) && low <= high,
            SettingType.Integer or SettingType.Number => double.TryParse(parts[0], NumberStyles.Float, CultureInfo.InvariantCulture, out var a)
                && double.TryParse(parts[1], NumberStyles.Float, CultureInfo.InvariantCulture, out var b) && a <= b,
            _ => false,
        };
    }

    private static bool Matches(HoconValue value, SettingType type) => type switch
    {
        SettingType.Any => true,
        SettingType.List => value is HoconList,
        SettingType.Object => value is HoconObject,
        _ when value is not HoconScalar { ScalarKind: not HoconValueKind.Null } s => false,
        SettingType.Number => double.TryParse(((HoconScalar)value).Text, NumberStyles.Float, CultureInfo.InvariantCulture, out var d) && double.IsFinite(d),
        SettingType.Integer => long.TryParse(((HoconScalar)value).Text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out _),
        SettingType.Boolean => ConfigUnits.TryParseBoolean(((HoconScalar)value).Text, out _),
        SettingType.Duration => ConfigUnits.TryParseDuration(((HoconScalar)value).Text, out _),
        SettingType.Size => ConfigUnits.TryParseBytes(((HoconScalar)value).Text, out _),
        _ => true,
    };

    private static string Expected(SettingType type) => type switch
    {
        SettingType.String => "a string",
        SettingType.Number => "a number",
        SettingType.Integer => "a whole number",
        SettingType.Boolean => "a boolean (on/off, true/false, yes/no)",
        SettingType.Duration => "a duration such as 2s, 500ms or 1 minute",
        SettingType.Size => "a size such as 512, 64k or 1MiB",
        SettingType.List => "a list",
        SettingType.Object => "an object",
        _ => "any value",
    };

    private static SettingSchema Build(string path, HoconValue value, List<(string Name, string Argument, int Line)> annotations, string source,
        SettingSchema? parent)
    {
        var setting = new SettingSchema(path, Infer(value),
            ElementType: value is HoconList list ? (list.Items.Count > 0 ? Infer(list.Items[0]) : SettingType.String) : SettingType.Any)
        {
            Scope = parent?.Scope ?? SettingScope.Any,
            Live = parent?.Live ?? false,
        };
        foreach (var (name, argument, line) in annotations.OrderBy(a => a.Name == "type" ? 0 : 1)) // @range needs the type
        {
            setting = name switch
            {
                "enum" => setting with { AllowedValues = argument.Split('|', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries) },
                "map" when value is HoconObject => setting with { IsMap = true },
                "type" when TryParseListType(argument, out var element) => setting with { Type = SettingType.List, ElementType = element },
                "type" when IsTypeName(argument, out var type) => setting with { Type = type },
                "live" when argument.Length == 0 => setting with { Live = true },
                "range" when TryParseRange(argument, setting.Type, out var range) => setting with { Range = range },
                "max-length" when int.TryParse(argument, NumberStyles.None, CultureInfo.InvariantCulture, out var length) && length > 0 => setting with { MaxLength = length },
                "scope" when argument.Length > 0 && argument.All(char.IsAsciiLetter) && Enum.TryParse<SettingScope>(argument, ignoreCase: true, out var scope) => setting with { Scope = scope },
                _ => throw new HoconException(source, line, 1, $"invalid annotation @{name} {argument} on {path}"),
            };
        }

        return setting;
    }

    /// <summary><c>list&lt;T&gt;</c>: a list whose elements have type T.</summary>
    private static bool TryParseListType(string argument, out SettingType element)
    {
        element = SettingType.Any;
        return argument.StartsWith("list<", StringComparison.OrdinalIgnoreCase)
            && argument.EndsWith('>')
            && IsTypeName(argument[5..^1].Trim(), out element);
    }

    /// <summary>A type by its name only (Enum.TryParse alone would also take "7").</summary>
    private static bool IsTypeName(string name, out SettingType type)
    {
        type = SettingType.Any;
        return name.Length > 0 && name.All(char.IsAsciiLetter) && Enum.TryParse(name, ignoreCase: true, out type);
    }

    private static SettingType Infer(HoconValue value)
    {
        if (value is HoconObject)
        {
            return SettingType.Object;
        }

        if (value is HoconList)
        {
            return SettingType.List;
        }

        var scalar = (HoconScalar)value;
        return scalar.ScalarKind switch
        {
            HoconValueKind.Null => SettingType.Any,
            HoconValueKind.Boolean => SettingType.Boolean,
            HoconValueKind.Number => scalar.Text.Any(c => c is '.' or 'e' or 'E') ? SettingType.Number : SettingType.Integer,
            _ when ConfigUnits.TryParseBoolean(scalar.Text, out _) => SettingType.Boolean,
            _ when ConfigUnits.HasUnit(scalar.Text) && ConfigUnits.TryParseDuration(scalar.Text, out _) => SettingType.Duration,
            _ when ConfigUnits.HasUnit(scalar.Text) && ConfigUnits.TryParseBytes(scalar.Text, out _) => SettingType.Size,
            _ => SettingType.String,
        };
    }

    private static List<(string Name, string Argument, int Line)> ReadAnnotations(string[] lines, ConfigOrigin origin)
    {
        var found = new List<(string, string, int)>();
        for (var i = origin.Line - 2; i >= 0; i--)
        {
            var line = lines[i].Trim();
            var body = line.StartsWith('#') ? line[1..] : line.StartsWith("//", StringComparison.Ordinal) ? line[2..] : null;
            if (body is null)
            {
                break;
            }

            body = body.Trim();
            if (body.StartsWith('@'))
            {
                var space = body.IndexOf(' ', StringComparison.Ordinal);
                found.Add(space < 0 ? (body[1..], "", i + 1) : (body[1..space], body[(space + 1)..].Trim(), i + 1));
            }
        }

        return found;
    }

    private static void Collect(HoconObject obj, List<string> path, List<(List<string>, HoconValue)> into)
    {
        foreach (var key in obj.Keys)
        {
            List<string> childPath = [.. path, key];
            into.Add((childPath, obj[key]));
            if (obj[key] is HoconObject child)
            {
                Collect(child, childPath, into);
            }
        }
    }
}
