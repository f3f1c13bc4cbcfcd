using System.Diagnostics.CodeAnalysis;
using System.Globalization;

namespace Haven.Actors.Configuration;

/// <summary>
/// A resolved, immutable configuration tree with typed getters. Paths are dotted
/// (<c>haven.journal.provider</c>); a key containing dots is quoted (<c>devices."pdu.1"</c>).
/// Missing paths and wrong types throw <see cref="ConfigException"/> naming the path and the origin.
/// </summary>
public sealed class Config
{
    public Config(HoconObject root) => Root = root;

    public static Config Empty { get; } = new(new HoconObject(new ConfigOrigin("(empty)", 0, 0)));

    public HoconObject Root { get; }

    public bool HasPath(string path) => TryGetValue(path, out var value) && value.Kind != HoconValueKind.Null;

    public bool TryGetValue(string path, [NotNullWhen(true)] out HoconValue? value) =>
        TryGetValue(ParsePath(path), out value);

    public HoconValue GetValue(string path)
    {
        var segments = ParsePath(path);
        if (TryGetValue(segments, out var value))
        {
            return value;
        }

        HoconValue parent = Root;
        foreach (var key in segments)
        {
            if (parent is not HoconObject obj || !obj.TryGetValue(key, out var child))
            {
                break;
            }

            parent = child;
        }

        var where = parent == Root ? null : parent.Origin;
        throw new ConfigException(path, where, "no setting at this path");
    }

    public ConfigOrigin Origin(string path) => GetValue(path).Origin;

    public string GetString(string path) => GetScalar(path, "a string").Text;

    public bool GetBoolean(string path)
    {
        var scalar = GetScalar(path, "a boolean");
        return ConfigUnits.TryParseBoolean(scalar.Text, out var value)
            ? value
            : throw WrongType(path, scalar, "a boolean (true/false, on/off, yes/no)");
    }

    public double GetDouble(string path)
    {
        var scalar = GetScalar(path, "a number");
        return double.TryParse(scalar.Text, NumberStyles.Float, CultureInfo.InvariantCulture, out var value) && double.IsFinite(value)
            ? value
            : throw WrongType(path, scalar, "a number");
    }

    public long GetLong(string path)
    {
        var scalar = GetScalar(path, "a whole number");
        return long.TryParse(scalar.Text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var value)
            ? value
            : throw WrongType(path, scalar, "a whole number");
    }

    public int GetInt(string path)
    {
        var value = GetLong(path);
        return value is >= int.MinValue and <= int.MaxValue
            ? (int)value
            : throw new ConfigException(path, Origin(path), $"{value} is out of range for a 32-bit whole number");
    }

    /// <summary>A duration: <c>5s</c>, <c>100ms</c>, <c>2 minutes</c>, <c>1.5h</c>; a plain number is milliseconds.</summary>
    public TimeSpan GetDuration(string path)
    {
        var scalar = GetScalar(path, "a duration");
        return ConfigUnits.TryParseDuration(scalar.Text, out var value)
            ? value
            : throw WrongType(path, scalar, "a duration such as 5s, 100ms or 2 minutes");
    }

    /// <summary>A size in bytes: <c>64k</c> (KiB), <c>1MiB</c>, <c>10 MB</c> (10^6); a plain number is bytes.</summary>
    public long GetBytes(string path)
    {
        var scalar = GetScalar(path, "a size");
        return ConfigUnits.TryParseBytes(scalar.Text, out var value)
            ? value
            : throw WrongType(path, scalar, "a size such as 512, 64k, 1MiB or 10 MB");
    }

    public IReadOnlyList<string> GetStringList(string path)
    {
        var value = GetValue(path);
        if (value is not HoconList list)
        {
            throw WrongType(path, value, "a list");
        }

        return list.Items.Select((item, i) => item is HoconScalar { ScalarKind: not HoconValueKind.Null } s
            ? s.Text
            : throw WrongType($"{path}[{i}]", item, "a string")).ToList();
    }

    public Config GetConfig(string path)
    {
        var value = GetValue(path);
        return value is HoconObject obj ? new Config(obj) : throw WrongType(path, value, "an object");
    }

    /// <summary>The keys of the object at path, in the order they were first written.</summary>
    public IReadOnlyList<string> GetObjectKeys(string path) => GetConfig(path).Root.Keys;

    /// <summary>This configuration over <paramref name="fallback"/>: objects merge, otherwise this one wins.</summary>
    public Config WithFallback(Config fallback) => new(HoconObject.Merge(Root, fallback.Root));

    /// <summary>The tree as HOCON text (JSON-compatible), for <c>haven config show</c> and diagnostics.</summary>
    public string Render() => ConfigRenderer.Render(Root);

    public override string ToString() => Render();

    internal bool TryGetValue(IReadOnlyList<string> segments, [NotNullWhen(true)] out HoconValue? value)
    {
        value = Root;
        foreach (var key in segments)
        {
            if (value is not HoconObject obj || !obj.TryGetValue(key, out value))
            {
                value = null;
                return false;
            }
        }

        return true;
    }

    private HoconScalar GetScalar(string path, string expected)
    {
        var value = GetValue(path);
        return value is HoconScalar { ScalarKind: not HoconValueKind.Null } scalar ? scalar : throw WrongType(path, value, expected);
    }

    private static ConfigException WrongType(string path, HoconValue value, string expected) =>
        new(path, value.Origin, $"expected {expected}, found {value.Describe()}");

    private static IReadOnlyList<string> ParsePath(string path) =>
        ConfigPath.TryParse(path, out var segments, out var error) ? segments : throw new ConfigException(path, null, error!);
}
