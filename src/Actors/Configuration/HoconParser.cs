namespace Haven.Actors.Configuration;

/// <summary>Finds the text of an included file. Implemented over the file system in Haven.Adapters.</summary>
public interface IHoconIncludeResolver
{
    /// <summary>
    /// The text of <paramref name="includeName"/> as included from <paramref name="fromSourceName"/>,
    /// or null when it does not exist. <paramref name="resolvedSourceName"/> names it in error messages
    /// and include-cycle detection (for files: the full path). May throw IOException.
    /// </summary>
    string? Resolve(string includeName, string fromSourceName, out string resolvedSourceName);
}

/// <summary>Options for <see cref="HoconParser.Parse(string, string, HoconParseOptions)"/>.</summary>
public sealed record HoconParseOptions
{
    /// <summary>Resolves <c>include</c>; without one any include is an error.</summary>
    public IHoconIncludeResolver? Includes { get; init; }

    /// <summary>
    /// Looks up environment variables for substitutions the configuration itself does not define
    /// (<c>${?HAVEN_NODE}</c>). Null means no environment: the pure parser never reads the real one.
    /// </summary>
    public Func<string, string?>? Environment { get; init; }

    /// <summary>
    /// Merged under the parsed text before substitutions are resolved, so that <c>${haven.x}</c> and
    /// <c>haven.list += …</c> see the defaults (typically <see cref="HavenConfig.Reference"/>).
    /// </summary>
    public Config? Fallback { get; init; }
}

/// <summary>Haven's HOCON reader: text in, resolved <see cref="Config"/> out. No file IO.</summary>
public static class HoconParser
{
    public static Config Parse(string text, string sourceName, IHoconIncludeResolver? includes = null) =>
        Parse(text, sourceName, new HoconParseOptions { Includes = includes });

    public static Config Parse(string text, string sourceName, HoconParseOptions options)
    {
        ArgumentNullException.ThrowIfNull(text);
        ArgumentNullException.ThrowIfNull(sourceName);
        ArgumentNullException.ThrowIfNull(options);
        var root = new HoconObject(new ConfigOrigin(sourceName, 1, 1));
        var context = new HoconDocumentParser.Context(options.Includes, options.Fallback?.Root, [sourceName]);
        new HoconDocumentParser(HoconLexer.Tokenize(text, sourceName), sourceName, context, 0).ParseRoot(root, []);
        if (options.Fallback is { } fallback)
        {
            AddFallback(root, fallback.Root);
        }

        return new Config(new HoconResolver(root, options.Environment).ResolveRoot());
    }

    /// <summary>Adds what the parsed (unresolved) tree lacks from the resolved fallback tree.</summary>
    private static void AddFallback(HoconObject target, HoconObject fallback)
    {
        foreach (var key in fallback.Keys)
        {
            var under = fallback[key];
            if (!target.TryGetValue(key, out var top))
            {
                target.Set(key, under);
            }
            else if (top is HoconObject topObject && under is HoconObject underObject)
            {
                AddFallback(topObject, underObject);
            }
            else if (top is HoconSubstitution or HoconConcat or HoconMerge)
            {
                target.Set(key, new HoconMerge(top.Origin, top, under));
            }
        }
    }
}
