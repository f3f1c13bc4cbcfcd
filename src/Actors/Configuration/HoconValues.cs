namespace Haven.Actors.Configuration;

/// <summary>The kind of a resolved configuration value.</summary>
public enum HoconValueKind
{
    String,
    Number,
    Boolean,
    Null,
    List,
    Object,
}

/// <summary>
/// A configuration value and where it was written. Values reachable from a <see cref="Config"/> are
/// resolved (no substitutions left) and never change.
/// </summary>
public abstract class HoconValue
{
    private protected HoconValue(ConfigOrigin origin) => Origin = origin;

    public ConfigOrigin Origin { get; }

    public abstract HoconValueKind Kind { get; }

    /// <summary>A short description for error messages: <c>string "abc"</c>, <c>list</c>, <c>object</c>.</summary>
    public abstract string Describe();
}

/// <summary>A string, number, boolean or null. <see cref="Text"/> is the value as written (after unescaping).</summary>
public sealed class HoconScalar : HoconValue
{
    public HoconScalar(ConfigOrigin origin, HoconValueKind kind, string text)
        : base(origin)
    {
        if (kind is HoconValueKind.List or HoconValueKind.Object)
        {
            throw new ArgumentOutOfRangeException(nameof(kind), kind, "a scalar cannot be a list or an object");
        }

        ScalarKind = kind;
        Text = text;
    }

    private HoconScalar(ConfigOrigin origin, string whitespace)
        : this(origin, HoconValueKind.String, whitespace) => IsWhitespace = true;

    public HoconValueKind ScalarKind { get; }
    public string Text { get; }
    public override HoconValueKind Kind => ScalarKind;

    /// <summary>Whitespace between the parts of a concatenation (<c>foo bar</c>); never in a resolved tree.</summary>
    internal bool IsWhitespace { get; }

    internal static HoconScalar Whitespace(ConfigOrigin origin, string text) => new(origin, text);

    public override string Describe() => ScalarKind switch
    {
        HoconValueKind.Null => "null",
        HoconValueKind.String => $"string \"{Text}\"",
        HoconValueKind.Number => $"number {Text}",
        _ => $"boolean {Text}",
    };
}

/// <summary>A list of values.</summary>
public sealed class HoconList : HoconValue
{
    public HoconList(ConfigOrigin origin, IReadOnlyList<HoconValue> items)
        : base(origin) => Items = items;

    public IReadOnlyList<HoconValue> Items { get; }
    public override HoconValueKind Kind => HoconValueKind.List;
    public override string Describe() => "list";
}

/// <summary>An object: keys in the order they were first written.</summary>
public sealed class HoconObject : HoconValue
{
    private readonly Dictionary<string, HoconValue> fields = new(StringComparer.Ordinal);
    private readonly List<string> keys = [];

    public HoconObject(ConfigOrigin origin)
        : base(origin)
    {
    }

    public IReadOnlyList<string> Keys => keys;
    public int Count => keys.Count;
    public override HoconValueKind Kind => HoconValueKind.Object;
    public HoconValue this[string key] => fields[key];

    public bool TryGetValue(string key, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out HoconValue? value) =>
        fields.TryGetValue(key, out value);

    public override string Describe() => "object";

    /// <summary>Only while the object is being built (parser, resolver, merge).</summary>
    internal void Set(string key, HoconValue value)
    {
        if (!fields.ContainsKey(key))
        {
            keys.Add(key);
        }

        fields[key] = value;
    }

    /// <summary>Top wins; where both sides hold an object the two are merged, recursively.</summary>
    internal static HoconObject Merge(HoconObject top, HoconObject bottom)
    {
        var merged = new HoconObject(top.Origin);
        foreach (var key in bottom.Keys)
        {
            merged.Set(key, bottom[key]);
        }

        foreach (var key in top.Keys)
        {
            var value = top[key];
            if (value is HoconObject topChild && bottom.TryGetValue(key, out var under) && under is HoconObject bottomChild)
            {
                value = Merge(topChild, bottomChild);
            }

            merged.Set(key, value);
        }

        return merged;
    }
}

/// <summary>Parse-time only: <c>${path}</c> or <c>${?path}</c>.</summary>
internal sealed class HoconSubstitution(ConfigOrigin origin, IReadOnlyList<string> path, string pathText, bool optional)
    : HoconValue(origin)
{
    public IReadOnlyList<string> Path { get; } = path;
    public string PathText { get; } = pathText;
    public bool Optional { get; } = optional;
    public override HoconValueKind Kind => throw new InvalidOperationException("unresolved substitution");
    public override string Describe() => Optional ? $"${{?{PathText}}}" : $"${{{PathText}}}";
}

/// <summary>Parse-time only: values written next to each other (<c>foo bar</c>, <c>${a} [1]</c>).</summary>
internal sealed class HoconConcat(ConfigOrigin origin, IReadOnlyList<HoconValue> parts) : HoconValue(origin)
{
    public IReadOnlyList<HoconValue> Parts { get; } = parts;
    public override HoconValueKind Kind => throw new InvalidOperationException("unresolved concatenation");
    public override string Describe() => "concatenation";
}

/// <summary>
/// Parse-time only: a value written over an earlier one that could not be merged yet because one of
/// them contains substitutions. Resolves to top, or to bottom when top is an undefined optional
/// substitution, or to both merged when both are objects.
/// </summary>
internal sealed class HoconMerge(ConfigOrigin origin, HoconValue top, HoconValue bottom) : HoconValue(origin)
{
    public HoconValue Top { get; } = top;
    public HoconValue Bottom { get; } = bottom;
    public override HoconValueKind Kind => throw new InvalidOperationException("unresolved merge");
    public override string Describe() => "merge";
}
